"""The notifier's tables: what it has handled, the messages it sends, what it remembers of the
registry's events. The migrations in migrations/versions/ must arrive at exactly this (the tests
compare them: tests/schema/test_schema.py)."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Index,
    Integer,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)

from gatehouse_common.db import service_metadata
from gatehouse_common.schema import timestamp

metadata = service_metadata()


# One row per event id ever handled: a redelivered event finds its row and sends nothing. The
# scheduled reminders record theirs here too (a fixed id per request and reminder).
handled_events = Table(
    "handled_events",
    metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("event_type", Text, nullable=False),
    timestamp("handled_at", now=True),
    Index("handled_events_handled_at", "handled_at"),
)

# A message row moves queued → sent, or → failed (retried later) → … → abandoned.
messages = Table(
    "messages",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("event_id", Uuid, nullable=False),
    Column("event_type", Text, nullable=False),
    timestamp("event_time", nullable=False),
    Column("template", Text, nullable=False),
    # The language the message is written in (after fallback); NULL if never rendered.
    Column("language", Text),
    Column("recipient_user_id", Text, nullable=False),
    Column("recipient_email", Text),
    Column("recipient_name", Text, nullable=False, server_default=text("''")),
    # From's display name in the message's language; '' means MAIL_FROM as configured.
    Column("sender_name", Text, nullable=False, server_default=text("''")),
    Column("subject", Text, nullable=False, server_default=text("''")),
    Column("body_text", Text, nullable=False, server_default=text("''")),
    Column("body_html", Text, nullable=False, server_default=text("''")),
    Column("message_id_header", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    # When the row is next due: for queued/failed the next try ('sending' rows come from a
    # version that leased rows: the end of the lease).
    timestamp("next_attempt_at", now=True),
    Column("last_error", Text),
    timestamp("created_at", now=True),
    timestamp("updated_at", now=True),
    timestamp("sent_at"),
    # Bodies hold single-use links; they are blanked once the links are long expired.
    timestamp("body_scrubbed_at"),
    CheckConstraint(
        "status IN ('queued', 'sending', 'sent', 'failed', 'abandoned')",
        name="messages_status_check",
    ),
    UniqueConstraint("event_id", "recipient_user_id", "template"),
    Index(
        "messages_due",
        "next_attempt_at",
        postgresql_where=text("status IN ('queued', 'sending', 'failed')"),
    ),
    Index("messages_status_created", "status", "created_at"),
    # A user's messages, newest first (MessageService.ListUserMessages).
    Index("messages_recipient_created", "recipient_user_id", "created_at", "id"),
)

# Who created an operator: told when it is validated or rejected.
operator_creators = Table(
    "operator_creators",
    metadata,
    Column("operator_id", Text, primary_key=True),
    Column("user_id", Text, nullable=False),
    timestamp("created_at", now=True),
    Index("operator_creators_created_at", "created_at"),
)

# Role requests still pending: their deciders are reminded when one has waited too long.
pending_role_requests = Table(
    "pending_role_requests",
    metadata,
    Column("role_request_id", Text, primary_key=True),
    # The time of registry.role_request.created: reminders count from here.
    timestamp("requested_at", nullable=False),
    timestamp("tracked_at", now=True),
    Index("pending_role_requests_requested_at", "requested_at"),
)
