"""Identity access tokens the registry refuses before they expire.

The registry verifies identity's JWT access tokens itself (access_tokens.py), so identity cannot
tell it that one was revoked; it hears of two revocations that matter and keeps them here:

- a **back-channel logout** names an identity session (`sid`): every token of that session
  issued until then is refused;
- **identity.user.devices_reset** names a user: every token of theirs issued until the reset is
  refused (their sessions end too, so their logouts follow; this does not wait for them).

A revocation is a row of `access_token_revocations`, kept as long as a token it refuses could
still be valid (ACCESS_TOKEN_MAX_LIFETIME_S). Each replica holds them in memory and reads the new
rows at most SYNC_INTERVAL_S after it last did, on the next request that needs them, so a
revocation recorded by any replica holds in all of them within about a second (at once in the
replica that recorded it). If the database cannot be read for longer than MAX_STALENESS_S, tokens
are not accepted at all (RevocationsUnavailableError, a 503): a list that may miss a logout is
not used.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg
import sqlalchemy.exc
from sqlalchemy import delete, func, insert, select

from gatehouse_common.db import Database
from gatehouse_registry.tables import access_token_revocations as revocations

logger = logging.getLogger(__name__)

SYNC_INTERVAL_S = 1.0
MAX_STALENESS_S = 10.0
# Rows are read again from a little before the newest one seen: a row whose transaction began
# earlier may commit after a later one (statements here are single, short inserts).
OVERLAP = timedelta(seconds=10)
HOUSEKEEPING_INTERVAL_S = 600.0
# Kept a little longer than a token can live, for clocks that disagree.
KEEP_MARGIN = timedelta(minutes=5)
# Database trouble that may pass: SQLAlchemy's wrappers of the driver's errors, and the driver's
# own where it raises them before SQLAlchemy sees a connection.
DATABASE_ERRORS = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    OSError,
    TimeoutError,
)


class RevocationsUnavailableError(Exception):
    """The revocations could not be read for too long: no token can be accepted now."""


@dataclass(frozen=True)
class _Entry:
    issued_before: float  # epoch seconds: tokens issued at or before it are refused
    keep_until: float


def _later(current: _Entry | None, new: _Entry) -> _Entry:
    if current is None:
        return new
    return _Entry(
        max(current.issued_before, new.issued_before), max(current.keep_until, new.keep_until)
    )


class RevocationList:
    def __init__(self, database: Database, *, keep_for_s: float) -> None:
        self._database = database
        self._keep_for = timedelta(seconds=keep_for_s) + KEEP_MARGIN
        self._sessions: dict[str, _Entry] = {}
        self._users: dict[uuid.UUID, _Entry] = {}
        self._newest_seen: datetime | None = None
        self._synced_at = -float("inf")
        self._housekept_at = time.monotonic()
        self._lock = asyncio.Lock()

    async def refuses(self, *, sid: str | None, user_id: uuid.UUID, issued_at: float) -> bool:
        """Whether a token of session `sid` and user `user_id`, issued at `issued_at` (epoch
        seconds), was revoked."""
        await self._sync_if_due()
        for entry in (self._sessions.get(sid) if sid else None, self._users.get(user_id)):
            if entry is not None and issued_at <= entry.issued_before:
                return True
        return False

    async def revoke_session(
        self, *, sid: str, user_id: uuid.UUID | None, issued_before: datetime
    ) -> None:
        """A back-channel logout of identity session `sid`."""
        await self._record(sid=sid, user_id=None, issued_before=issued_before)
        logger.info("access tokens of a logged-out session refused", extra={"user_id": user_id})

    async def revoke_user(self, *, user_id: uuid.UUID, issued_before: datetime) -> None:
        """Every token of `user_id` issued until `issued_before` (their devices were reset)."""
        await self._record(sid=None, user_id=user_id, issued_before=issued_before)

    async def _record(
        self, *, sid: str | None, user_id: uuid.UUID | None, issued_before: datetime
    ) -> None:
        keep_until = issued_before + self._keep_for
        async with self._database.connection() as connection:
            await connection.execute(
                insert(revocations).values(
                    sid=sid, user_id=user_id, issued_before=issued_before, keep_until=keep_until
                )
            )
        self._remember(sid, user_id, issued_before, keep_until)

    def _remember(
        self,
        sid: str | None,
        user_id: uuid.UUID | None,
        issued_before: datetime,
        keep_until: datetime,
    ) -> None:
        entry = _Entry(issued_before.timestamp(), keep_until.timestamp())
        if sid is not None:
            self._sessions[sid] = _later(self._sessions.get(sid), entry)
        if user_id is not None:
            self._users[user_id] = _later(self._users.get(user_id), entry)

    async def _sync_if_due(self) -> None:
        if time.monotonic() - self._synced_at < SYNC_INTERVAL_S:
            return
        async with self._lock:
            if time.monotonic() - self._synced_at < SYNC_INTERVAL_S:
                return
            try:
                await self._sync()
            except DATABASE_ERRORS as error:
                stale_for = time.monotonic() - self._synced_at
                logger.warning("access token revocations not read", extra={"error": str(error)})
                if stale_for > MAX_STALENESS_S:
                    raise RevocationsUnavailableError(str(error)) from error
                return
            self._synced_at = time.monotonic()

    async def _sync(self) -> None:
        since = self._newest_seen - OVERLAP if self._newest_seen is not None else None
        query = select(
            revocations.c.sid,
            revocations.c.user_id,
            revocations.c.issued_before,
            revocations.c.keep_until,
            revocations.c.recorded_at,
        ).where(revocations.c.keep_until > func.now())
        if since is not None:
            query = query.where(revocations.c.recorded_at >= since)
        async with self._database.connection() as connection:
            rows = (await connection.execute(query)).all()
            if time.monotonic() - self._housekept_at > HOUSEKEEPING_INTERVAL_S:
                await connection.execute(
                    delete(revocations).where(revocations.c.keep_until < func.now())
                )
                self._housekept_at = time.monotonic()
        for row in rows:
            self._remember(row.sid, row.user_id, row.issued_before, row.keep_until)
            if self._newest_seen is None or row.recorded_at > self._newest_seen:
                self._newest_seen = row.recorded_at
        self._forget_expired()

    def _forget_expired(self) -> None:
        now = time.time()
        for table in (self._sessions, self._users):
            for key in [key for key, entry in table.items() if entry.keep_until < now]:
                del table[key]  # type: ignore[arg-type]
