"""Property test: any text presented as a session token is simply no session, and only a
fixed-size hash of it ever reaches the database."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from gatehouse_identity.sessions import service as sessions

# Everything a header, a cookie or a JSON string can carry, surrogates included.
ANY_TEXT = st.text(st.characters(codec=None), max_size=300)


class NoRowsDatabase:
    """Stands in for the pool: every query finds nothing, and records what it was given."""

    def __init__(self) -> None:
        self.arguments: list[tuple[Any, ...]] = []

    async def fetchrow(self, _query: str, *args: Any) -> None:
        self.arguments.append(args)

    async def fetchval(self, _query: str, *args: Any) -> None:
        self.arguments.append(args)

    async def execute(self, _query: str, *args: Any) -> str:
        self.arguments.append(args)
        return "DELETE 0"


@given(ANY_TEXT)
@example("\ud800")
@example("")
def test_any_session_token_is_simply_no_session(token: str) -> None:
    database = NoRowsDatabase()
    found = asyncio.run(
        sessions.resume_session(database, token=token, idle_timeout=sessions.timedelta(minutes=30))  # type: ignore[arg-type]
    )
    assert found is None
    asyncio.run(sessions.end_session(database, token=token))  # type: ignore[arg-type]
    for arguments in database.arguments:  # only a fixed-size hash ever reaches the database
        assert len(arguments[0]) == 32
