"""Every statement the notifier runs against its tables (tables.py), grouped by who runs it.

Each function takes the caller's connection, so the caller decides what shares a transaction:
the consumer records an event as handled and queues its messages in one; the courier settles a
message in the transaction that locked it. Rows come back as the shapes in messages.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import (
    DateTime,
    Interval,
    Uuid,
    bindparam,
    case,
    delete,
    func,
    literal,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import BindParameter

from gatehouse_notifier.messages import (
    FAREWELL_TEMPLATE,
    ClaimedMessage,
    HistoryEntry,
    LockedMessage,
    MessageSummary,
    NewMessage,
    Settled,
    Status,
)
from gatehouse_notifier.tables import (
    handled_events,
    messages,
    operator_creators,
    pending_role_requests,
)

# Wakes every replica's courier (and the admin CLI's retries reach a running courier this way).
NOTIFY_CHANNEL = "notifier_messages"
MAX_ERROR_CHARS = 500
# 'sending': rows claimed by a version that leased rows instead of locking them.
_DUE_STATUSES = (Status.QUEUED, Status.FAILED, Status.SENDING)


def _truncate(error: str) -> str:
    return error if len(error) <= MAX_ERROR_CHARS else error[: MAX_ERROR_CHARS - 1] + "…"


def _ago(**duration: float) -> object:
    return func.now() - literal(timedelta(**duration), Interval)


# ---------------------------------------------------------------------------- consumer side


async def mark_event_handled(
    connection: AsyncConnection, *, event_id: str, event_type: str
) -> bool:
    """Record the event as handled in the caller's transaction; False if it already was.

    A concurrent transaction inserting the same id waits here until the first one ends, so two
    replicas handed the same event cannot both go on to write its messages.
    """
    inserted = await connection.scalar(
        insert(handled_events)
        .values(event_id=uuid.UUID(event_id), event_type=event_type)
        .on_conflict_do_nothing(index_elements=[handled_events.c.event_id])
        .returning(literal(True))
    )
    return bool(inserted)


# The statements run for every batch of events or messages are built once: building a Core
# statement is a few hundred microseconds of Python, and one whose shape varies (a VALUES list
# of the batch's length) is compiled again each time. Executed with a list of parameters, an
# INSERT … RETURNING becomes one multi-row statement (SQLAlchemy's "insertmanyvalues").
_MARK_HANDLED = (
    insert(handled_events)
    .on_conflict_do_nothing(index_elements=[handled_events.c.event_id])
    .returning(handled_events.c.event_id, sort_by_parameter_order=True)
)
_INSERT_MESSAGES = insert(messages).on_conflict_do_nothing(
    index_elements=[messages.c.event_id, messages.c.recipient_user_id, messages.c.template]
)


async def mark_events_handled(
    connection: AsyncConnection, events: Sequence[tuple[str, str]]
) -> set[str]:
    """Record (event id, type) pairs as handled in the caller's transaction; the ids that were
    not handled before. As `mark_event_handled`, a concurrent transaction holding one of the ids
    makes this one wait; ids are inserted in order, so two such batches never wait on each
    other (a deadlock) however their events overlap."""
    unique = sorted(dict(events).items())
    result = await connection.execute(
        _MARK_HANDLED,
        [{"event_id": uuid.UUID(event_id), "event_type": kind} for event_id, kind in unique],
    )
    return {str(event_id) for event_id in result.scalars()}


async def unmark_events_handled(connection: AsyncConnection, event_ids: Sequence[str]) -> None:
    """Undo `mark_events_handled` in the same transaction for events whose handling failed."""
    await connection.execute(
        delete(handled_events).where(
            handled_events.c.event_id.in_([uuid.UUID(event_id) for event_id in event_ids])
        )
    )


async def insert_messages(connection: AsyncConnection, new: Sequence[NewMessage]) -> None:
    """Queue messages; one that exists already (same event, recipient and message) is kept."""
    if not new:
        return
    await connection.execute(
        _INSERT_MESSAGES,
        [
            {
                "id": m.id or uuid.uuid4(),
                "event_id": uuid.UUID(m.event_id),
                "event_type": m.event_type,
                "event_time": m.event_time,
                "template": m.template,
                "language": m.language,
                "recipient_user_id": m.recipient_user_id,
                "recipient_email": m.recipient_email,
                "recipient_name": m.recipient_name,
                "sender_name": m.sender_name,
                "subject": m.subject,
                "body_text": m.body_text,
                "body_html": m.body_html,
                "message_id_header": m.message_id_header,
                "status": m.status.value,
                "last_error": _truncate(m.last_error) if m.last_error else None,
            }
            for m in new
        ],
    )


async def notify_couriers(connection: AsyncConnection) -> None:
    # Delivered only if the transaction commits, so no courier wakes for rows it cannot see.
    await connection.execute(select(func.pg_notify(NOTIFY_CHANNEL, "")))


# ----------------------------------------------------------------------------- courier side
#
# A courier holds the rows of a round locked in an open transaction while it sends them: another
# courier or replica skips them (SKIP LOCKED), and if the sender dies the database rolls back and
# the rows are due again at once. Their outcomes are written in that same transaction.


_IDLE_TIMEOUT = select(
    func.set_config("idle_in_transaction_session_timeout", bindparam("milliseconds"), True)
)
_DUE = (
    select(
        messages.c.id,
        messages.c.template,
        messages.c.language,
        messages.c.recipient_email,
        messages.c.recipient_name,
        messages.c.sender_name,
        messages.c.subject,
        messages.c.body_text,
        messages.c.body_html,
        messages.c.message_id_header,
        messages.c.attempts,
        messages.c.event_time,
    )
    .where(messages.c.status.in_(_DUE_STATUSES), messages.c.next_attempt_at <= func.now())
    .order_by(messages.c.next_attempt_at)
    .with_for_update(skip_locked=True)
)
_NEW_STATUS: BindParameter[str] = bindparam("new_status")
_SETTLE = (
    update(messages)
    .where(messages.c.id == bindparam("message_id"))
    .values(
        status=_NEW_STATUS,
        attempts=bindparam("new_attempts"),
        last_error=bindparam("error"),
        sent_at=case({Status.SENT.value: func.now()}, value=_NEW_STATUS, else_=None),
        next_attempt_at=case(
            {Status.FAILED.value: func.now() + bindparam("retry_in", type_=Interval)},
            value=_NEW_STATUS,
            else_=messages.c.next_attempt_at,
        ),
        updated_at=func.now(),
    )
)


async def claim_due(
    connection: AsyncConnection, *, limit: int, idle_timeout_s: float
) -> list[ClaimedMessage]:
    """Lock up to `limit` due rows in the caller's transaction, the longest-waiting first.

    `idle_timeout_s` ends the transaction (and frees the rows) if this replica stops talking to
    the database for that long, e.g. its host vanished without closing the connection.
    """
    # SET LOCAL, as a function (so the value is a parameter): for this transaction only.
    await connection.execute(_IDLE_TIMEOUT, {"milliseconds": str(int(idle_timeout_s * 1000))})
    rows = await connection.execute(_DUE.limit(limit))
    return [ClaimedMessage(**row._asdict()) for row in rows]


async def record_settled(connection: AsyncConnection, settled: Sequence[Settled]) -> None:
    """The outcomes of a round (sent; failed, due again after its delay; abandoned), written
    in the claiming transaction: one statement, executed for every row."""
    if not settled:
        return
    await connection.execute(
        _SETTLE,
        [
            {
                "message_id": item.id,
                "new_status": item.status.value,
                "new_attempts": item.attempts,
                "error": _truncate(item.error) if item.error else None,
                "retry_in": timedelta(seconds=item.retry_in_s),
            }
            for item in settled
        ],
    )


# ---------------------------------------------------------------------------- operator side


async def recent_messages(
    connection: AsyncConnection, *, status: Status | None, limit: int
) -> list[MessageSummary]:
    query = (
        select(
            messages.c.id,
            messages.c.event_type,
            messages.c.template,
            messages.c.language,
            messages.c.recipient_email,
            messages.c.status,
            messages.c.attempts,
            messages.c.next_attempt_at,
            messages.c.last_error,
            messages.c.created_at,
            messages.c.sent_at,
        )
        .order_by(messages.c.created_at.desc())
        .limit(limit)
    )
    if status is not None:
        query = query.where(messages.c.status == status)
    return [MessageSummary(**row._asdict()) for row in await connection.execute(query)]


async def user_messages(
    connection: AsyncConnection,
    *,
    user_id: str,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[HistoryEntry]:
    """Messages written to `user_id`, newest first, from just after the `after` cursor (the last
    (created_at, id) of the previous page). No body, no address."""
    query = (
        select(
            messages.c.id,
            messages.c.template,
            messages.c.event_type,
            messages.c.subject,
            messages.c.language,
            messages.c.status,
            messages.c.created_at,
            messages.c.sent_at,
        )
        .where(messages.c.recipient_user_id == user_id)
        .order_by(messages.c.created_at.desc(), messages.c.id.desc())
        .limit(limit)
    )
    if after is not None:
        query = query.where(
            tuple_(messages.c.created_at, messages.c.id)
            < tuple_(literal(after[0], DateTime(timezone=True)), literal(after[1], Uuid))
        )
    return [HistoryEntry(**row._asdict()) for row in await connection.execute(query)]


async def lock_message(connection: AsyncConnection, message_id: uuid.UUID) -> LockedMessage | None:
    """What an operator's change depends on, locked until the caller's transaction ends."""
    row = (
        await connection.execute(
            select(messages.c.status, messages.c.recipient_email, messages.c.body_scrubbed_at)
            .where(messages.c.id == message_id)
            .with_for_update()
        )
    ).one_or_none()
    return None if row is None else LockedMessage(**row._asdict())


async def queue_again(connection: AsyncConnection, message_id: uuid.UUID) -> None:
    """Due at once with a fresh budget of attempts."""
    await connection.execute(
        update(messages)
        .where(messages.c.id == message_id)
        .values(status=Status.QUEUED, attempts=0, next_attempt_at=func.now(), updated_at=func.now())
    )


async def abandon_by_operator(connection: AsyncConnection, message_id: uuid.UUID) -> None:
    await connection.execute(
        update(messages)
        .where(messages.c.id == message_id)
        .values(
            status=Status.ABANDONED,
            last_error="discarded by an operator",
            updated_at=func.now(),
        )
    )


# ----------------------------------------------------------------------------- housekeeping


async def prune_handled_events(connection: AsyncConnection, *, older_than_days: int) -> int:
    result = await connection.execute(
        delete(handled_events).where(handled_events.c.handled_at < _ago(days=older_than_days))
    )
    return result.rowcount


async def scrub_finished_bodies(connection: AsyncConnection, *, older_than_hours: int) -> int:
    result = await connection.execute(
        update(messages)
        .where(
            messages.c.status.in_((Status.SENT, Status.ABANDONED)),
            messages.c.body_scrubbed_at.is_(None),
            messages.c.updated_at < _ago(hours=older_than_hours),
        )
        .values(body_text="", body_html="", body_scrubbed_at=func.now())
    )
    return result.rowcount


# What a message says about its recipient once they are to be forgotten: no address, no name,
# no body (bodies name the address too); subject, template and times stay as the record.
_FORGOTTEN = {
    "recipient_email": None,
    "recipient_name": "",
    "body_text": "",
    "body_html": "",
    "body_scrubbed_at": func.coalesce(messages.c.body_scrubbed_at, func.now()),
}


_FINISHED = (Status.SENT, Status.ABANDONED)


async def forget_recipient(connection: AsyncConnection, *, user_id: str) -> int:
    """A deleted account's messages forget who they went to, and those still to be sent are
    abandoned (nobody is there to read them) — all but its final e-mail (FAREWELL_TEMPLATE),
    which goes out and is forgotten by housekeeping. A row a courier is sending is waited for
    (its lock), then forgotten as sent."""
    unfinished = messages.c.status.not_in(_FINISHED)
    result = await connection.execute(
        update(messages)
        .where(
            messages.c.recipient_user_id == user_id,
            or_(messages.c.status.in_(_FINISHED), messages.c.template != FAREWELL_TEMPLATE),
        )
        .values(
            {
                **_FORGOTTEN,
                "status": case(
                    (unfinished, literal(Status.ABANDONED.value)), else_=messages.c.status
                ),
                "last_error": case(
                    (unfinished, literal("the account was deleted")), else_=messages.c.last_error
                ),
                "updated_at": func.now(),
            }
        )
    )
    return result.rowcount


async def forget_farewell_recipients(
    connection: AsyncConnection, *, template: str, older_than_hours: int
) -> int:
    """The final e-mails of deleted accounts (their address came in the event, identity no longer
    has it) forget it as bodies are erased: `older_than_hours` after they finished."""
    result = await connection.execute(
        update(messages)
        .where(
            messages.c.template == template,
            messages.c.status.in_((Status.SENT, Status.ABANDONED)),
            messages.c.recipient_email.is_not(None),
            messages.c.updated_at < _ago(hours=older_than_hours),
        )
        .values(_FORGOTTEN)
    )
    return result.rowcount


async def prune_registry_memory(
    connection: AsyncConnection,
    *,
    requests_older_than_days: float,
    operators_older_than_days: int,
) -> int:
    """Forget pending requests past their last reminder and creators of long-decided operators."""
    requests = await connection.execute(
        delete(pending_role_requests).where(
            pending_role_requests.c.requested_at < _ago(days=requests_older_than_days)
        )
    )
    operators = await connection.execute(
        delete(operator_creators).where(
            operator_creators.c.created_at < _ago(days=operators_older_than_days)
        )
    )
    return requests.rowcount + operators.rowcount


# ----------------------------------------------------------------- what handlers remember


async def remember_operator_creator(
    connection: AsyncConnection, *, operator_id: str, user_id: str
) -> None:
    await connection.execute(
        insert(operator_creators)
        .values(operator_id=operator_id, user_id=user_id)
        .on_conflict_do_nothing(index_elements=[operator_creators.c.operator_id])
    )


async def operator_creator(connection: AsyncConnection, operator_id: str) -> str | None:
    user_id: str | None = await connection.scalar(
        select(operator_creators.c.user_id).where(operator_creators.c.operator_id == operator_id)
    )
    return user_id


async def forget_operator(connection: AsyncConnection, operator_id: str) -> None:
    await connection.execute(
        delete(operator_creators).where(operator_creators.c.operator_id == operator_id)
    )


async def track_role_request(
    connection: AsyncConnection, *, role_request_id: str, requested_at: datetime
) -> None:
    await connection.execute(
        insert(pending_role_requests)
        .values(role_request_id=role_request_id, requested_at=requested_at)
        .on_conflict_do_nothing(index_elements=[pending_role_requests.c.role_request_id])
    )


async def untrack_role_request(connection: AsyncConnection, role_request_id: str) -> None:
    await connection.execute(
        delete(pending_role_requests).where(
            pending_role_requests.c.role_request_id == role_request_id
        )
    )


async def tracked_role_requests(
    connection: AsyncConnection,
    *,
    after: tuple[datetime, str],
    requested_before: datetime,
    limit: int,
) -> list[tuple[str, datetime]]:
    """(request id, requested at) of tracked requests after `after` in (time, id) order."""
    rows = await connection.execute(
        select(pending_role_requests.c.role_request_id, pending_role_requests.c.requested_at)
        .where(
            pending_role_requests.c.requested_at < requested_before,
            tuple_(pending_role_requests.c.requested_at, pending_role_requests.c.role_request_id)
            > tuple_(literal(after[0]), literal(after[1])),
        )
        .order_by(pending_role_requests.c.requested_at, pending_role_requests.c.role_request_id)
        .limit(limit)
    )
    return [(row.role_request_id, row.requested_at) for row in rows]
