"""Signed-in sessions: a random id in an HttpOnly cookie (or a bearer token for API clients);
only its SHA-256 is stored. Sessions end when idle too long or at an absolute limit.

A raised level gets a new session id (OWASP: rotate the identifier whenever privileges change):
`rotate` deletes the old row and inserts the new one in the caller's transaction, so whatever
raised it (a code, an approval, an assertion) raises exactly one session, once. Deleting a
session row fires the OIDC trigger of migration 0004: the grants and tokens it gave are revoked
and back-channel logouts are queued.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from gatehouse_common.db import Connection
from gatehouse_identity.sessions.errors import SignInAttemptOverError
from gatehouse_identity.sessions.models import NewSession, Session

SESSION_TOKEN_BYTES = 32
# The idle clock is touched when it lags by more than 1/10 of the idle timeout.
IDLE_CLOCK_RESOLUTION = 10
MAX_SESSION_TOKEN_LENGTH = 100
MAX_USER_AGENT_LENGTH = 300


def session_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _plausible(token: str) -> bool:
    """Tokens are base64url: anything else is no session (and has no UTF-8 to hash)."""
    return bool(token) and len(token) <= MAX_SESSION_TOKEN_LENGTH and token.isascii()


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
        (user_agent or "")[:MAX_USER_AGENT_LENGTH],
    )
    return NewSession(token=token, session=session)


async def resume_session(
    pool: asyncpg.Pool, *, token: str, idle_timeout: timedelta
) -> Session | None:
    """The live session for a token, or None. Its idle clock is moved on only when it is more
    than a tenth of the idle timeout old: a read, not a durable write, on almost every page
    (make bench: a browser sign-in is eight requests), at the price of a session idling out up
    to a tenth early."""
    if not _plausible(token):
        return None
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
    """Sign out the session of `token` (nothing happens for an unknown one)."""
    if _plausible(token):
        await pool.execute("DELETE FROM sessions WHERE id_hash = $1", session_hash(token))


async def end_session_by_hash(db: asyncpg.Pool | Connection, *, id_hash: bytes) -> bool:
    """End one session; False when it was already gone (ended by a parallel request)."""
    ended = await db.fetchval("DELETE FROM sessions WHERE id_hash = $1 RETURNING 1", id_hash)
    return ended is not None


async def end_user_sessions(
    connection: Connection, *, user_id: uuid.UUID, keep_hash: bytes | None = None
) -> int:
    """End every session of the user but `keep_hash` (the one making the change, if any);
    returns how many ended."""
    ended = await connection.fetchval(
        """WITH gone AS (DELETE FROM sessions
                          WHERE user_id = $1 AND id_hash IS DISTINCT FROM $2 RETURNING 1)
           SELECT count(*) FROM gone""",
        user_id,
        keep_hash,
    )
    return int(ended or 0)


async def rotate(
    connection: Connection, *, session: Session, level: str, amr: list[str], now: datetime
) -> NewSession:
    """Replace the session by one with a new id at `level` with `amr`, a second factor proved
    `now`. Its absolute expiry stays: stepping up does not lengthen a session's life."""
    old = await connection.fetchrow(
        """DELETE FROM sessions WHERE id_hash = $1
        RETURNING user_id, created_at, expires_at, ip_address, user_agent""",
        session.id_hash,
    )
    if old is None:  # signed out, expired, or a parallel answer already raised it
        raise SignInAttemptOverError("this sign-in attempt is over: sign in again")
    token = secrets.token_urlsafe(SESSION_TOKEN_BYTES)
    await connection.execute(
        """INSERT INTO sessions (id_hash, user_id, amr, level, created_at, last_seen_at,
                                 expires_at, ip_address, user_agent, second_factor_at)
           VALUES ($1, $2, $3, $4, $5, now(), $6, $7, $8, $9)""",
        session_hash(token),
        old["user_id"],
        amr,
        level,
        old["created_at"],
        old["expires_at"],
        old["ip_address"],
        old["user_agent"],
        now,
    )
    return NewSession(
        token=token,
        session=Session(
            id_hash=session_hash(token),
            user_id=old["user_id"],
            amr=amr,
            level=level,
            created_at=old["created_at"],
            expires_at=old["expires_at"],
            second_factor_at=now,
        ),
    )
