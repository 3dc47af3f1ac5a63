"""The registry's own sessions (cookie = 256 random bits; the table keeps its SHA-256) and the
sign-ins in progress (state, nonce and PKCE verifier, single use)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg

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
    pool: asyncpg.Pool,
    *,
    browser_binding: str,
    nonce: str,
    code_verifier: str,
    return_to: str,
    ttl: timedelta,
) -> str:
    state = new_token()
    await pool.execute(
        """INSERT INTO auth_login_states (state_hash, browser_binding, nonce, code_verifier,
                                          return_to, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        digest(state),
        digest(browser_binding),
        nonce,
        code_verifier,
        return_to,
        datetime.now(UTC) + ttl,
    )
    return state


async def take_login(pool: asyncpg.Pool, state: str, browser_binding: str) -> LoginState | None:
    """The sign-in `state` belongs to, consumed (a replayed callback finds nothing), if this is
    the browser that started it."""
    if not state or len(state) > MAX_TOKEN_LENGTH or len(browser_binding) > MAX_TOKEN_LENGTH:
        return None
    row = await pool.fetchrow(
        """DELETE FROM auth_login_states WHERE state_hash = $1
           RETURNING browser_binding, nonce, code_verifier, return_to, expires_at""",
        digest(state),
    )
    if row is None or row["expires_at"] <= datetime.now(UTC):
        return None
    if not hmac.compare_digest(bytes(row["browser_binding"]), digest(browser_binding)):
        return None
    return LoginState(
        nonce=row["nonce"], code_verifier=row["code_verifier"], return_to=row["return_to"]
    )


async def create_session(
    pool: asyncpg.Pool,
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
    await pool.execute(
        """INSERT INTO auth_sessions (id_hash, user_id, full_name, email, level, amr,
                                      identity_sid, id_token, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        digest(token),
        user_id,
        full_name,
        email,
        level,
        amr,
        identity_sid,
        id_token,
        datetime.now(UTC) + ttl,
    )
    return token


async def resume_session(
    pool: asyncpg.Pool, token: str, *, idle_timeout: timedelta
) -> Session | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    row = await pool.fetchrow(
        """UPDATE auth_sessions SET last_seen_at = now()
            WHERE id_hash = $1 AND expires_at > now() AND last_seen_at > now() - $2::interval
        RETURNING user_id, full_name, email, level, amr, id_token""",
        digest(token),
        idle_timeout,
    )
    if row is None:
        return None
    return Session(
        user_id=row["user_id"],
        full_name=row["full_name"],
        email=row["email"],
        level=row["level"],
        amr=list(row["amr"]),
        id_token=row["id_token"],
    )


async def end_session(pool: asyncpg.Pool, token: str) -> Session | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    row = await pool.fetchrow(
        """DELETE FROM auth_sessions WHERE id_hash = $1
           RETURNING user_id, full_name, email, level, amr, id_token""",
        digest(token),
    )
    if row is None:
        return None
    return Session(
        user_id=row["user_id"],
        full_name=row["full_name"],
        email=row["email"],
        level=row["level"],
        amr=list(row["amr"]),
        id_token=row["id_token"],
    )


async def end_identity_session(
    pool: asyncpg.Pool, *, sid: str | None, user_id: uuid.UUID | None
) -> int:
    """Back-channel logout: end the sessions that came from identity session `sid` (or, when
    only `sub` is given, all of that user's sessions)."""
    if sid:
        result: str = await pool.execute(
            """DELETE FROM auth_sessions
                WHERE identity_sid = $1 AND ($2::uuid IS NULL OR user_id = $2)""",
            sid,
            user_id,
        )
    else:
        result = await pool.execute("DELETE FROM auth_sessions WHERE user_id = $1", user_id)
    return int(result.split()[-1])


async def delete_stale(pool: asyncpg.Pool) -> None:
    await pool.execute("DELETE FROM auth_sessions WHERE expires_at < now()")
    await pool.execute("DELETE FROM auth_login_states WHERE expires_at < now()")
