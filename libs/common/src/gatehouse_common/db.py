"""PostgreSQL through SQLAlchemy Core (async, asyncpg driver): one `Database` per service process.

Services borrow a connection in one of two ways and run Core statements built from their
`tables.py` in their `queries.py` modules:

    async with database.transaction() as connection:  # BEGIN … COMMIT, ROLLBACK on an error
        await queries.insert_user(connection, ...)
        await add_event(connection, ...)                # the outbox row joins the transaction

    async with database.connection() as connection:   # autocommit: each statement on its own
        user = await queries.user_by_id(connection, user_id)

`connection()` is for reads and single-statement writes: no BEGIN/COMMIT round trips. Everything
that must happen together goes in one `transaction()`. Query functions take the
`AsyncConnection` (never the `Database`), so a caller decides what shares a transaction.

The pool keeps asyncpg's behaviour the benchmarks were measured with: no reset query when a
connection comes back (see `create_engine`), jsonb as Python values (`_use_json_codec`), a 30 s
command timeout, `max_size` connections kept open once made, `min_size` opened at start (a service
that cannot reach its database fails at once, as before).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any, cast

import asyncpg
from prometheus_client import Gauge
from sqlalchemy import MetaData, event, exc, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, NullPool, QueuePool

COMMAND_TIMEOUT_S = 30
# What a lost or refusing database raises, through SQLAlchemy or asyncpg (a worker that retries
# later catches these; a bug does not hide among them).
DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    exc.SQLAlchemyError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
)
# The names PostgreSQL gives unnamed constraints, so the constraints `tables.py` declares carry
# the names the databases made by the SQL migrations already have (a later revision that drops
# one names the same constraint everywhere). CHECK constraints are named in full where declared.
POSTGRES_NAMING = {
    "pk": "%(table_name)s_pkey",
    "uq": "%(table_name)s_%(column_0_N_name)s_key",
    "fk": "%(table_name)s_%(column_0_N_name)s_fkey",
    "ix": "%(table_name)s_%(column_0_N_name)s_idx",
}


def violated_unique_constraint(error: BaseException) -> str | None:
    """The name of the unique constraint (or unique index) a failed statement broke, else None.

    SQLAlchemy wraps asyncpg's `UniqueViolationError` in an `IntegrityError`:
    `except exc.IntegrityError as error:`, then
    `if violated_unique_constraint(error) == "users_email_normalized_key"`.
    """
    cause: BaseException | None = error
    while cause is not None:  # SQLAlchemy's error, its dialect's, then asyncpg's
        if isinstance(cause, asyncpg.UniqueViolationError):
            return str(cause.constraint_name or "")
        cause = cause.__cause__
    return None


def service_metadata() -> MetaData:
    """The `MetaData` a service's tables are declared on."""
    return MetaData(naming_convention=POSTGRES_NAMING)


def _unchanged(value: Any) -> Any:
    return value


def create_engine(database_url: str, *, pool_size: int | None = 20) -> AsyncEngine:
    """An engine on `database_url` (postgresql://…, exactly as asyncpg reads it) keeping up to
    `pool_size` connections; with None, none is kept (one-off commands such as `migrate`)."""
    pooling: dict[str, Any] = (
        {"poolclass": NullPool}
        if pool_size is None
        # Connections beyond pool_size would be closed on return and opened again under load.
        else {"pool_size": pool_size, "max_overflow": 0}
    )
    engine = create_async_engine(
        "postgresql+asyncpg://",
        # asyncpg parses the URL itself, as before: sslmode, several hosts, passfile all work.
        async_creator=partial(asyncpg.connect, database_url, command_timeout=COMMAND_TIMEOUT_S),
        # The jsonb codec below turns Python values into JSON; SQLAlchemy must not do it first.
        json_serializer=_unchanged,
        # When a connection comes back: roll back a transaction left open, nothing more (the
        # asyncpg adapter sends ROLLBACK only when one is open, so usually nothing at all).
        # asyncpg's pool, by default, also sent `SELECT pg_advisory_unlock_all(); CLOSE ALL;
        # UNLISTEN *; RESET ALL`: one more round trip for every borrowed connection (on token
        # introspection it was 40 % of PostgreSQL's and 10 % of identity's CPU time per call,
        # see tools/devstack/BENCHMARKS.md), so it was turned off and must not come back as a
        # "reset" event or a pre-ping. Nothing leaves session state on a pooled connection:
        # settings are changed with `set_config(..., true)` / `SET LOCAL`, locks are
        # `pg_advisory_xact_lock`, and LISTEN runs on dedicated connections. Code that needs
        # session state must keep to that (or use a connection of its own).
        pool_reset_on_return="rollback",
        pool_pre_ping=False,
        **pooling,
    )
    event.listen(engine.sync_engine, "connect", _use_json_codec)
    return engine


