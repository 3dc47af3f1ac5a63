"""The SQL of signed-in sessions: start, resume, rotate and end them, list a user's own.

Deleting a session row fires the OIDC trigger of migration 0004 (its grants are revoked), so
every way a session ends goes through a DELETE here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Interval,
    bindparam,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_identity.sessions.models import Session
from gatehouse_identity.tables import sessions, users


@dataclass(frozen=True)
class ResumedSession:
    session: Session
    # Its idle clock lags by more than the resolution: worth moving on.
    stale: bool


@dataclass(frozen=True)
class LiveSession:
    """A row of the user's session list."""

    id_hash: bytes
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ip_address: str | None
    user_agent: str | None
    level: str


@dataclass(frozen=True)
class EndedSession:
    """What a rotated session hands on to the one replacing it."""

    user_id: uuid.UUID
    created_at: datetime
    expires_at: datetime
    ip_address: str | None
    user_agent: str | None


def _ago(duration: timedelta, name: str) -> Any:
    return func.now() - bindparam(name, duration, type_=Interval)


def _session(row: Any) -> Session:
    return Session(
        id_hash=row.id_hash,
        user_id=row.user_id,
        amr=list(row.amr),
        level=row.level,
        created_at=row.created_at,
        expires_at=row.expires_at,
        second_factor_at=row.second_factor_at,
    )


async def insert_session(
    connection: AsyncConnection,
    *,
    session: Session,
    last_seen_at: datetime | None,
    ip_address: str | None,
    user_agent: str | None,
) -> None:
    """`last_seen_at` None: the database's now()."""
    await connection.execute(
        insert(sessions).values(
            id_hash=session.id_hash,
            user_id=session.user_id,
            amr=session.amr,
            level=session.level,
            created_at=session.created_at,
            last_seen_at=func.now() if last_seen_at is None else last_seen_at,
            expires_at=session.expires_at,
            ip_address=ip_address,
            user_agent=user_agent,
            second_factor_at=session.second_factor_at,
        )
    )


async def live_session(
    connection: AsyncConnection, *, id_hash: bytes, idle_timeout: timedelta, stale_after: timedelta
) -> ResumedSession | None:
    """The session if neither expired nor idle longer than `idle_timeout`, of an account that is
    active: a sign-in that read the account as active just before a block (wrong passwords, "This
    wasn't me") ended its sessions can still add one afterwards."""
    row = (
        await connection.execute(
            select(
                sessions.c.id_hash,
                sessions.c.user_id,
                sessions.c.amr,
                sessions.c.level,
                sessions.c.created_at,
                sessions.c.expires_at,
                sessions.c.second_factor_at,
                (sessions.c.last_seen_at < _ago(stale_after, "stale_after")).label("stale"),
            )
            .join(users, users.c.id == sessions.c.user_id)
            .where(
                sessions.c.id_hash == id_hash,
                sessions.c.expires_at > func.now(),
                sessions.c.last_seen_at > _ago(idle_timeout, "idle_timeout"),
                users.c.status == literal_column("'active'"),  # a constant, not a parameter
            )
        )
    ).first()
    return None if row is None else ResumedSession(session=_session(row), stale=bool(row.stale))


async def touch(connection: AsyncConnection, *, id_hash: bytes) -> None:
    await connection.execute(
        update(sessions).where(sessions.c.id_hash == id_hash).values(last_seen_at=func.now())
    )


async def delete_session(
    connection: AsyncConnection, *, id_hash: bytes, user_id: uuid.UUID | None = None
) -> bool:
    """False when there was no such session (of `user_id`, if given)."""
    statement = delete(sessions).where(sessions.c.id_hash == id_hash)
    if user_id is not None:
        statement = statement.where(sessions.c.user_id == user_id)
    gone = await connection.scalar(statement.returning(literal(1)))
    return gone is not None


async def delete_user_sessions(
    connection: AsyncConnection, *, user_id: uuid.UUID, keep_hash: bytes | None
) -> int:
    """Ends every session of the user but `keep_hash`; how many ended."""
    gone = (
        delete(sessions)
        .where(sessions.c.user_id == user_id, sessions.c.id_hash.is_distinct_from(keep_hash))
        .returning(literal(1))
        .cte("gone")
    )
    return int(await connection.scalar(select(func.count()).select_from(gone)) or 0)


async def take_session(connection: AsyncConnection, *, id_hash: bytes) -> EndedSession | None:
    """Delete the session, returning what its successor keeps; None when already gone."""
    row = (
        await connection.execute(
            delete(sessions)
            .where(sessions.c.id_hash == id_hash)
            .returning(
                sessions.c.user_id,
                sessions.c.created_at,
                sessions.c.expires_at,
                sessions.c.ip_address,
                sessions.c.user_agent,
            )
        )
    ).first()
    if row is None:
        return None
    return EndedSession(
        user_id=row.user_id,
        created_at=row.created_at,
        expires_at=row.expires_at,
        ip_address=row.ip_address,
        user_agent=row.user_agent,
    )


async def live_sessions_of(
    connection: AsyncConnection, *, user_id: uuid.UUID, idle_timeout: timedelta
) -> list[LiveSession]:
    """The user's sessions neither expired nor idle too long, most recently used first."""
    rows = await connection.execute(
        select(
            sessions.c.id_hash,
            sessions.c.created_at,
            sessions.c.last_seen_at,
            sessions.c.expires_at,
            sessions.c.ip_address,
            sessions.c.user_agent,
            sessions.c.level,
        )
        .where(
            sessions.c.user_id == user_id,
            sessions.c.expires_at > func.now(),
            sessions.c.last_seen_at > _ago(idle_timeout, "idle_timeout"),
        )
        .order_by(sessions.c.last_seen_at.desc())
    )
    return [
        LiveSession(
            id_hash=row.id_hash,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            expires_at=row.expires_at,
            ip_address=row.ip_address,
            user_agent=row.user_agent,
            level=row.level,
        )
        for row in rows
    ]


async def lock_session_hashes(connection: AsyncConnection, *, user_id: uuid.UUID) -> list[bytes]:
    """The hashes of all the user's sessions, locked until the transaction ends."""
    rows = await connection.scalars(
        select(sessions.c.id_hash).where(sessions.c.user_id == user_id).with_for_update()
    )
    return list(rows)
