"""The registry's own sessions (cookie = 256 random bits; the table keeps its SHA-256) and the
sign-ins in progress (state, nonce and PKCE verifier, single use): the sign-in's query module."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Interval, bindparam, delete, func, insert, select, update

from gatehouse_common.db import Database
from gatehouse_registry.tables import auth_login_states, auth_sessions

MAX_TOKEN_LENGTH = 100


def digest(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Session:
    user_id: uuid.UUID
    full_name: str
    email: str
    level: str
    amr: list[str] = field(default_factory=list)
    id_token: str = ""


@dataclass(frozen=True)
class LoginState:
    nonce: str
    code_verifier: str
    return_to: str


async def start_login(
    database: Database,
    *,
    browser_binding: str,
    nonce: str,
    code_verifier: str,
    return_to: str,
    ttl: timedelta,
) -> str:
    state = new_token()
    async with database.connection() as connection:
        await connection.execute(
            insert(auth_login_states).values(
                state_hash=digest(state),
                browser_binding=digest(browser_binding),
                nonce=nonce,
                code_verifier=code_verifier,
                return_to=return_to,
                expires_at=datetime.now(UTC) + ttl,
            )
        )
    return state


async def take_login(database: Database, state: str, browser_binding: str) -> LoginState | None:
    """The sign-in `state` belongs to, consumed (a replayed callback finds nothing), if this is
    the browser that started it."""
    if not state or len(state) > MAX_TOKEN_LENGTH or len(browser_binding) > MAX_TOKEN_LENGTH:
        return None
    async with database.connection() as connection:
        row = (
            await connection.execute(
                delete(auth_login_states)
                .where(auth_login_states.c.state_hash == digest(state))
                .returning(
                    auth_login_states.c.browser_binding,
                    auth_login_states.c.nonce,
                    auth_login_states.c.code_verifier,
                    auth_login_states.c.return_to,
                    auth_login_states.c.expires_at,
                )
            )
        ).first()
    if row is None or row.expires_at <= datetime.now(UTC):
        return None
    if not hmac.compare_digest(bytes(row.browser_binding), digest(browser_binding)):
        return None
    return LoginState(nonce=row.nonce, code_verifier=row.code_verifier, return_to=row.return_to)


async def create_session(
    database: Database,
    *,
    user_id: uuid.UUID,
    full_name: str,
    email: str,
    level: str,
    amr: list[str],
    identity_sid: str | None,
    id_token: str,
    ttl: timedelta,
) -> str:
    token = new_token()
    async with database.connection() as connection:
        await connection.execute(
            insert(auth_sessions).values(
                id_hash=digest(token),
                user_id=user_id,
                full_name=full_name,
                email=email,
                level=level,
                amr=amr,
                identity_sid=identity_sid,
                id_token=id_token,
                expires_at=datetime.now(UTC) + ttl,
            )
        )
    return token


_SESSION = (
    auth_sessions.c.user_id,
    auth_sessions.c.full_name,
    auth_sessions.c.email,
    auth_sessions.c.level,
    auth_sessions.c.amr,
    auth_sessions.c.id_token,
)


def _session(row: Any) -> Session:
    return Session(
        user_id=row.user_id,
        full_name=row.full_name,
        email=row.email,
        level=row.level,
        amr=list(row.amr),
        id_token=row.id_token,
    )


# The idle clock is moved on only when it lags by more than 1/IDLE_CLOCK_RESOLUTION of the idle
# timeout (as identity does): a read on almost every request instead of a durable write, whose
# commit waits for the disk — 1.8 ms of each request's 1.9 ms here on the benchmark machine
# (`make bench`'s operator_search: every search is a request). A session may so idle out up to
# a tenth early.
IDLE_CLOCK_RESOLUTION = 10


def _ago(name: str) -> Any:
    return func.now() - bindparam(name, type_=Interval)


# Run on every request, so built once (SQLAlchemy then finds its compiled form without building
# and hashing the statement again; it halved this statement's CPU time, see the README's data
# layer figures): the session, unless it expired or idled out, and whether its idle clock lags.
RESUME = select(
    *_SESSION, (auth_sessions.c.last_seen_at < _ago("stale_after")).label("stale")
).where(
    auth_sessions.c.id_hash == bindparam("token_hash"),
    auth_sessions.c.expires_at > func.now(),
    auth_sessions.c.last_seen_at > _ago("idle_timeout"),
)
TOUCH = (
    update(auth_sessions)
    .where(auth_sessions.c.id_hash == bindparam("token_hash"))
    .values(last_seen_at=func.now())
)


async def resume_session(
    database: Database, token: str, *, idle_timeout: timedelta
) -> Session | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    token_hash = digest(token)
    async with database.connection() as connection:
        row = (
            await connection.execute(
                RESUME,
                {
                    "token_hash": token_hash,
                    "idle_timeout": idle_timeout,
                    "stale_after": idle_timeout / IDLE_CLOCK_RESOLUTION,
                },
            )
        ).first()
        if row is not None and row.stale:
            await connection.execute(TOUCH, {"token_hash": token_hash})
    return _session(row) if row else None


async def end_session(database: Database, token: str) -> Session | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    async with database.connection() as connection:
        row = (
            await connection.execute(
                delete(auth_sessions)
                .where(auth_sessions.c.id_hash == digest(token))
                .returning(*_SESSION)
            )
        ).first()
    return _session(row) if row else None


async def end_identity_session(
    database: Database, *, sid: str | None, user_id: uuid.UUID | None
) -> int:
    """Back-channel logout: end the sessions that came from identity session `sid` (or, when
    only `sub` is given, all of that user's sessions)."""
    if sid:
        condition = auth_sessions.c.identity_sid == sid
        if user_id is not None:
            condition &= auth_sessions.c.user_id == user_id
    else:
        condition = auth_sessions.c.user_id == user_id
    async with database.connection() as connection:
        ended = await connection.execute(
            delete(auth_sessions).where(condition).returning(auth_sessions.c.id_hash)
        )
        return len(ended.all())


async def delete_stale(database: Database) -> None:
    async with database.connection() as connection:
        await connection.execute(
            delete(auth_sessions).where(auth_sessions.c.expires_at < func.now())
        )
        await connection.execute(
            delete(auth_login_states).where(auth_login_states.c.expires_at < func.now())
        )
