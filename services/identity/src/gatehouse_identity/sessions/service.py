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

from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.db import Database
from gatehouse_identity.sessions import queries
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
    database: Database,
    *,
    user_id: uuid.UUID,
    amr: list[str],
    level: str,
    absolute_timeout: timedelta,
    ip_address: str | None,
    user_agent: str | None,
    with_second_factor: bool = False,
) -> NewSession:
    """A new session; `with_second_factor`: the sign-in itself proved a second factor (a
    passkey), so the session counts as having proved one just now."""
    token = secrets.token_urlsafe(SESSION_TOKEN_BYTES)
    now = datetime.now(UTC)
    session = Session(
        id_hash=session_hash(token),
        user_id=user_id,
        amr=amr,
        level=level,
        created_at=now,
        expires_at=now + absolute_timeout,
        second_factor_at=now if with_second_factor else None,
    )
    async with database.connection() as connection:
        await queries.insert_session(
            connection,
            session=session,
            last_seen_at=now,
            ip_address=ip_address,
            user_agent=(user_agent or "")[:MAX_USER_AGENT_LENGTH],
        )
    return NewSession(token=token, session=session)


async def resume_session(
    database: Database, *, token: str, idle_timeout: timedelta
) -> Session | None:
    """The live session for a token, or None. Its idle clock is moved on only when it is more
    than a tenth of the idle timeout old: a read, not a durable write, on almost every page
    (make bench: a browser sign-in is eight requests), at the price of a session idling out up
    to a tenth early."""
    if not _plausible(token):
        return None
    async with database.connection() as connection:
        found = await queries.live_session(
            connection,
            id_hash=session_hash(token),
            idle_timeout=idle_timeout,
            stale_after=idle_timeout / IDLE_CLOCK_RESOLUTION,
        )
        if found is None:
            return None
        if found.stale:
            await queries.touch(connection, id_hash=found.session.id_hash)
    return found.session


async def end_session(database: Database, *, token: str) -> None:
    """Sign out the session of `token` (nothing happens for an unknown one)."""
    if _plausible(token):
        async with database.connection() as connection:
            await queries.delete_session(connection, id_hash=session_hash(token))


async def end_session_by_hash(connection: AsyncConnection, *, id_hash: bytes) -> bool:
    """End one session; False when it was already gone (ended by a parallel request)."""
    return await queries.delete_session(connection, id_hash=id_hash)


async def end_user_sessions(
    connection: AsyncConnection, *, user_id: uuid.UUID, keep_hash: bytes | None = None
) -> int:
    """End every session of the user but `keep_hash` (the one making the change, if any);
    returns how many ended."""
    return await queries.delete_user_sessions(connection, user_id=user_id, keep_hash=keep_hash)


async def rotate(
    connection: AsyncConnection,
    *,
    session: Session,
    level: str,
    amr: list[str],
    now: datetime,
) -> NewSession:
    """Replace the session by one with a new id at `level` with `amr`, a second factor proved
    `now`. Its absolute expiry stays: stepping up does not lengthen a session's life."""
    old = await queries.take_session(connection, id_hash=session.id_hash)
    if old is None:  # signed out, expired, or a parallel answer already raised it
        raise SignInAttemptOverError("this sign-in attempt is over: sign in again")
    token = secrets.token_urlsafe(SESSION_TOKEN_BYTES)
    new = Session(
        id_hash=session_hash(token),
        user_id=old.user_id,
        amr=amr,
        level=level,
        created_at=old.created_at,
        expires_at=old.expires_at,
        second_factor_at=now,
    )
    await queries.insert_session(
        connection,
        session=new,
        last_seen_at=None,
        ip_address=old.ip_address,
        user_agent=old.user_agent,
    )
    return NewSession(token=token, session=new)
