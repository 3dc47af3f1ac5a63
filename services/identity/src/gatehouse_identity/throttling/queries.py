"""The SQL of rate limits: one counter row per (bucket, fixed window), changed atomically.

The counting statements are `INSERT … ON CONFLICT DO UPDATE … RETURNING` so that parallel
requests on any replica each see their own count (the conditional one leaves no room for a
check-then-act race).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Interval, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_identity.tables import rate_limit_counters

KEPT_FOR = timedelta(days=1)


async def count_hit(connection: AsyncConnection, *, bucket: str, window: datetime) -> int:
    """One more hit in the window; the hits so far."""
    new = insert(rate_limit_counters).values(bucket=bucket, window_start=window, hits=1)
    hits: int = await connection.scalar(
        new.on_conflict_do_update(
            index_elements=[rate_limit_counters.c.bucket, rate_limit_counters.c.window_start],
            set_={"hits": rate_limit_counters.c.hits + 1},
        ).returning(rate_limit_counters.c.hits)
    )
    return hits


async def count_hit_below(
    connection: AsyncConnection, *, bucket: str, window: datetime, limit: int
) -> int | None:
    """One more hit only while fewer than `limit` are counted; the hits so far, else None."""
    new = insert(rate_limit_counters).values(bucket=bucket, window_start=window, hits=1)
    hits: int | None = await connection.scalar(
        new.on_conflict_do_update(
            index_elements=[rate_limit_counters.c.bucket, rate_limit_counters.c.window_start],
            set_={"hits": rate_limit_counters.c.hits + 1},
            where=rate_limit_counters.c.hits < limit,
        ).returning(rate_limit_counters.c.hits)
    )
    return hits


async def uncount_hit(connection: AsyncConnection, *, bucket: str, window: datetime) -> None:
    await connection.execute(
        update(rate_limit_counters)
        .where(
            rate_limit_counters.c.bucket == bucket,
            rate_limit_counters.c.window_start == window,
            rate_limit_counters.c.hits > 0,
        )
        .values(hits=rate_limit_counters.c.hits - 1)
    )


async def hits_in(connection: AsyncConnection, *, bucket: str, window: datetime) -> int:
    hits: int | None = await connection.scalar(
        select(rate_limit_counters.c.hits).where(
            rate_limit_counters.c.bucket == bucket, rate_limit_counters.c.window_start == window
        )
    )
    return hits or 0


async def delete_old_counters(connection: AsyncConnection) -> None:
    """Counters of windows that ended long ago (kept a day)."""
    await connection.execute(
        delete(rate_limit_counters).where(
            rate_limit_counters.c.window_start
            < func.now() - bindparam("kept_for", KEPT_FOR, type_=Interval)
        )
    )
