"""Sessions on a rolled-back database: how they start, resume, rotate and end (the statements
in sessions/queries.py, through the service functions the transports call)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.db import Database
from gatehouse_identity.sessions import active
from gatehouse_identity.sessions import service as sessions
from gatehouse_identity.sessions.errors import SessionNotFoundError, SignInAttemptOverError
from gatehouse_identity.sessions.models import NewSession
from gatehouse_identity.tables import audit_log
from gatehouse_identity.tables import sessions as sessions_table

IDLE = timedelta(minutes=30)
DAY = timedelta(days=1)


async def _start(database: Database, user_id: object) -> NewSession:
    return await sessions.start_session(
        database,
        user_id=user_id,  # type: ignore[arg-type]
        amr=["pwd"],
        level="password",
        absolute_timeout=DAY,
        ip_address="192.0.2.1",
        user_agent="x" * 400,
    )


async def test_a_started_session_resumes_until_idle_or_ended(
    rolled_back_database: Database, db_connection: AsyncConnection, make_user: Any
) -> None:
    user_id = await make_user()
    new = await _start(rolled_back_database, user_id)
    resumed = await sessions.resume_session(
        rolled_back_database, token=new.token, idle_timeout=IDLE
    )
    assert resumed == new.session
    stored = await db_connection.scalar(select(sessions_table.c.user_agent))
    assert stored == "x" * sessions.MAX_USER_AGENT_LENGTH

    # Idle for longer than the timeout: gone; a stale but live one has its clock moved on.
    await db_connection.execute(
        update(sessions_table).values(last_seen_at=datetime.now(UTC) - IDLE / 2)
    )
    assert await sessions.resume_session(rolled_back_database, token=new.token, idle_timeout=IDLE)
    moved = await db_connection.scalar(select(sessions_table.c.last_seen_at))
    assert moved is not None
    assert moved > datetime.now(UTC) - IDLE / 4
    await db_connection.execute(
        update(sessions_table).values(last_seen_at=datetime.now(UTC) - IDLE * 2)
    )
    assert not await sessions.resume_session(
        rolled_back_database, token=new.token, idle_timeout=IDLE
    )
    assert not await sessions.resume_session(rolled_back_database, token="é", idle_timeout=IDLE)


async def test_rotating_replaces_the_session_once(
    rolled_back_database: Database, db_connection: AsyncConnection, make_user: Any
) -> None:
    user_id = await make_user()
    new = await _start(rolled_back_database, user_id)
    now = datetime.now(UTC)
    raised = await sessions.rotate(
        db_connection, session=new.session, level="multi_factor", amr=["pwd", "otp"], now=now
    )
    assert raised.session.expires_at == new.session.expires_at
    assert raised.session.second_factor_at == now
    assert (
        await sessions.resume_session(rolled_back_database, token=raised.token, idle_timeout=IDLE)
        == raised.session
    )
    assert not await sessions.resume_session(
        rolled_back_database, token=new.token, idle_timeout=IDLE
    )
    with pytest.raises(SignInAttemptOverError):
        await sessions.rotate(
            db_connection, session=new.session, level="multi_factor", amr=["otp"], now=now
        )


async def test_a_user_ends_one_session_or_all(
    rolled_back_database: Database, db_connection: AsyncConnection, make_user: Any
) -> None:
    user_id = await make_user()
    other_user = await make_user()
    first, second = [await _start(rolled_back_database, user_id) for _ in range(2)]
    untouched = await _start(rolled_back_database, other_user)
    listed = await active.active_sessions(
        rolled_back_database,
        user_id=user_id,
        current_hash=first.session.id_hash,
        idle_timeout_s=int(IDLE.total_seconds()),
    )
    assert sorted(item.current for item in listed) == [False, True]

    await active.end_session(
        rolled_back_database,
        user_id=user_id,
        session_public_id=active.public_id(second.session.id_hash),
    )
    with pytest.raises(SessionNotFoundError):  # not the other user's, nor twice
        await active.end_session(
            rolled_back_database,
            user_id=user_id,
            session_public_id=active.public_id(untouched.session.id_hash),
        )
    assert await active.sign_out_everywhere(rolled_back_database, user_id=user_id) == 1
    assert await sessions.end_user_sessions(db_connection, user_id=other_user, keep_hash=None) == 1
    kinds = await db_connection.scalars(
        select(audit_log.c.kind).where(audit_log.c.user_id == user_id).order_by(audit_log.c.id)
    )
    assert list(kinds) == ["session.ended", "session.signed_out_everywhere"]
