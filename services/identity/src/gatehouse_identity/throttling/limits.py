"""Rate limits kept in PostgreSQL, so every identity replica sees the same counts.

Fixed windows: one row per (bucket, window) incremented atomically. Simple, exact enough for
abuse control, and cheap: one upsert per limited request.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime

from gatehouse_common.db import Database
from gatehouse_identity.throttling import queries

CLEANUP_PROBABILITY = 0.01


@dataclass(frozen=True)
class Limit:
    name: str
    limit: int
    window_s: int


def _window_start(window_s: int) -> datetime:
    now = datetime.now(UTC).timestamp()
    return datetime.fromtimestamp(now - now % window_s, UTC)


async def hit(database: Database, *, bucket: str, window_s: int) -> int:
    """Count one hit in the current window; returns the hits so far in it."""
    async with database.connection() as connection:
        hits = await queries.count_hit(connection, bucket=bucket, window=_window_start(window_s))
        if random.random() < CLEANUP_PROBABILITY:  # noqa: S311  (not security relevant)
            await queries.delete_old_counters(connection)
    return hits


async def reserve(database: Database, *, bucket: str, window_s: int, limit: int) -> datetime | None:
    """Count one hit only while fewer than `limit` are counted in the current window, in one
    statement (so parallel requests cannot all see room left); returns the window it counted
    in, for `release`, or None when there was no room."""
    if limit <= 0:
        return None
    window = _window_start(window_s)
    async with database.connection() as connection:
        counted = await queries.count_hit_below(
            connection, bucket=bucket, window=window, limit=limit
        )
    return window if counted is not None else None


async def release(database: Database, *, bucket: str, window: datetime) -> None:
    """Give back a hit `reserve` counted (the attempt turned out not to count)."""
    async with database.connection() as connection:
        await queries.uncount_hit(connection, bucket=bucket, window=window)


async def hits_so_far(database: Database, *, bucket: str, window_s: int) -> int:
    async with database.connection() as connection:
        return await queries.hits_in(connection, bucket=bucket, window=_window_start(window_s))


def retry_after_s(window_s: int) -> int:
    now = datetime.now(UTC).timestamp()
    return max(1, int(window_s - now % window_s))
