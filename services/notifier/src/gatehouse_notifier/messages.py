"""The notifier's messages: their states and the shapes the rest of the notifier handles.

A message row moves queued → sent, or → failed (retried later) → … → abandoned. A courier
settles the rows of a round in the transaction that locked them (see courier.py); 'sending' is
only found in rows written by an earlier version, which leased rows instead of locking them.
What an operator may do to a message is in operations.py; the SQL in queries.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

# The final e-mail of a deleted account (identity.user.farewell_requested): the one message to a
# deleted account that is still sent, and whose address housekeeping erases with its body.
FAREWELL_TEMPLATE = "account_deleted"


class Status(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    ABANDONED = "abandoned"


@dataclass(frozen=True)
class NewMessage:
    event_id: str
    event_type: str
    event_time: datetime
    template: str
    recipient_user_id: str
    message_id_header: str
    status: Status
    language: str | None = None
    recipient_email: str | None = None
    recipient_name: str = ""
    sender_name: str = ""
    subject: str = ""
    body_text: str = ""
    body_html: str = ""
    last_error: str | None = None
    id: uuid.UUID | None = None


@dataclass(frozen=True)
class ClaimedMessage:
    id: uuid.UUID
    template: str
    language: str
    recipient_email: str
    recipient_name: str
    sender_name: str
    subject: str
    body_text: str
    body_html: str
    message_id_header: str
    attempts: int
    event_time: datetime


@dataclass(frozen=True)
class Settled:
    """What became of one claimed message: sent, failed (due again in `retry_in_s`), abandoned."""

    id: uuid.UUID
    status: Status
    attempts: int
    error: str | None = None
    retry_in_s: float = 0.0


@dataclass(frozen=True)
class MessageSummary:
    id: uuid.UUID
    event_type: str
    template: str
    language: str | None
    recipient_email: str | None
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class HistoryEntry:
    """A message as its recipient may see it described (history.py): never its body."""

    id: uuid.UUID
    template: str
    event_type: str
    subject: str
    language: str | None
    status: str
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class LockedMessage:
    """What an operator's change to a message depends on."""

    status: str
    recipient_email: str | None
    body_scrubbed_at: datetime | None
