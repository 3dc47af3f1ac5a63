"""Property test: any text presented as a password-link token is simply not a valid link
(InvalidLinkError, or False when only checked), never another error."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from gatehouse_identity.accounts import links
from gatehouse_identity.accounts.errors import InvalidLinkError

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
@example("x" * 5000)
def test_any_password_link_token_is_simply_not_valid(token: str) -> None:
    database = NoRowsDatabase()
    with pytest.raises(InvalidLinkError):
        asyncio.run(links.consume_password_link(database, token))  # type: ignore[arg-type]
    assert asyncio.run(links.check_password_link(database, token)) is False  # type: ignore[arg-type]
