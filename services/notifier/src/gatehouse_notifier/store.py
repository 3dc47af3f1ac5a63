"""The notifier's tables: `handled_events`, `messages`, and what it remembers of registry events.

A message row moves queued → sent, or → failed (retried later) → … → abandoned. The courier
settles a row in the transaction that locked it (see courier.py); 'sending' is only found in rows
written by an earlier version, which leased rows instead of locking them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import asyncpg

from gatehouse_common.db import Connection
from gatehouse_common.db import raw_transaction as transaction

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
#
# The courier holds a claimed row locked in an open transaction while it sends it: another
# replica skips it (SKIP LOCKED), and if the sender dies the database rolls back and the row is
# due again at once. Its outcome (sent, failed, abandoned) is written in that same transaction.


async def claim_next(connection: Connection, *, idle_timeout_s: float) -> ClaimedMessage | None:
    """Lock the next due row in the caller's transaction; None when nothing is due.

    `idle_timeout_s` ends the transaction (and frees the row) if this replica stops talking to
    the database for that long, e.g. its host vanished without closing the connection.
    """
    await connection.execute(
        f"SET LOCAL idle_in_transaction_session_timeout = {int(idle_timeout_s * 1000)}"
    )
    row = await connection.fetchrow(
        """SELECT id, template, language, recipient_email, recipient_name, sender_name,
                  subject, body_text, body_html, message_id_header, attempts, event_time
             FROM messages
            -- 'sending': rows claimed by a version that leased rows instead of locking them.
            WHERE status IN ('queued', 'failed', 'sending') AND next_attempt_at <= now()
            ORDER BY next_attempt_at
            LIMIT 1
              FOR UPDATE SKIP LOCKED"""
    )
    return None if row is None else ClaimedMessage(**dict(row))


async def record_sent(connection: Connection, message_id: uuid.UUID, *, attempts: int) -> None:
    await connection.execute(
        """UPDATE messages SET status = 'sent', attempts = $2, sent_at = now(),
                  updated_at = now(), last_error = NULL
            WHERE id = $1""",
        message_id,
        attempts,
    )


async def record_failed(
    connection: Connection,
    message_id: uuid.UUID,
    *,
    attempts: int,
    error: str,
    retry_in_s: float,
) -> None:
    """Failed this time, tried again in `retry_in_s`."""
    await connection.execute(
        """UPDATE messages SET status = 'failed', attempts = $2, last_error = $3,
                  updated_at = now(), sent_at = NULL,
                  next_attempt_at = now() + make_interval(secs => $4)
            WHERE id = $1""",
        message_id,
        attempts,
        _truncate(error),
        retry_in_s,
    )


async def record_abandoned(
    connection: Connection,
    message_id: uuid.UUID,
    *,
    attempts: int,
    error: str,
) -> None:
    await connection.execute(
        """UPDATE messages SET status = 'abandoned', attempts = $2, last_error = $3,
                  updated_at = now(), sent_at = NULL
            WHERE id = $1""",
        message_id,
        attempts,
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


async def prune_registry_memory(
    pool: asyncpg.Pool, *, requests_older_than_days: float, operators_older_than_days: int
) -> int:
    """Forget pending requests past their last reminder and creators of long-decided operators."""
    requests: str = await pool.execute(
        """DELETE FROM pending_role_requests
            WHERE requested_at < now() - make_interval(secs => $1)""",
        requests_older_than_days * 86400,
    )
    operators: str = await pool.execute(
        "DELETE FROM operator_creators WHERE created_at < now() - make_interval(days => $1)",
        operators_older_than_days,
    )
    return int(requests.rsplit(maxsplit=1)[-1]) + int(operators.rsplit(maxsplit=1)[-1])