def _use_json_codec(dbapi_connection: DBAPIConnection, _entry: ConnectionPoolEntry) -> None:
    """jsonb in and out as Python values, encoded and decoded by asyncpg.

    Runs after SQLAlchemy's own codec (which expects JSON text), replacing it: statements pass
    Python values through unchanged (`json_serializer` in `create_engine`), and plain SQL on the
    driver (a test's `exec_driver_sql`) gets the same values back.
    """

    async def set_codec(connection: asyncpg.Connection) -> None:
        await connection.set_type_codec(
            "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )

    cast("Any", dbapi_connection).run_async(set_codec)


async def _close_whatever_happens(connection: AsyncConnection) -> None:
    """Close (and so return) a connection even if the task is cancelled meanwhile.

    SQLAlchemy's `async with` does this on every exit, in a task of its own: two more turns of
    the event loop for each borrowed connection (measured: 5 instead of 2). `Database` closes
    in place when the block ended normally, when nothing can interrupt it, and only pays for
    the protection after an error or a cancellation.
    """
    await connection.__aexit__(None, None, None)


class Database:
    """A service's engine and pool, and the two ways its code borrows a connection."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # Shares the engine's pool; its connections run each statement in its own transaction.
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")

    @classmethod
    async def open(cls, database_url: str, *, min_size: int = 2, max_size: int = 20) -> Database:
        """An engine with up to `max_size` connections, `min_size` of them opened now."""
        database = cls(create_engine(database_url, pool_size=max_size))
        try:
            await database._open_connections(min(min_size, max_size))
        except BaseException:
            await database.close()
            raise
        return database

    async def _open_connections(self, count: int) -> None:
        async with contextlib.AsyncExitStack() as stack:
            opened = await asyncio.gather(
                *(stack.enter_async_context(self.engine.connect()) for _ in range(count)),
                return_exceptions=True,
            )
            for outcome in opened:
                if isinstance(outcome, BaseException):
                    raise outcome

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A connection in a transaction: committed when the block ends, rolled back on error."""
        connection = await self.engine.connect()
        try:
            await connection.begin()
            yield connection
            await connection.commit()
        except BaseException:
            await _close_whatever_happens(connection)  # rolls back what is open
            raise
        await connection.close()  # see _close_whatever_happens

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        """A connection in autocommit: every statement is committed on its own."""
        connection = await self._autocommit.connect()
        try:
            yield connection
        except BaseException:
            await _close_whatever_happens(connection)
            raise
        await connection.close()  # see _close_whatever_happens

    async def is_reachable(self) -> bool:
        try:
            async with asyncio.timeout(2), self.connection() as connection:
                value = await connection.scalar(text("SELECT 1"))
        except (OSError, TimeoutError, exc.SQLAlchemyError, asyncpg.PostgresError):
            return False
        return bool(value == 1)

    async def close(self) -> None:
        await self.engine.dispose()


POOL_CONNECTIONS = Gauge(
    "gatehouse_db_pool_connections",
    "Database pool connections by state (read at scrape time)",
    ["service", "state"],
)


def register_pool_metrics(database: Database, *, service: str) -> None:
    """Expose the pool's size at every scrape; no background task needed."""
    pool = database.engine.sync_engine.pool
    if not isinstance(pool, QueuePool):  # pragma: no cover - engines made here always queue
        return
    POOL_CONNECTIONS.labels(service, "in_use").set_function(pool.checkedout)
    POOL_CONNECTIONS.labels(service, "idle").set_function(pool.checkedin)
    POOL_CONNECTIONS.labels(service, "max").set_function(pool.size)
