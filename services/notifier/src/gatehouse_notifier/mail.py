"""E-mail on the wire: the MIME message, its Message-ID, and SMTP with TLS/auth per settings."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate

import aiosmtplib

from gatehouse_notifier.settings import NotifierSettings, SmtpTls
from gatehouse_notifier.store import ClaimedMessage

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
