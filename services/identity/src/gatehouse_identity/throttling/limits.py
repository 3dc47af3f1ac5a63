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
