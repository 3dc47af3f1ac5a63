"""Rate limits kept in PostgreSQL, so every identity replica sees the same counts.

Fixed windows: one row per (bucket, window) incremented atomically. Simple, exact enough for
abuse control, and cheap: one upsert per limited request.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

CLEANUP_PROBABILITY = 0.01


@dataclass(frozen=True)
class Limit:
    name: str
    limit: int
    window_s: int


def _window_start(window_s: int) -> datetime:
    now = datetime.now(UTC).timestamp()
    return datetime.fromtimestamp(now - now % window_s, UTC)


async def hit(pool: asyncpg.Pool, *, bucket: str, window_s: int) -> int:
    """Count one hit in the current window; returns the hits so far in it."""
    hits: int = await pool.fetchval(
        """INSERT INTO rate_limit_counters (bucket, window_start, hits) VALUES ($1, $2, 1)
           ON CONFLICT (bucket, window_start)
           DO UPDATE SET hits = rate_limit_counters.hits + 1
           RETURNING hits""",
        bucket,
        _window_start(window_s),
    )
    if random.random() < CLEANUP_PROBABILITY:  # noqa: S311  (not security relevant)
        await pool.execute(
            "DELETE FROM rate_limit_counters WHERE window_start < now() - interval '1 day'"
        )
    return hits


async def reserve(pool: asyncpg.Pool, *, bucket: str, window_s: int, limit: int) -> datetime | None:
    """Count one hit only while fewer than `limit` are counted in the current window, in one
    statement (so parallel requests cannot all see room left); returns the window it counted
    in, for `release`, or None when there was no room."""
    if limit <= 0:
        return None
    window = _window_start(window_s)
    counted = await pool.fetchval(
        """INSERT INTO rate_limit_counters (bucket, window_start, hits) VALUES ($1, $2, 1)
           ON CONFLICT (bucket, window_start)
           DO UPDATE SET hits = rate_limit_counters.hits + 1
            WHERE rate_limit_counters.hits < $3
           RETURNING hits""",
        bucket,
        window,
        limit,
    )
    return window if counted is not None else None


async def release(pool: asyncpg.Pool, *, bucket: str, window: datetime) -> None:
    """Give back a hit `reserve` counted (the attempt turned out not to count)."""
    await pool.execute(
        """UPDATE rate_limit_counters SET hits = hits - 1
            WHERE bucket = $1 AND window_start = $2 AND hits > 0""",
        bucket,
        window,
    )


async def hits_so_far(pool: asyncpg.Pool, *, bucket: str, window_s: int) -> int:
    hits: int | None = await pool.fetchval(
        "SELECT hits FROM rate_limit_counters WHERE bucket = $1 AND window_start = $2",
        bucket,
        _window_start(window_s),
    )
    return hits or 0


def retry_after_s(window_s: int) -> int:
    now = datetime.now(UTC).timestamp()
    return max(1, int(window_s - now % window_s))
