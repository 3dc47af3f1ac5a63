"""Property test: any text presented as a password-link token is simply not a valid link
(InvalidLinkError, or False when only checked), never another error."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy.sql import ClauseElement

from gatehouse_identity.accounts import links
from gatehouse_identity.accounts.errors import InvalidLinkError

# Everything a header, a cookie or a JSON string can carry, surrogates included.
ANY_TEXT = st.text(st.characters(codec=None), max_size=300)


class NoRowsDatabase:
    """Stands in for the connection: every statement finds nothing, and the values it was
    given are recorded."""

    def __init__(self) -> None:
        self.arguments: list[Any] = []

    async def scalar(self, statement: ClauseElement) -> None:
        self.arguments.extend(statement.compile().params.values())


@given(ANY_TEXT)
@example("\ud800")
@example("x" * 5000)
def test_any_password_link_token_is_simply_not_valid(token: str) -> None:
    database = NoRowsDatabase()
    with pytest.raises(InvalidLinkError):
        asyncio.run(links.consume_password_link(database, token))  # type: ignore[arg-type]
    assert asyncio.run(links.check_password_link(database, token)) is False  # type: ignore[arg-type]
    for value in database.arguments:  # only a fixed-size hash ever reaches the database
        assert not isinstance(value, str)
        assert not isinstance(value, bytes) or len(value) == 32
