"""Every event name Gatehouse publishes and the protobuf message it carries.

Names follow `<service>.<aggregate>.<past verb>`; the messages live in protos/gatehouse/events/v1.
A publisher cannot emit, and a consumer will park, a name that is not listed here.
"""

from __future__ import annotations

from google.protobuf.message import Message

from gatehouse.events.v1 import identity_events_pb2 as identity
from gatehouse.events.v1 import registry_events_pb2 as registry

EVENT_MESSAGES: dict[str, type[Message]] = {
    "identity.user.created": identity.UserCreated,
    "identity.user.registration_repeated": identity.UserRegistrationRepeated,
    "identity.user.password_set": identity.UserPasswordSet,
    "identity.user.password_changed": identity.UserPasswordChanged,
    "identity.user.password_reset_requested": identity.UserPasswordResetRequested,
    "identity.user.locked": identity.UserLocked,
    "registry.operator.created": registry.OperatorCreated,
}


def message_class_for(event_type: str) -> type[Message]:
    try:
        return EVENT_MESSAGES[event_type]
    except KeyError:
        raise KeyError(f"unknown event type {event_type!r}") from None
