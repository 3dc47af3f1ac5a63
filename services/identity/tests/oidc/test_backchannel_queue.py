"""The back-channel logout queue (oidc/backchannel_queries.py) on a rolled-back database: a due
logout is claimed once per lease, a failed one waits its delay, an abandoned one is never
claimed again."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_identity.oidc import backchannel_queries as queries
from gatehouse_identity.tables import oidc_backchannel_logouts, oidc_clients

LEASE = timedelta(seconds=60)


async def _queued(connection: AsyncConnection) -> int:
    client_id = f"app-{secrets.token_hex(4)}"
    await connection.execute(
        insert(oidc_clients).values(
            client_id=client_id,
            name="App",
            redirect_uris=["https://app.example.test/callback"],
            backchannel_logout_uri="https://app.example.test/backchannel",
            min_level="multi_factor",
            scopes=["openid"],
        )
    )
    logout_id: int = await connection.scalar(
        insert(oidc_backchannel_logouts)
        .values(client_id=client_id, user_id=uuid.uuid4(), sid="sid")
        .returning(oidc_backchannel_logouts.c.id)
    )
    return logout_id


async def test_a_due_logout_is_claimed_once_per_lease_and_retried_after_its_delay(
    db_connection: AsyncConnection,
) -> None:
    logout_id = await _queued(db_connection)
    (claimed,) = [
        due
        for due in await queries.claim_due(db_connection, lease=LEASE, batch=50)
        if due.id == logout_id
    ]
    assert claimed.attempts == 1
    assert claimed.backchannel_logout_uri == "https://app.example.test/backchannel"
    leased = await queries.claim_due(db_connection, lease=LEASE, batch=50)
    assert logout_id not in [due.id for due in leased]

    await queries.retry_later(
        db_connection, logout_id=logout_id, delay=timedelta(seconds=-1), error="HTTP 503"
    )
    again = await queries.claim_due(db_connection, lease=LEASE, batch=50)
    assert [due.attempts for due in again if due.id == logout_id] == [2]

    await queries.abandoned(db_connection, logout_id=logout_id, error="HTTP 503")
    error = await db_connection.scalar(
        select(oidc_backchannel_logouts.c.last_error).where(
            oidc_backchannel_logouts.c.id == logout_id
        )
    )
    assert error == "HTTP 503"


async def test_a_delivered_logout_is_done(db_connection: AsyncConnection) -> None:
    logout_id = await _queued(db_connection)
    await queries.claim_due(db_connection, lease=LEASE, batch=50)
    await queries.delivered(db_connection, logout_id=logout_id)
    await queries.retry_later(
        db_connection, logout_id=logout_id, delay=timedelta(seconds=-1), error="late"
    )
    assert logout_id not in [
        due.id for due in await queries.claim_due(db_connection, lease=LEASE, batch=50)
    ]
