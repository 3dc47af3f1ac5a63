"""Signed-in sessions: a random id in an HttpOnly cookie (or a bearer token for API clients);
only its SHA-256 is stored. Sessions end when idle too long or at an absolute limit."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

SESSION_TOKEN_BYTES = 32
# The idle clock is touched when it lags by more than 1/10 of the idle timeout.
IDLE_CLOCK_RESOLUTION = 10
MAX_SESSION_TOKEN_LENGTH = 100


class AuthLevel:
    """How strongly the session's user proved who they are (second factors raise it)."""

    PASSWORD = "password"  # noqa: S105  (a level name, not a password)
    # Password and any second factor (SMS only before the SMS sunset date).
    MULTI_FACTOR = "multi_factor"
    # Password and a WebAuthn security key or passkey: bound to the origin, so not phishable.
    PHISHING_RESISTANT = "phishing_resistant"

    ORDER = (PASSWORD, MULTI_FACTOR, PHISHING_RESISTANT)


def level_satisfies(have: str, need: str) -> bool:
    """True when a session at level `have` may do what needs level `need`.

    An unknown level satisfies nothing and is satisfied by nothing (fail closed)."""
    order = AuthLevel.ORDER
    return have in order and need in order and order.index(have) >= order.index(need)


@dataclass(frozen=True)
class Session:
    id_hash: bytes
    user_id: uuid.UUID
    amr: list[str]
    level: str
    created_at: datetime
    expires_at: datetime
    # When a second factor was last proved in this session (None: never).
    second_factor_at: datetime | None = None


@dataclass(frozen=True)
class NewSession:
    token: str
    session: Session


def session_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def start_session(
    pool: asyncpg.Pool,
    *,
    user_id: uuid.UUID,
    amr: list[str],
    level: str,
    absolute_timeout: timedelta,
    ip_address: str | None,
    user_agent: str | None,
) -> NewSession:
    token = secrets.token_urlsafe(SESSION_TOKEN_BYTES)
    now = datetime.now(UTC)
    session = Session(
        id_hash=session_hash(token),
        user_id=user_id,
        amr=amr,
        level=level,
        created_at=now,
        expires_at=now + absolute_timeout,
    )
    await pool.execute(
        """INSERT INTO sessions (id_hash, user_id, amr, level, created_at, last_seen_at,
                                 expires_at, ip_address, user_agent)
           VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)""",
        session.id_hash,
        user_id,
        amr,
        level,
        now,
        session.expires_at,
        ip_address,
        (user_agent or "")[:300],
    )
    return NewSession(token=token, session=session)


async def resume_session(
    pool: asyncpg.Pool, *, token: str, idle_timeout: timedelta
) -> Session | None:
    """The live session for a token, or None. Its idle clock is moved on only when it is more
    than a tenth of the idle timeout old: a read, not a durable write, on almost every page
    (make bench: a browser sign-in is eight requests), at the price of a session idling out up
    to a tenth early."""
    if not token or len(token) > MAX_SESSION_TOKEN_LENGTH or not token.isascii():
        return None  # tokens are base64url: anything else is no session (and has no UTF-8)
    row = await pool.fetchrow(
        """SELECT id_hash, user_id, amr, level, created_at, expires_at, second_factor_at,
                  last_seen_at < now() - $3::interval AS stale
             FROM sessions
            WHERE id_hash = $1 AND expires_at > now() AND last_seen_at > now() - $2::interval""",
        session_hash(token),
        idle_timeout,
        idle_timeout / IDLE_CLOCK_RESOLUTION,
    )
    if row is None:
        return None
    if row["stale"]:
        await pool.execute(
            "UPDATE sessions SET last_seen_at = now() WHERE id_hash = $1", row["id_hash"]
        )
    return Session(
        id_hash=row["id_hash"],
        user_id=row["user_id"],
        amr=list(row["amr"]),
        level=row["level"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        second_factor_at=row["second_factor_at"],
    )


async def end_session(pool: asyncpg.Pool, *, token: str) -> None:
    if token and len(token) <= MAX_SESSION_TOKEN_LENGTH and token.isascii():
        await pool.execute("DELETE FROM sessions WHERE id_hash = $1", session_hash(token))
