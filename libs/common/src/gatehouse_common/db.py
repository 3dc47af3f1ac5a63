"""PostgreSQL access through an asyncpg connection pool."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from prometheus_client import Gauge

# What code that runs SQL takes: a plain connection or one borrowed from the pool.
Connection = asyncpg.Connection | PoolConnectionProxy
Pool = asyncpg.Pool


async def _init_connection(connection: asyncpg.Connection) -> None:
    await connection.set_type_codec(
        "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
    )


POOL_CONNECTIONS = Gauge(
    "gatehouse_db_pool_connections",
    "Database pool connections by state (read at scrape time)",
    ["service", "state"],
)


def register_pool_metrics(pool: asyncpg.Pool, *, service: str) -> None:
    """Expose the pool's size at every scrape; no background task needed."""
    POOL_CONNECTIONS.labels(service, "in_use").set_function(
        lambda: pool.get_size() - pool.get_idle_size()
    )
    POOL_CONNECTIONS.labels(service, "idle").set_function(pool.get_idle_size)
    POOL_CONNECTIONS.labels(service, "max").set_function(pool.get_max_size)


async def _keep_session(_connection: asyncpg.Connection) -> None:
    """What the pool runs when a connection comes back: nothing beyond asyncpg's own clean-up
    (rolling back a transaction left open, forgetting listeners on the connection object).

    asyncpg's default also sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
    RESET ALL` to the server: one more round trip for every `pool.fetch…`/`acquire` (on token
    introspection it was 40 % of PostgreSQL's and 10 % of identity's CPU time per call, see
    tools/devstack/BENCHMARKS.md). Nothing here leaves session state on a pooled connection:
    settings are changed with `set_config(..., true)` / `SET LOCAL`, locks are
    `pg_advisory_xact_lock`, and LISTEN runs on dedicated connections. Code that needs session
    state must keep to that (or use a connection of its own).
    """


async def create_pool(database_url: str, *, min_size: int = 2, max_size: int = 20) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        database_url,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        reset=_keep_session,
        # Statements are short; a stuck one should fail the request, not hold the pool forever.
        command_timeout=30,
    )
    if pool is None:  # pragma: no cover - asyncpg returns None only when awaited lazily
        raise RuntimeError("could not create the database pool")
    return pool


@asynccontextmanager
async def transaction(pool: asyncpg.Pool) -> AsyncIterator[Connection]:
    """A connection with an open transaction: committed on success, rolled back on error."""
    async with pool.acquire() as connection, connection.transaction():
        yield connection


async def is_reachable(pool: asyncpg.Pool) -> bool:
    try:
        async with pool.acquire(timeout=2) as connection:
            value: Any = await connection.fetchval("SELECT 1", timeout=2)
            return bool(value == 1)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
