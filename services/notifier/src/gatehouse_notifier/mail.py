"""The e-mail as sent in DATA, and its Message-ID.

The message (headers and a text + HTML multipart/alternative body) is composed as bytes from the
standard library's encoders (RFC 2047 words from `email.header`, addresses from `email.utils`,
quoted-printable from `binascii`) instead of building an `EmailMessage` and flattening it: the
`email` package's header objects and generator cost ~3.5 ms of CPU per e-mail on the development
machine, more than all the rest of the notifier's work for it (issue 17). Every message has the
same shape, so the composition is a fixed recipe; test_mail.py checks that the `email` package
reads it back exactly as it reads its own composition.

The message is 7-bit clean (quoted-printable bodies, encoded words in headers), so it needs no
8BITMIME; only a non-ASCII address needs SMTPUTF8, and then the headers carry UTF-8 as such
(RFC 6532). Sending it is smtp.py's.
"""

from __future__ import annotations

import binascii
import functools
import re
import secrets
import uuid
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr

CRLF = "\r\n"
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")
_ATOMS = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]*")

# Fixed forever: changing it would give an already-sent message a new Message-ID.
_MESSAGE_ID_NAMESPACE = uuid.UUID("6f1d3c52-8a4e-4f7e-9a51-2b0c7d9e4a10")


def message_id_header(*, event_id: str, user_id: str, template: str, domain: str) -> str:
    """The same (event, recipient, message) always gets the same Message-ID.

    If a crash between the SMTP server's "250 OK" and our commit makes us send again, the
    receiving side can recognise the second copy as the same message.
    """
    name = uuid.uuid5(_MESSAGE_ID_NAMESPACE, f"{event_id}/{user_id}/{template}")
    return f"<{name}@{domain}>"


@dataclass(frozen=True)
class Letter:
    """What the e-mail says and to whom, as the message row holds it."""

    sender_name: str  # '' means the name in MAIL_FROM
    recipient_name: str
    recipient_email: str
    subject: str
    body_text: str
    body_html: str
    language: str
    message_id_header: str


def needs_smtputf8(*addresses: str) -> bool:
    return not all(address.isascii() for address in addresses)


def compose(letter: Letter, *, mail_from: str, date: str | None = None) -> bytes:
    """The DATA payload: CRLF line ends, dot-stuffed (RFC 5321 4.5.2), ending in CRLF; the
    caller adds the final "." line."""
    from_name, from_address = _parsed(mail_from)
    utf8 = needs_smtputf8(from_address, letter.recipient_email)
    boundary = f"=_{secrets.token_hex(16)}"  # "=_" never occurs in quoted-printable text
    headers = [
        ("From", _mailbox(letter.sender_name or from_name, from_address, "From", utf8)),
        ("To", _mailbox(letter.recipient_name, letter.recipient_email, "To", utf8)),
        ("Subject", _text(letter.subject, "Subject", utf8)),
        ("Date", date or formatdate(usegmt=True)),
        ("Message-ID", letter.message_id_header),
        # RFC 3834: automatic mail; well-behaved responders do not answer it.
        ("Auto-Submitted", "auto-generated"),
        ("X-Auto-Response-Suppress", "All"),
        ("MIME-Version", "1.0"),
        ("Content-Type", f'multipart/alternative; boundary="{boundary}"'),
        ("Content-Language", letter.language),
    ]
    head = CRLF.join(f"{name}: {value}" for name, value in headers) + CRLF
    payload = b"".join(
        (
            head.encode("utf-8" if utf8 else "ascii"),
            _part("plain", letter.body_text, boundary),
            _part("html", letter.body_html, boundary),
            f"{CRLF}--{boundary}--{CRLF}".encode(),
        )
    )
    # Starts with a header, so every line that starts with a "." follows a CRLF.
    return payload.replace(b"\r\n.", b"\r\n..")


def _part(subtype: str, text: str, boundary: str) -> bytes:
    """CRLF, the boundary, the part's headers and its text as quoted-printable; the CRLF that
    follows (before the next boundary) belongs to that boundary, not to the text."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.endswith("\n"):
        text += "\n"  # as the email package does: the last line is a whole line too
    head = (
        f'{CRLF}--{boundary}{CRLF}Content-Type: text/{subtype}; charset="utf-8"{CRLF}'
        f"Content-Transfer-Encoding: quoted-printable{CRLF}{CRLF}"
    )
    body = binascii.b2a_qp(text.encode(), istext=True).replace(b"\n", b"\r\n")
    return head.encode() + body


@functools.lru_cache(maxsize=16)
def _parsed(mail_from: str) -> tuple[str, str]:
    return parseaddr(mail_from)


# Names and subjects repeat (every sender name, every message's subject in each language):
# their encoding is kept rather than redone for each e-mail.
@functools.lru_cache(maxsize=4096)
def _mailbox(name: str, address: str, header: str, utf8: bool) -> str:
    name = _one_line(name)
    if not name:
        return address
    if utf8:
        phrase = name if _ATOMS.fullmatch(name) else '"' + re.sub(r'(["\\])', r"\\\1", name) + '"'
        return f"{phrase} <{address}>"
    if name.isascii():
        return formataddr((name, address))
    encoded = Header(name, "utf-8", header_name=header).encode(linesep=CRLF)
    return f"{encoded} <{address}>"


@functools.lru_cache(maxsize=4096)
def _text(value: str, header: str, utf8: bool) -> str:
    value = _one_line(value)
    if value.isascii():
        return Header(value, "us-ascii", header_name=header).encode(linesep=CRLF)
    if utf8:
        return value  # RFC 6532: UTF-8 as such
    return Header(value, "utf-8", header_name=header).encode(linesep=CRLF)


def _one_line(value: str) -> str:
    # A line break in a header value would end the header: never let one through.
    return _LINE_BREAKS.sub(" ", value).strip()
