"""A deleted account in the notifier (issue 18): identity.user.deleted erases the address, the
name and the bodies of the user's messages, and those still to be sent are not sent (abandoned);
their final e-mail (account_deleted, whose address came in its own event) is sent and keeps its
address until housekeeping erases it with the bodies, MESSAGE_BODY_RETENTION_HOURS after it was
sent. Other people's messages are left alone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.db import Database
from gatehouse_notifier.housekeeping import Housekeeping
from gatehouse_notifier.memory import DatabaseMemory
from gatehouse_notifier.messages import Status
from gatehouse_notifier.tables import messages

from . import factories

LEAVING = "usr-leaving"


async def _recipients(connection: AsyncConnection) -> dict[Any, tuple[Any, ...]]:
    rows = await connection.execute(
        select(
            messages.c.id,
            messages.c.recipient_email,
            messages.c.recipient_name,
            messages.c.body_text,
        )
    )
    return {row.id: (row.recipient_email, row.recipient_name, row.body_text) for row in rows}


async def test_a_deleted_users_messages_forget_them_and_only_the_farewell_goes(
    db_connection: AsyncConnection,
) -> None:
    sent = await factories.message(db_connection, status=Status.SENT, recipient_user_id=LEAVING)
    abandoned = await factories.message(
        db_connection, status=Status.ABANDONED, recipient_user_id=LEAVING
    )
    queued = await factories.message(db_connection, recipient_user_id=LEAVING)
    failed = await factories.message(db_connection, status=Status.FAILED, recipient_user_id=LEAVING)
    farewell = await factories.message(
        db_connection, recipient_user_id=LEAVING, template="account_deleted"
    )
    someone_else = await factories.message(db_connection, status=Status.SENT)

    await DatabaseMemory(db_connection).forget_recipient(LEAVING)

    found = await _recipients(db_connection)
    for gone in (sent, abandoned, queued, failed):
        assert found[gone] == (None, "", ""), gone
    assert found[farewell] == ("someone@example.test", "Anna Svensson", "text")
    assert found[someone_else] == ("someone@example.test", "Anna Svensson", "text")
    statuses = {
        row.id: row.status
        for row in await db_connection.execute(select(messages.c.id, messages.c.status))
    }
    # Mail still to go to a deleted account is not sent; its final e-mail is.
    assert [statuses[m] for m in (sent, queued, failed, farewell)] == [
        Status.SENT,
        Status.ABANDONED,
        Status.ABANDONED,
        Status.QUEUED,
    ]


async def test_housekeeping_erases_the_final_emails_address_with_its_body(
    notifier: Any, db_connection: AsyncConnection, rolled_back_database: Database
) -> None:
    farewell = {
        "recipient_user_id": LEAVING,
        "template": "account_deleted",
        "event_type": "identity.user.farewell_requested",
    }
    old = await factories.message(
        db_connection, status=Status.SENT, updated_at=func.now() - timedelta(days=3), **farewell
    )
    recent = await factories.message(db_connection, status=Status.SENT, **farewell)
    other = await factories.message(
        db_connection, status=Status.SENT, updated_at=func.now() - timedelta(days=3)
    )

    await Housekeeping(database=rolled_back_database, settings=notifier.settings).run_once()

    found = await _recipients(db_connection)
    assert found[old] == (None, "", "")
    assert found[recent] == ("someone@example.test", "Anna Svensson", "text")
    assert found[other] == ("someone@example.test", "Anna Svensson", "")
