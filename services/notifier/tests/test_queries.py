"""The notifier's statements on their own, each test inside a transaction that is rolled back
(gatehouse_devstack.pytest_plugin): what exactly-once consumption and the courier rely on."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_notifier import queries
from gatehouse_notifier.messages import NewMessage, Status
from gatehouse_notifier.tables import messages

from . import factories

LONG_AGO = -timedelta(days=3650)  # due before anything another test left behind


async def test_an_event_is_handled_once(db_connection: AsyncConnection) -> None:
    event_id = str(uuid.uuid4())
    first = await queries.mark_event_handled(
        db_connection, event_id=event_id, event_type="identity.user.created"
    )
    again = await queries.mark_event_handled(
        db_connection, event_id=event_id, event_type="identity.user.created"
    )
    assert (first, again) == (True, False)


async def test_a_message_written_again_keeps_the_first(db_connection: AsyncConnection) -> None:
    event_id = str(uuid.uuid4())

    def draft(subject: str) -> NewMessage:
        return NewMessage(
            event_id=event_id,
            event_type="identity.user.created",
            event_time=datetime.now(UTC),
            template="account_created",
            recipient_user_id="usr-1",
            message_id_header=f"<{event_id}@test>",
            status=Status.QUEUED,
            recipient_email="anna@example.test",
            subject=subject,
            last_error="x" * 2000,
        )

    await queries.insert_messages(db_connection, [draft("first")])
    await queries.insert_messages(db_connection, [draft("second")])
    rows = (
        await db_connection.execute(
            select(messages.c.subject, messages.c.last_error).where(
                messages.c.event_id == uuid.UUID(event_id)
            )
        )
    ).all()
    assert [row.subject for row in rows] == ["first"]
    assert len(rows[0].last_error) == queries.MAX_ERROR_CHARS  # a long error is cut, not refused


async def test_the_courier_claims_what_is_due_oldest_first(db_connection: AsyncConnection) -> None:
    older = await factories.message(db_connection, due_in=LONG_AGO - timedelta(days=1))
    newer = await factories.message(db_connection, due_in=LONG_AGO)
    await factories.message(db_connection, due_in=timedelta(hours=1), status=Status.FAILED)
    await factories.message(db_connection, due_in=LONG_AGO, status=Status.SENT)

    claimed = await queries.claim_next(db_connection, idle_timeout_s=60)
    assert claimed is not None
    assert claimed.id == older
    await queries.record_failed(
        db_connection, older, attempts=1, error="451 try later", retry_in_s=600
    )
    claimed = await queries.claim_next(db_connection, idle_timeout_s=60)
    assert claimed is not None
    assert claimed.id == newer
    timeout = await db_connection.scalar(
        select(func.current_setting("idle_in_transaction_session_timeout"))
    )
    assert timeout == "1min"  # for this transaction only (SET LOCAL)


async def test_a_failed_message_waits_for_its_retry(db_connection: AsyncConnection) -> None:
    message_id = await factories.message(db_connection, due_in=LONG_AGO)
    await queries.record_failed(
        db_connection, message_id, attempts=3, error="451 try later", retry_in_s=600
    )
    row = (
        await db_connection.execute(
            select(
                messages.c.status,
                messages.c.attempts,
                messages.c.last_error,
                messages.c.next_attempt_at - func.now(),
            ).where(messages.c.id == message_id)
        )
    ).one()
    assert tuple(row) == (Status.FAILED, 3, "451 try later", timedelta(seconds=600))


async def test_tracked_requests_come_in_pages(db_connection: AsyncConnection) -> None:
    start = datetime(2001, 1, 1, tzinfo=UTC)
    tracked = [(f"req-{n}", start + timedelta(hours=n // 2)) for n in range(5)]
    for request_id, requested_at in tracked:
        await queries.track_role_request(
            db_connection, role_request_id=request_id, requested_at=requested_at
        )
    pages, after = [], (start - timedelta(seconds=1), "")
    while page := await queries.tracked_role_requests(
        db_connection, after=after, requested_before=start + timedelta(days=1), limit=2
    ):
        pages.append(page)
        after = (page[-1][1], page[-1][0])
    assert [request for page in pages for request in page] == tracked
    assert [len(page) for page in pages] == [2, 2, 1]
