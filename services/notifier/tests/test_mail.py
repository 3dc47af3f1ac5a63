"""The hand-composed e-mail reads back, through the `email` package, exactly as the package's own
composition of the same message does: every header a mail client shows, and both bodies."""

from __future__ import annotations

import email
from dataclasses import replace
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.policy import default as default_policy
from email.utils import formatdate, parseaddr

import pytest

from gatehouse_notifier.mail import Letter, compose, needs_smtputf8

MAIL_FROM = "Authentication service <no-reply@gatehouse.localhost>"
DATE = formatdate(usegmt=True)

SWEDISH = Letter(
    sender_name="Autentiseringstjänst",
    recipient_name="Åsa Öberg",
    recipient_email="asa.oberg@example.se",
    subject="Återställ ditt lösenord",
    body_text=(
        "Hej Åsa!\n\nVi har fått en begäran om att återställa lösenordet för ditt konto "
        "(asa.oberg@example.se). Välj ett nytt via länken:\n\n"
        "https://identity.test/password/set?token=AbC_dEf-123&x=1\n\nLänken gäller till "
        "3 december 2026 kl. 14:05 (CET).\n"
    ),
    body_html=(
        '<!doctype html>\n<html lang="sv"><head><meta charset="utf-8"><title>Återställ'
        '</title></head>\n<body><p>Hej Åsa!</p>\n<p><a href="https://identity.test/password/'
        'set?token=AbC_dEf-123&amp;x=1">Välj nytt lösenord</a></p></body></html>\n'
    ),
    language="sv",
    message_id_header="<6f1d3c52-8a4e-4f7e-9a51-2b0c7d9e4a10@gatehouse.localhost>",
)
AWKWARD_TEXT = (
    ".a line that starts with a full stop\n.\n..\nTrailing spaces   \nTab\tin it\t\n"
    "A=sign and =?utf-8?q?not_a_word?= and =3D\n"
    + "A very long line of ASCII text that goes on and on " * 30
    + "\n"
    + "Ett långt stycke med åäö och emoji 📧 " * 40
    + "\nWindows\r\nline\rends\n"
    + "x" * 1200
    + "\nno newline at the end"
)
CASES = {
    "swedish": SWEDISH,
    "english, ascii only": replace(
        SWEDISH,
        sender_name="",
        recipient_name="Anna Svensson",
        subject="Reset your password",
        body_text="Dear Anna,\n\nReset it here.\n",
        body_html="<p>Dear Anna,</p>",
        language="en",
    ),
    "names with quotes, commas and specials": replace(
        SWEDISH,
        sender_name='Registry "Gatehouse", SE',
        recipient_name='Anna "Q" Svensson, Jr. <x@y> (test)',
    ),
    "long non-ascii name and subject": replace(
        SWEDISH,
        recipient_name="Åsa-Märta Öberg-Ängström " * 8,
        subject=" ".join(["Din ansökan om att företräda Ölands Ägg och Äpple AB (publ)"] * 3),
    ),
    "long ascii subject": replace(
        SWEDISH, subject=" ".join(["Your request to represent Acme"] * 10)
    ),
    "awkward bodies": replace(SWEDISH, body_text=AWKWARD_TEXT, body_html=AWKWARD_TEXT),
    "empty name and a line break in the subject": replace(
        SWEDISH, recipient_name="", subject="Two\nlines\r\nin one"
    ),
    "non-ascii address (smtputf8)": replace(SWEDISH, recipient_email="åsa@exempel.se"),
}


def reference(letter: Letter, *, utf8: bool) -> bytes:
    """The same e-mail composed by the `email` package (what the notifier sent before)."""
    from_name, from_address = parseaddr(MAIL_FROM)
    message = EmailMessage()
    message["From"] = _address(letter.sender_name or from_name, from_address)
    message["To"] = _address(letter.recipient_name, letter.recipient_email)
    message["Subject"] = " ".join(letter.subject.splitlines())
    message["Date"] = DATE
    message["Message-ID"] = letter.message_id_header
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message.set_content(letter.body_text)
    message.add_alternative(letter.body_html, subtype="html")
    message["Content-Language"] = letter.language
    return message.as_bytes(policy=SMTPUTF8 if utf8 else SMTP)


def _address(name: str, address: str) -> Address:
    local, domain = address.rsplit("@", 1)
    return Address(name, username=local, domain=domain)


def read(data: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(data, policy=default_policy)
    assert isinstance(parsed, EmailMessage)
    return parsed


def as_received(payload: bytes) -> bytes:
    """What the server keeps of the DATA payload: the dot-stuffing undone."""
    return payload.replace(b"\r\n..", b"\r\n.")


def seen(message: EmailMessage) -> dict[str, object]:
    """What a mail client shows of a message."""
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    return {
        "from": [(a.display_name, a.addr_spec) for a in message["From"].addresses],
        "to": [(a.display_name, a.addr_spec) for a in message["To"].addresses],
        "subject": str(message["Subject"]),
        "date": str(message["Date"]),
        "message-id": str(message["Message-ID"]),
        "auto-submitted": str(message["Auto-Submitted"]),
        "x-auto-response-suppress": str(message["X-Auto-Response-Suppress"]),
        "content-language": str(message["Content-Language"]),
        "content-type": message.get_content_type(),
        "text": text.get_content().replace("\r\n", "\n"),
        "html": html.get_content().replace("\r\n", "\n"),
        "defects": [type(d).__name__ for part in message.walk() for d in part.defects],
    }


@pytest.mark.parametrize("case", list(CASES))
def test_the_composed_email_reads_as_the_email_packages_own(case: str) -> None:
    letter = CASES[case]
    utf8 = needs_smtputf8(letter.recipient_email)
    payload = compose(letter, mail_from=MAIL_FROM, date=DATE)

    assert seen(read(as_received(payload))) == seen(read(reference(letter, utf8=utf8)))


@pytest.mark.parametrize("case", list(CASES))
def test_the_composed_email_is_fit_for_smtp(case: str) -> None:
    letter = CASES[case]
    payload = compose(letter, mail_from=MAIL_FROM, date=DATE)
    lines = payload.split(b"\r\n")
    assert payload.endswith(b"\r\n")
    assert b"\n" not in payload.replace(b"\r\n", b"")  # no bare line feeds or returns
    assert b"\r" not in payload.replace(b"\r\n", b"")
    assert all(len(line) <= 998 for line in lines)  # RFC 5321 4.5.3.1.6
    assert b"." not in lines  # a lone "." would end DATA early
    if not needs_smtputf8(letter.recipient_email):
        assert payload.isascii()  # needs neither 8BITMIME nor SMTPUTF8
    headers = payload.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    assert all(len(line) <= 78 for line in headers if not line.startswith(b"Content-Type"))
