"""The `handled_events` and `messages` tables: every SQL statement the notifier runs.

A message row moves queued → sending → sent, or → failed (retried later) → … → abandoned.
Every change of a claimed row is guarded by (status 'sending', attempts): if a lease expired and
another replica took the row over, the slower replica's late update matches nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import asyncpg

from gatehouse_common.db import Connection, transaction

# Wakes every replica's courier (and the admin CLI's retries reach a running courier this way).
NOTIFY_CHANNEL = "notifier_messages"
MAX_ERROR_CHARS = 500


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


def _truncate(error: str) -> str:
    return error if len(error) <= MAX_ERROR_CHARS else error[: MAX_ERROR_CHARS - 1] + "…"


# ---------------------------------------------------------------------------- consumer side


async def mark_event_handled(connection: Connection, *, event_id: str, event_type: str) -> bool:
    """Record the event as handled in the caller's transaction; False if it already was.

    A concurrent transaction inserting the same id waits here until the first one ends, so two
    replicas handed the same event cannot both go on to write its messages.
    """
    inserted = await connection.fetchval(
        """INSERT INTO handled_events (event_id, event_type) VALUES ($1, $2)
           ON CONFLICT (event_id) DO NOTHING
           RETURNING true""",
        uuid.UUID(event_id),
        event_type,
    )
    return bool(inserted)


async def insert_messages(connection: Connection, messages: Sequence[NewMessage]) -> None:
    await connection.executemany(
        """INSERT INTO messages (
               id, event_id, event_type, event_time, template, language, recipient_user_id,
               recipient_email, recipient_name, sender_name, subject, body_text, body_html,
               message_id_header, status, last_error)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
           ON CONFLICT (event_id, recipient_user_id, template) DO NOTHING""",
        [
            (
                m.id or uuid.uuid4(),
                uuid.UUID(m.event_id),
                m.event_type,
                m.event_time,
                m.template,
                m.language,
                m.recipient_user_id,
                m.recipient_email,
                m.recipient_name,
                m.sender_name,
                m.subject,
                m.body_text,
                m.body_html,
                m.message_id_header,
                m.status.value,
                _truncate(m.last_error) if m.last_error else None,
            )
            for m in messages
        ],
    )


async def notify_couriers(connection: Connection) -> None:
    # Delivered only if the transaction commits, so no courier wakes for rows it cannot see.
    await connection.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)


# ----------------------------------------------------------------------------- courier side


async def claim_due(pool: asyncpg.Pool, *, limit: int, lease_s: float) -> list[ClaimedMessage]:
    """Take up to `limit` due rows for this replica and count the attempt.

    Due: queued or failed rows whose time has come, and sending rows whose lease expired.
    """
    rows = await pool.fetch(
        """WITH due AS (
               SELECT id FROM messages
                WHERE status IN ('queued', 'failed', 'sending') AND next_attempt_at <= now()
                ORDER BY next_attempt_at
                LIMIT $1
                FOR UPDATE SKIP LOCKED)
           UPDATE messages m
              SET status = 'sending',
                  attempts = m.attempts + 1,
                  next_attempt_at = now() + make_interval(secs => $2),
                  updated_at = now()
             FROM due
            WHERE m.id = due.id
        RETURNING m.id, m.template, m.language, m.recipient_email, m.recipient_name,
                  m.sender_name, m.subject, m.body_text, m.body_html, m.message_id_header,
                  m.attempts, m.event_time""",
        limit,
        lease_s,
    )
    return [ClaimedMessage(**dict(row)) for row in rows]


async def mark_sent(pool: asyncpg.Pool, message: ClaimedMessage) -> datetime | None:
    """Returns when it was recorded as sent, or None if the row was no longer ours."""
    sent_at: datetime | None = await pool.fetchval(
        """UPDATE messages SET status = 'sent', sent_at = now(), updated_at = now(),
                  last_error = NULL
            WHERE id = $1 AND status = 'sending' AND attempts = $2
        RETURNING sent_at""",
        message.id,
        message.attempts,
    )
    return sent_at


async def mark_failed(
    pool: asyncpg.Pool, message: ClaimedMessage, *, error: str, retry_in_s: float
) -> None:
    await pool.execute(
        """UPDATE messages SET status = 'failed', last_error = $3, updated_at = now(),
                  next_attempt_at = now() + make_interval(secs => $4)
            WHERE id = $1 AND status = 'sending' AND attempts = $2""",
        message.id,
        message.attempts,
        _truncate(error),
        retry_in_s,
    )


async def mark_abandoned(pool: asyncpg.Pool, message: ClaimedMessage, *, error: str) -> None:
    await pool.execute(
        """UPDATE messages SET status = 'abandoned', last_error = $3, updated_at = now()
            WHERE id = $1 AND status = 'sending' AND attempts = $2""",
        message.id,
        message.attempts,
        _truncate(error),
    )


# ---------------------------------------------------------------------------- operator side


async def list_messages(
    pool: asyncpg.Pool, *, status: Status | None, limit: int
) -> list[MessageSummary]:
    rows = await pool.fetch(
        """SELECT id, event_type, template, language, recipient_email, status, attempts,
                  next_attempt_at, last_error, created_at, sent_at
             FROM messages
            WHERE $1::text IS NULL OR status = $1
            ORDER BY created_at DESC
            LIMIT $2""",
        status.value if status else None,
        limit,
    )
    return [MessageSummary(**dict(row)) for row in rows]


async def retry_message(pool: asyncpg.Pool, message_id: uuid.UUID) -> str | None:
    """Queue a failed or abandoned message again with a fresh budget; None, or why not."""
    async with transaction(pool) as connection:
        row = await connection.fetchrow(
            """SELECT status, recipient_email, body_scrubbed_at FROM messages
                WHERE id = $1 FOR UPDATE""",
            message_id,
        )
        if row is None:
            return "no such message"
        if row["status"] not in (Status.FAILED, Status.ABANDONED):
            return f"the message is {row['status']}; only failed or abandoned ones can be retried"
        if row["recipient_email"] is None:
            return "the message has no recipient address (the user was not found)"
        if row["body_scrubbed_at"] is not None:
            return "the message text has been erased (retention); it cannot be sent any more"
        await connection.execute(
            """UPDATE messages SET status = 'queued', attempts = 0, next_attempt_at = now(),
                      updated_at = now()
                WHERE id = $1""",
            message_id,
        )
        await notify_couriers(connection)
    return None


async def discard_message(pool: asyncpg.Pool, message_id: uuid.UUID) -> str | None:
    """Give up on a queued or failed message; None, or why not."""
    async with transaction(pool) as connection:
        status = await connection.fetchval(
            "SELECT status FROM messages WHERE id = $1 FOR UPDATE", message_id
        )
        if status is None:
            return "no such message"
        if status not in (Status.QUEUED, Status.FAILED):
            return f"the message is {status}; only queued or failed ones can be discarded"
        await connection.execute(
            """UPDATE messages SET status = 'abandoned', last_error = 'discarded by an operator',
                      updated_at = now()
                WHERE id = $1""",
            message_id,
        )
    return None


# ----------------------------------------------------------------------------- housekeeping


async def prune_handled_events(pool: asyncpg.Pool, *, older_than_days: int) -> int:
    result: str = await pool.execute(
        "DELETE FROM handled_events WHERE handled_at < now() - make_interval(days => $1)",
        older_than_days,
    )
    return int(result.rsplit(maxsplit=1)[-1])


async def scrub_finished_bodies(pool: asyncpg.Pool, *, older_than_hours: int) -> int:
    result: str = await pool.execute(
        """UPDATE messages SET body_text = '', body_html = '', body_scrubbed_at = now()
            WHERE status IN ('sent', 'abandoned') AND body_scrubbed_at IS NULL
              AND updated_at < now() - make_interval(hours => $1)""",
        older_than_hours,
    )
    return int(result.rsplit(maxsplit=1)[-1])
