"""The registry's sessions: resuming one on every request reads it, and moves its idle clock on
only when the clock lags by more than a tenth of the idle timeout (a durable write per request
cost more than the rest of a search's statements together)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.db import Database
from gatehouse_registry.auth import sessions

IDLE = timedelta(minutes=30)


async def _session(database: Database) -> str:
    return await sessions.create_session(
        database,
        user_id=uuid.uuid4(),
        full_name="Sara Sökare",
        email="sara@example.se",
        level="multi_factor",
        amr=["pwd", "otp", "mfa"],
        identity_sid=None,
        id_token="",
        ttl=timedelta(hours=8),
    )


async def _idle_for(connection: AsyncConnection, token: str, minutes: int) -> None:
    await connection.execute(
        text(
            "UPDATE auth_sessions SET last_seen_at = now() - make_interval(mins => :minutes)"
            " WHERE id_hash = :hash"
        ),
        {"minutes": minutes, "hash": sessions.digest(token)},
    )


async def _idle_minutes(connection: AsyncConnection, token: str) -> float:
    seconds = (
        await connection.execute(
            text(
                "SELECT extract(epoch FROM now() - last_seen_at) FROM auth_sessions"
                " WHERE id_hash = :hash"
            ),
            {"hash": sessions.digest(token)},
        )
    ).scalar_one()
    return round(float(seconds) / 60, 1)


@pytest.mark.parametrize(
    ("idle_minutes", "idle_after"),
    [
        (2, 2.0),  # under a tenth of the 30 minutes: read, not written
        (4, 0.0),  # over it: the idle clock is moved on
    ],
)
async def test_the_idle_clock_is_moved_on_only_when_it_lags_by_a_tenth_of_the_timeout(
    rolled_back_database: Database,
    db_connection: AsyncConnection,
    idle_minutes: int,
    idle_after: float,
) -> None:
    token = await _session(rolled_back_database)
    await _idle_for(db_connection, token, idle_minutes)

    resumed = await sessions.resume_session(rolled_back_database, token, idle_timeout=IDLE)

    assert resumed is not None
    assert resumed.full_name == "Sara Sökare"
    assert await _idle_minutes(db_connection, token) == idle_after


async def test_an_idled_out_or_unknown_session_is_not_resumed(
    rolled_back_database: Database, db_connection: AsyncConnection
) -> None:
    token = await _session(rolled_back_database)
    await _idle_for(db_connection, token, 31)

    assert await sessions.resume_session(rolled_back_database, token, idle_timeout=IDLE) is None
    assert await sessions.resume_session(rolled_back_database, "x" * 43, idle_timeout=IDLE) is None
    assert await _idle_minutes(db_connection, token) == 31.0
