"""A received email as the mailbox stores and serves it, and how it is parsed from raw bytes."""

from __future__ import annotations

import email
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

# Stops at whitespace, quotes and angle brackets; trailing sentence punctuation is trimmed after.
URL_PATTERN = re.compile(r"""https?://[^\s<>"'`]+""")
TRAILING_PUNCTUATION = ".,;:!?)]}"


@dataclass(frozen=True)
class Message:
    id: str
    envelope_from: str
    envelope_recipients: list[str]
    message_id: str | None
    subject: str
    from_header: str
    to_addresses: list[str]  # addresses from the To and Cc headers
    headers: list[tuple[str, str]]  # every header, decoded, in order
    text: str | None  # the text/plain body
    html: str | None  # the text/html body
    received_at: datetime
    size: int

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["headers"] = [list(pair) for pair in self.headers]
        data["received_at"] = self.received_at.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Message:
        return cls(
            **{
                **data,
                "headers": [tuple(pair) for pair in data["headers"]],
                "received_at": datetime.fromisoformat(data["received_at"]),
            }
        )

    def is_addressed_to(self, address: str) -> bool:
        wanted = address.strip().lower()
        recipients = [*self.envelope_recipients, *self.to_addresses]
        return any(recipient.lower() == wanted for recipient in recipients)

    def header(self, name: str) -> str | None:
        """The first header called `name` (case-insensitive), decoded."""
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)


def parse_message(
    raw: bytes,
    *,
    message_id: str,
    envelope_from: str,
    envelope_recipients: list[str],
    received_at: datetime,
) -> Message:
    # policy.default builds EmailMessage objects, which decode headers and bodies.
    parsed = email.message_from_bytes(raw, policy=policy.default)
    recipients = getaddresses(_all_header_texts(parsed, "To", "Cc"))
    return Message(
        id=message_id,
        envelope_from=envelope_from,
        envelope_recipients=envelope_recipients,
        message_id=_header_text(parsed, "Message-ID"),
        subject=_header_text(parsed, "Subject") or "",
        from_header=_header_text(parsed, "From") or "",
        to_addresses=[address for _, address in recipients],
        headers=[(name, _decoded(value)) for name, value in parsed.items()],
        text=_body(parsed, "plain"),
        html=_body(parsed, "html"),
        received_at=received_at,
        size=len(raw),
    )


def find_links(text: str) -> list[str]:
    """The http(s) URLs in a text body, in order, without trailing sentence punctuation."""
    return [text[start:end] for start, end in link_spans(text)]


def link_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each URL in `text`, as `find_links` delimits them."""
    spans = []
    for match in URL_PATTERN.finditer(text):
        url = match.group().rstrip(TRAILING_PUNCTUATION)
        spans.append((match.start(), match.start() + len(url)))
    return spans


def _header_text(message: EmailMessage, name: str) -> str | None:
    value = message.get(name)
    return None if value is None else _decoded(value)


def _all_header_texts(message: EmailMessage, *names: str) -> list[str]:
    return [_decoded(value) for name in names for value in message.get_all(name, [])]


def _decoded(value: Any) -> str:
    # policy.default decodes RFC 2047 words; str() of a malformed header still gives its text.
    return str(value).strip()


def _body(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    if part is None:
        return None
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # unknown charset or broken transfer encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return str(content)
