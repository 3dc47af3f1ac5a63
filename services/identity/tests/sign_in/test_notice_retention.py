"""How long identity keeps what new-device notices need (housekeeping, on a rolled-back
database): a seen network only for the 90 days the rule looks back (but a user's latest one,
else a long absence would silence the next notice), a notice only while its "This wasn't me"
link can still be used or still be asked for."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.db import Database
from gatehouse_identity.sign_in import notices
from gatehouse_identity.tables import seen_networks, sign_in_notices

DAY = timedelta(days=1)


async def _seen(
    connection: AsyncConnection, user_id: uuid.UUID, network: str, ago: timedelta
) -> None:
    when = datetime.now(UTC) - ago
    await connection.execute(
        insert(seen_networks).values(
            user_id=user_id, network=network, first_seen_at=when, last_seen_at=when
        )
    )


async def _notice(
    connection: AsyncConnection,
    user_id: uuid.UUID,
    *,
    signed_in: timedelta,
    link_expires: timedelta | None = None,
    reported: bool = False,
) -> uuid.UUID:
    now = datetime.now(UTC)
    event_id = uuid.uuid4()
    await connection.execute(
        insert(sign_in_notices).values(
            event_id=event_id,
            user_id=user_id,
            network="198.51.100.0/24",
            browser="Firefox 128, Windows 10",
            signed_in_at=now - signed_in,
            report_token_hash=None if link_expires is None else uuid.uuid4().bytes,
            report_expires_at=None if link_expires is None else now + link_expires,
            reported_at=now - signed_in + DAY if reported else None,
        )
    )
    return event_id


async def test_seen_networks_are_kept_for_the_window_the_rule_looks_back(
    rolled_back_database: Database, db_connection: AsyncConnection, make_user: Any
) -> None:
    recent_user = await make_user()
    await _seen(db_connection, recent_user, "192.0.2.0/24", 91 * DAY)
    await _seen(db_connection, recent_user, "203.0.113.0/24", 10 * DAY)
    absent_user = await make_user()  # has not signed in for months
    await _seen(db_connection, absent_user, "192.0.2.0/24", 200 * DAY)
    await _seen(db_connection, absent_user, "198.51.100.0/24", 150 * DAY)

    await notices.forget_old(rolled_back_database)

    rows = await db_connection.execute(select(seen_networks.c.user_id, seen_networks.c.network))
    assert sorted((row.user_id == recent_user, row.network) for row in rows) == [
        (False, "198.51.100.0/24"),  # the absent user's latest network only
        (True, "203.0.113.0/24"),
    ]
    # ... so their next sign-in from a browser and network of someone else is still told.
    told = await notices.note_sign_in(
        rolled_back_database,
        user_id=absent_user,
        address="203.0.113.9",
        user_agent=None,
        known_device=False,
    )
    assert told is True


async def test_notices_are_kept_while_their_link_can_be_used_or_asked_for(
    rolled_back_database: Database, db_connection: AsyncConnection, make_user: Any
) -> None:
    user_id = await make_user()
    link_open = await _notice(db_connection, user_id, signed_in=3 * DAY, link_expires=4 * DAY)
    await _notice(db_connection, user_id, signed_in=8 * DAY, link_expires=-DAY)
    await _notice(db_connection, user_id, signed_in=8 * DAY, link_expires=-DAY, reported=True)
    not_yet_mailed = await _notice(db_connection, user_id, signed_in=2 * DAY)
    await _notice(db_connection, user_id, signed_in=30 * DAY)  # its event is past the stream

    await notices.forget_old(rolled_back_database)

    kept = set(await db_connection.scalars(select(sign_in_notices.c.event_id)))
    assert kept == {link_open, not_yet_mailed}
