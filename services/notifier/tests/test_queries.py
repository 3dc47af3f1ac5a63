"""The notifier's statements on their own, each test inside a transaction that is rolled back
(gatehouse_devstack.pytest_plugin): what exactly-once consumption and the courier rely on."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_notifier import queries
from gatehouse_notifier.messages import NewMessage, Settled, Status
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


async def test_a_batch_of_events_is_marked_once_each(db_connection: AsyncConnection) -> None:
    first, second, third = (str(uuid.uuid4()) for _ in range(3))
    kind = "identity.user.created"
    marked = await queries.mark_events_handled(
        db_connection, [(second, kind), (first, kind), (second, kind)]
    )
    again = await queries.mark_events_handled(db_connection, [(third, kind), (first, kind)])
    assert (marked, again) == ({first, second}, {third})
    await queries.unmark_events_handled(db_connection, [first])
    assert await queries.mark_events_handled(db_connection, [(first, kind)]) == {first}


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

    claimed = await queries.claim_due(db_connection, limit=1, idle_timeout_s=60)
    assert [message.id for message in claimed] == [older]
    await queries.record_settled(
        db_connection, [Settled(older, Status.FAILED, 1, "451 try later", retry_in_s=600)]
    )
    claimed = await queries.claim_due(db_connection, limit=1, idle_timeout_s=60)
    assert [message.id for message in claimed] == [newer]
    timeout = await db_connection.scalar(
        select(func.current_setting("idle_in_transaction_session_timeout"))
    )
    assert timeout == "1min"  # for this transaction only (SET LOCAL)


async def test_a_round_records_each_outcome(db_connection: AsyncConnection) -> None:
    sent, failed, abandoned = [
        await factories.message(db_connection, due_in=LONG_AGO) for _ in range(3)
    ]
    await queries.record_settled(
        db_connection,
        [
            Settled(sent, Status.SENT, 1),
            Settled(failed, Status.FAILED, 3, "451 try later", retry_in_s=600),
            Settled(abandoned, Status.ABANDONED, 2, "550 no such mailbox"),
        ],
    )
    rows = {
        row.id: row
        for row in await db_connection.execute(
            select(
                messages.c.id,
                messages.c.status,
                messages.c.attempts,
                messages.c.last_error,
                (messages.c.sent_at == func.now()).label("sent_now"),
                (messages.c.next_attempt_at - func.now()).label("due_in"),
            ).where(messages.c.id.in_([sent, failed, abandoned]))
        )
    }
    assert tuple(rows[sent])[1:5] == (Status.SENT, 1, None, True)
    assert tuple(rows[failed])[1:] == (
        Status.FAILED,
        3,
        "451 try later",
        None,
        timedelta(seconds=600),
    )
    assert tuple(rows[abandoned])[1:5] == (Status.ABANDONED, 2, "550 no such mailbox", None)
    assert rows[abandoned].due_in < timedelta(0)  # its due time is left as it was


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
