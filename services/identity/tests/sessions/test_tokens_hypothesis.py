"""Property test: any text presented as a session token is simply no session, and only a
fixed-size hash of it ever reaches the database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, cast

from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import Result
from sqlalchemy.sql import ClauseElement

from gatehouse_identity.sessions import service as sessions

# Everything a header, a cookie or a JSON string can carry, surrogates included.
ANY_TEXT = st.text(st.characters(codec=None), max_size=300)


class NoRowsDatabase:
    """Stands in for the Database: every statement finds nothing, and the values it was given
    are recorded."""

    def __init__(self) -> None:
        self.arguments: list[Any] = []

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[NoRowsDatabase]:
        yield self

    def _record(self, statement: ClauseElement) -> None:
        self.arguments.extend(statement.compile().params.values())

    async def execute(self, statement: ClauseElement) -> Result[Any]:
        self._record(statement)
        return cast("Result[Any]", _NoRows())

    async def scalar(self, statement: ClauseElement) -> None:
        self._record(statement)


class _NoRows:
    def first(self) -> None:
        return None


@given(ANY_TEXT)
@example("\ud800")
@example("")
def test_any_session_token_is_simply_no_session(token: str) -> None:
    database = NoRowsDatabase()
    found = asyncio.run(
        sessions.resume_session(database, token=token, idle_timeout=timedelta(minutes=30))  # type: ignore[arg-type]
    )
    assert found is None
    asyncio.run(sessions.end_session(database, token=token))  # type: ignore[arg-type]
    for value in database.arguments:  # only a fixed-size hash ever reaches the database
        assert not isinstance(value, str)
        assert not isinstance(value, bytes) or len(value) == 32
