"""pytest fixtures for a service's own tests against a real PostgreSQL (registered for the whole
suite in pyproject.toml: `-p gatehouse_devstack.pytest_plugin`).

How to use it in `services/<service>/tests/`:

1. Name the service's migrations in its tests/conftest.py:

       @pytest.fixture(scope="session")
       def alembic_package() -> str:
           return "gatehouse_registry"

2. Take what a test needs:

   - `db_connection`: a SQLAlchemy `AsyncConnection` inside a transaction that is rolled back
     after the test. Tests cannot see each other's rows, and nothing needs cleaning up.
   - `rolled_back_database`: a `gatehouse_common.db.Database` lending that same connection, for
     service functions that take a Database; their transactions become savepoints.
   - `database`: the real `Database` (a pool) on the same migrated database, for tests that need
     concurrency or commits another connection must see (clean up after them: the database
     lives for the whole session).
   - `migrated_database_url`: its URL, for a process under test (`DATABASE_URL`). A
     session-scoped fixture of the service's own takes `migrated_databases` and asks
     `migrated_databases.url("gatehouse_<service>")` (or `.database(...)`).
   - `scratch_database()`: an empty database of its own, dropped after the test.
   - `free_port()`: a TCP port nobody listens on (also importable as a function).

3. Factories: plain async functions in `tests/factories.py` (or `tests/<capability>/factories.py`)
   that take the connection and keyword overrides, insert through the service's tables.py and
   return what they made, e.g. `await factories.message(db_connection, status="failed")`.

PostgreSQL is started once per test session (embedded, in a temporary directory, fsync off), or
not at all when `DATABASE_URL` names a server (a database with a random name is made there and
dropped at the end). Each service gets one database per session, migrated with Alembic.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.db import Database
from gatehouse_common.migrations import upgrade
from gatehouse_devstack.postgres import DatabaseServer, EmbeddedPostgres


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(name="free_port", scope="session")
def free_port_fixture() -> Callable[[], int]:
    return free_port


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseServer]:
    """The PostgreSQL server of this test session."""
    if external := os.environ.get("DATABASE_URL"):
        yield DatabaseServer(external)
        return
    server = EmbeddedPostgres(
        tmp_path_factory.mktemp("postgres") / "data", free_port(), durable=False
    )
    server.start()
    try:
        yield server.admin
    finally:
        server.stop()


@pytest.fixture(scope="session")
def alembic_package() -> str:
    raise pytest.UsageError(
        "define a session fixture `alembic_package` (e.g. 'gatehouse_notifier') in the tests' "
        "conftest.py to use the migrated database fixtures"
    )


class MigratedDatabases:
    """One database per service package for the whole session, migrated on first use.

    Kept by package rather than by fixture: pytest would hand the first service's session
    fixture to every other service's tests (it caches a session fixture once, whichever
    `alembic_package` a directory's conftest gives).
    """

    def __init__(self, server: DatabaseServer) -> None:
        self._server = server
        self._urls: dict[str, str] = {}
        self._opened: dict[str, Database] = {}

    def url(self, package: str) -> str:
        if package not in self._urls:
            name = f"{package.removeprefix('gatehouse_')}_test_{secrets.token_hex(6)}"
            self._urls[package] = self._server.create_database(name)
            upgrade(self._urls[package], package=package)
        return self._urls[package]

    async def database(self, package: str) -> Database:
        if package not in self._opened:
            # Alembic runs its own event loop: not inside the running one.
            url = await asyncio.to_thread(self.url, package)
            self._opened[package] = await Database.open(url, min_size=1, max_size=10)
        return self._opened[package]

    async def close(self) -> None:
        for opened in self._opened.values():
            await opened.close()
        self._opened.clear()
        for url in self._urls.values():
            self._server.drop_database(url.rsplit("/", 1)[-1])
        self._urls.clear()


@pytest.fixture(scope="session")
async def migrated_databases(postgres_server: DatabaseServer) -> AsyncIterator[MigratedDatabases]:
    databases = MigratedDatabases(postgres_server)
    try:
        yield databases
    finally:
        await databases.close()


@pytest.fixture
def migrated_database_url(migrated_databases: MigratedDatabases, alembic_package: str) -> str:
    """The session's database of `alembic_package`, at its Alembic head. (A session-scoped
    fixture of a service's own asks `migrated_databases.url(package)` instead.)"""
    return migrated_databases.url(alembic_package)


@pytest.fixture
async def database(migrated_databases: MigratedDatabases, alembic_package: str) -> Database:
    """The real `Database` (a pool) on that database, open for the whole session."""
    return await migrated_databases.database(alembic_package)


@pytest.fixture
async def db_connection(database: Database) -> AsyncIterator[AsyncConnection]:
    """A connection in a transaction that is rolled back after the test."""
    async with database.engine.connect() as connection:
        transaction = await connection.begin()
        try:
            yield connection
        finally:
            await transaction.rollback()


class RolledBackDatabase(Database):
    """A `Database` that lends one connection inside the test's transaction: its
    `transaction()` is a savepoint, its `connection()` the connection itself.

    One connection: code under test that runs queries side by side (asyncio.gather) needs the
    real `database` fixture instead.
    """

    def __init__(self, connection: AsyncConnection) -> None:
        super().__init__(connection.engine)
        self._lent = connection

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        async with self._lent.begin_nested():
            yield self._lent

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        yield self._lent

    async def close(self) -> None:
        """The fixture that made the connection closes it."""


@pytest.fixture
def rolled_back_database(db_connection: AsyncConnection) -> Database:
    return RolledBackDatabase(db_connection)


@pytest.fixture
def scratch_database(postgres_server: DatabaseServer) -> Iterator[Callable[[], str]]:
    """Makes empty databases (each call one more), dropped after the test."""
    made: list[str] = []

    def make() -> str:
        name = f"scratch_{secrets.token_hex(6)}"
        made.append(name)
        return postgres_server.create_database(name)

    try:
        yield make
    finally:
        for name in made:
            postgres_server.drop_database(name)
