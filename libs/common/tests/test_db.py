"""The data layer every service stands on, against a real PostgreSQL: transactions commit or roll
back as a whole, jsonb is Python values for SQLAlchemy statements and plain SQL alike, and the
pool sends no reset query."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import Column, Table, Text, exc, insert, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.pool import QueuePool

from gatehouse.events.v1 import identity_events_pb2 as identity_events
from gatehouse_common.db import Database, service_metadata, violated_unique_constraint
from gatehouse_common.outbox import add_event, outbox_table
from gatehouse_devstack.postgres import DatabaseServer

metadata = service_metadata()
notes = Table("notes", metadata, Column("id", Text, primary_key=True), Column("body", JSONB))
outbox_events = outbox_table(metadata)


class FailedMidwayError(Exception):
    """Raised inside a transaction to see it rolled back."""


async def _fail_after(database: Database, *statements: str) -> None:
    """Run SQL in a transaction, then fail."""
    async with database.transaction() as connection:
        for statement in statements:
            await connection.execute(text(statement))
        raise FailedMidwayError


@pytest.fixture(scope="module")
def database_url(postgres_server: DatabaseServer) -> Iterator[str]:
    name = f"common_test_{uuid.uuid4().hex[:12]}"
    try:
        yield postgres_server.create_database(name)
    finally:
        postgres_server.drop_database(name)


@pytest.fixture(scope="module")
async def opened(database_url: str) -> AsyncIterator[Database]:
    database = await Database.open(database_url, min_size=1, max_size=3)
    async with database.transaction() as connection:
        await connection.run_sync(metadata.create_all)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def database(opened: Database) -> Database:
    async with opened.transaction() as connection:
        await connection.execute(text("TRUNCATE notes, outbox_events"))
    return opened


async def _bodies(database: Database) -> dict[str, object]:
    async with database.connection() as connection:
        rows = await connection.execute(select(notes.c.id, notes.c.body))
        return {row.id: row.body for row in rows}


async def test_a_transaction_commits_as_a_whole_or_not_at_all(database: Database) -> None:
    async with database.transaction() as connection:
        await connection.execute(insert(notes).values(id="kept", body={"n": 1}))
    with pytest.raises(FailedMidwayError):
        await _fail_after(database, "INSERT INTO notes (id) VALUES ('lost')")
    assert await _bodies(database) == {"kept": {"n": 1}}


async def test_jsonb_is_python_values_for_sqlalchemy_and_plain_sql(database: Database) -> None:
    document = {"list": [1, "two", None], "nested": {"ä": True}}
    async with database.transaction() as connection:
        await connection.execute(insert(notes).values(id="core", body=document))
        await connection.exec_driver_sql(
            "INSERT INTO notes (id, body) VALUES ('plain', $1)", (document,)
        )
    assert await _bodies(database) == {"core": document, "plain": document}
    async with database.connection() as connection:
        read = await connection.exec_driver_sql("SELECT body FROM notes WHERE id = 'core'")
        assert read.scalar() == document


async def test_borrowing_and_returning_a_connection_sends_nothing_more(
    database_url: str,
) -> None:
    # The benchmarks depend on it: asyncpg's reset query cost a round trip per borrowed
    # connection (see gatehouse_common.db.create_engine). asyncpg counts every operation sent.
    database = await Database.open(database_url, min_size=1, max_size=1)
    try:
        async with database.connection() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            await connection.execute(text("SELECT 1"))
        sent_before = driver._protocol.queries_count
        async with database.connection() as connection:
            await connection.execute(text("SELECT 1"))
        async with database.connection() as connection:
            await connection.exec_driver_sql("SELECT 1")
        async with database.transaction() as connection:
            await connection.execute(text("SELECT 1"))
        # SELECT, SELECT, then BEGIN + SELECT + COMMIT: nothing as each connection came back.
        assert driver._protocol.queries_count - sent_before == 5
    finally:
        await database.close()


async def _add(connection: AsyncConnection, subject: str) -> None:
    await add_event(
        connection,
        event_type="identity.user.created",
        source="gatehouse/identity",
        subject=subject,
        message=identity_events.UserCreated(user_id=subject),
    )


async def test_events_are_written_in_the_callers_transaction(database: Database) -> None:
    committed, rolled_back = (str(uuid.uuid4()) for _ in range(2))
    async with database.transaction() as connection:
        await _add(connection, committed)

    async def add_then_fail() -> None:
        async with database.transaction() as connection:
            await _add(connection, rolled_back)
            raise FailedMidwayError

    with pytest.raises(FailedMidwayError):
        await add_then_fail()
    async with database.connection() as connection:
        subjects = set((await connection.execute(select(outbox_events.c.subject))).scalars())
    assert subjects == {committed}


async def test_a_cancelled_transaction_rolls_back_and_gives_its_connection_back(
    database: Database,
) -> None:
    started = asyncio.Event()

    async def slow_write() -> None:
        async with database.transaction() as connection:
            await connection.execute(insert(notes).values(id="cancelled"))
            started.set()
            await connection.execute(text("SELECT pg_sleep(30)"))

    task = asyncio.create_task(slow_write())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    pool = database.engine.sync_engine.pool
    assert isinstance(pool, QueuePool)
    assert pool.checkedout() == 0
    assert await _bodies(database) == {}


async def test_a_broken_unique_constraint_is_named_wrapped_or_not(database: Database) -> None:
    async with database.transaction() as connection:
        await connection.execute(insert(notes).values(id="taken"))
    with pytest.raises(exc.IntegrityError) as broken:
        async with database.transaction() as connection:
            await connection.execute(insert(notes).values(id="taken"))
    assert violated_unique_constraint(broken.value) == "notes_pkey"
    # asyncpg's own error, under SQLAlchemy's and its dialect's.
    driver_error = broken.value.orig.__cause__ if broken.value.orig is not None else None
    assert driver_error is not None
    assert violated_unique_constraint(driver_error) == "notes_pkey"
    assert violated_unique_constraint(RuntimeError("no")) is None
