"""Events on NATS JetStream: CloudEvents attributes in NATS headers, protobuf payloads.

Binding (CloudEvents NATS protocol binding, binary mode): `ce-id`, `ce-type`, `ce-source`,
`ce-time`, `ce-subject`, `ce-specversion` and `content-type` travel as headers; the body is the
serialized protobuf message named by `ce-dataschema`. `Nats-Msg-Id` repeats the event id so
JetStream drops duplicates a retrying publisher may send.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from google.protobuf.message import DecodeError, Message

from gatehouse_common.event_catalog import message_class_for

CONTENT_TYPE = "application/protobuf"
SPEC_VERSION = "1.0"
REQUIRED_HEADERS = ("ce-id", "ce-type", "ce-source", "ce-time", "ce-specversion")


class MalformedEventError(ValueError):
    """A message on the stream that is not a Gatehouse event this code can read."""


@dataclass(frozen=True)
class Event:
    type: str
    source: str
    subject: str
    data: bytes
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    extra_headers: Mapping[str, str] = field(default_factory=dict)

    def headers(self) -> dict[str, str]:
        return {
            **self.extra_headers,
            "Nats-Msg-Id": self.id,
            "ce-specversion": SPEC_VERSION,
            "ce-id": self.id,
            "ce-type": self.type,
            "ce-source": self.source,
            "ce-time": self.time.isoformat(),
            "ce-subject": self.subject,
            "ce-dataschema": message_class_for(self.type).DESCRIPTOR.full_name,
            "content-type": CONTENT_TYPE,
        }

    def message(self) -> Message:
        """The payload decoded into the protobuf message its type names."""
        message = message_class_for(self.type)()
        try:
            message.ParseFromString(self.data)
        except DecodeError as error:
            raise MalformedEventError(f"payload of {self.type} does not decode") from error
        return message


def event_for(*, event_type: str, source: str, subject: str, message: Message) -> Event:
    if not isinstance(message, message_class_for(event_type)):
        raise TypeError(f"{event_type} carries {message_class_for(event_type).__name__}")
    return Event(type=event_type, source=source, subject=subject, data=message.SerializeToString())


def event_from_nats(headers: Mapping[str, str] | None, data: bytes) -> Event:
    """Read an event from a NATS message; MalformedEventError if it is not one of ours."""
    headers = headers or {}
    missing = [name for name in REQUIRED_HEADERS if not headers.get(name)]
    if missing:
        raise MalformedEventError(f"missing headers: {', '.join(missing)}")
    try:
        message_class_for(headers["ce-type"])
        event_time = datetime.fromisoformat(headers["ce-time"])
        uuid.UUID(headers["ce-id"])
    except (KeyError, ValueError) as error:
        raise MalformedEventError(str(error)) from error
    passthrough = {k: v for k, v in headers.items() if k.lower() in {"traceparent", "tracestate"}}
    return Event(
        id=headers["ce-id"],
        type=headers["ce-type"],
        source=headers["ce-source"],
        subject=headers.get("ce-subject", ""),
        time=event_time,
        data=data,
        extra_headers=passthrough,
    )


def nats_subject(prefix: str, event_type: str) -> str:
    return f"{prefix}.{event_type}"
