"""E-mail on the wire: the MIME message, its Message-ID, and SMTP with TLS/auth per settings."""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate

import aiosmtplib
from aiosmtplib.email import flatten_message
from aiosmtplib.protocol import SMTPProtocol

from gatehouse_notifier.messages import ClaimedMessage
from gatehouse_notifier.settings import NotifierSettings, SmtpTls

_LINE_ENDINGS = re.compile(rb"\r\n|\n|\r")
_LEADING_PERIOD = re.compile(rb"(?m)^\.")
END_OF_DATA = b".\r\n"
START_INPUT = 354
COMPLETED = 250

# Fixed forever: changing it would give an already-sent message a new Message-ID.
_MESSAGE_ID_NAMESPACE = uuid.UUID("6f1d3c52-8a4e-4f7e-9a51-2b0c7d9e4a10")


def message_id_header(*, event_id: str, user_id: str, template: str, domain: str) -> str:
    """The same (event, recipient, message) always gets the same Message-ID.

    If a crash between the SMTP server's "250 OK" and our commit makes us send again, the
    receiving side can recognise the second copy as the same message.
    """
    name = uuid.uuid5(_MESSAGE_ID_NAMESPACE, f"{event_id}/{user_id}/{template}")
    return f"<{name}@{domain}>"


def build_email(message: ClaimedMessage, *, settings: NotifierSettings) -> EmailMessage:
    email = EmailMessage()
    email["From"] = (
        formataddr((message.sender_name, settings.mail_from_address))
        if message.sender_name
        else settings.mail_from
    )
    email["To"] = formataddr((message.recipient_name, message.recipient_email))
    email["Subject"] = message.subject
    email["Date"] = formatdate(usegmt=True)
    email["Message-ID"] = message.message_id_header
    # RFC 3834: automatic mail; well-behaved responders do not answer it.
    email["Auto-Submitted"] = "auto-generated"
    email["X-Auto-Response-Suppress"] = "All"
    email.set_content(message.body_text)
    email.add_alternative(message.body_html, subtype="html")
    # Set after the parts exist: making the message multipart moves Content-* headers into the
    # first part, where a mail client would not look for the message's language.
    email["Content-Language"] = message.language
    return email


@dataclass(frozen=True)
class SendFailure:
    reason: str
    # The message itself will never be accepted (5xx about the recipient or the content).
    permanent: bool
    # The connection is unusable; the next message needs a new one.
    connection_lost: bool


def smtp_client(settings: NotifierSettings) -> aiosmtplib.SMTP:
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        use_tls=settings.smtp_tls is SmtpTls.TLS,
        # Explicit False: no opportunistic STARTTLS that could fail on a dev sink's certificate.
        start_tls=settings.smtp_tls is SmtpTls.STARTTLS,
        username=settings.smtp_username,
        password=password,
        timeout=settings.smtp_timeout_s,
    )


CONNECTION_ERRORS = (
    aiosmtplib.SMTPConnectError,
    aiosmtplib.SMTPServerDisconnected,
    aiosmtplib.SMTPTimeoutError,
    OSError,
    TimeoutError,
)


def classify(error: Exception) -> SendFailure:
    """What a failed send means for the message and for the connection."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        codes = [refused.code for refused in error.recipients]
        reason = "; ".join(f"{r.code} {r.message}" for r in error.recipients)
        return SendFailure(
            reason=f"recipient refused: {reason}",
            permanent=bool(codes) and all(code >= 500 for code in codes),
            connection_lost=False,
        )
    if isinstance(error, aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPDataError):
        return SendFailure(
            reason=f"{error.code} {error.message}",
            permanent=error.code >= 500,
            connection_lost=False,
        )
    if isinstance(error, aiosmtplib.SMTPResponseException):
        # Refusals of our sender, login or greeting are about the server's configuration, not
        # about this message: retry (bounded by DELIVERY_MAX_ATTEMPTS) and let operators fix it.
        return SendFailure(
            reason=f"{error.code} {error.message}", permanent=False, connection_lost=True
        )
    if isinstance(error, CONNECTION_ERRORS):
        return SendFailure(
            reason=f"SMTP server unreachable: {error}", permanent=False, connection_lost=True
        )
    return SendFailure(reason=f"SMTP error: {error}", permanent=False, connection_lost=True)


# -------------------------------------------------------------------------- one SMTP transaction
#
# A message is accepted by the server when it reads the final "." of DATA. Between that moment
# and our commit of "sent" a crash would make us send it again; so the courier writes the "."
# and the COMMIT back to back, with no wait in between (see courier.py). These helpers split
# aiosmtplib's send into the part before the "." and the "." itself.


async def send_all_but_end_of_data(
    smtp: aiosmtplib.SMTP, email: EmailMessage, *, sender: str, recipient: str
) -> None:
    """MAIL, RCPT, DATA and the message text, all but the final ".".

    The server holds the message until the "." arrives, and discards it if the connection drops
    before. Raises aiosmtplib errors (refused recipient, …) like `send_message`.
    """
    utf8 = not (sender + recipient).isascii()
    options = []
    if utf8:
        if not smtp.supports_extension("smtputf8"):
            raise aiosmtplib.SMTPNotSupported("the server cannot take a non-ASCII address")
        options.append("SMTPUTF8")
    cte_type = "7bit"
    if smtp.supports_extension("8BITMIME"):
        options.append("BODY=8BITMIME")
        cte_type = "8bit"
    encoding = "utf-8" if utf8 else "ascii"
    payload = _data_payload(flatten_message(email, utf8=utf8, cte_type=cte_type))
    await smtp.mail(sender, options=options, encoding=encoding)
    await smtp.rcpt(recipient, encoding=encoding)
    response = await smtp.execute_command(b"DATA")
    if response.code != START_INPUT:
        raise aiosmtplib.SMTPDataError(response.code, response.message)
    _protocol(smtp).write(payload)


async def await_reply(smtp: aiosmtplib.SMTP) -> asyncio.Task[aiosmtplib.SMTPResponse]:
    """Start waiting for the server's reply before sending what it answers.

    The reply may arrive while the courier is still committing; aiosmtplib only keeps data that
    comes while someone waits for it, so the wait must begin first.
    """
    reply = asyncio.ensure_future(_protocol(smtp).read_response(timeout=smtp.timeout))
    await asyncio.sleep(0)  # let the task start waiting
    return reply


def send_end_of_data(smtp: aiosmtplib.SMTP) -> None:
    """The final "." (synchronous: handed to the socket before the caller's next await)."""
    _protocol(smtp).write(END_OF_DATA)


async def reset_quietly(smtp: aiosmtplib.SMTP) -> None:
    """RSET after a refused MAIL/RCPT/DATA, so the connection can carry the next message."""
    try:
        await smtp.rset()
    except (aiosmtplib.SMTPException, OSError, TimeoutError):
        smtp.close()


def _protocol(smtp: aiosmtplib.SMTP) -> SMTPProtocol:
    if smtp.protocol is None:
        raise aiosmtplib.SMTPServerDisconnected("Connection lost")
    return smtp.protocol


def _data_payload(message: bytes) -> bytes:
    """CRLF line ends, a final CRLF, and leading periods doubled (RFC 5321 4.5.2)."""
    text = _LINE_ENDINGS.sub(b"\r\n", message)
    if not text.endswith(b"\r\n"):
        text += b"\r\n"
    return _LEADING_PERIOD.sub(b"..", text)
