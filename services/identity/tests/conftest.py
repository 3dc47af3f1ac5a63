"""Identity's own tests run on the devstack plugin (gatehouse_devstack.pytest_plugin): a
PostgreSQL migrated with identity's Alembic revisions, a rolled-back connection per test.

`make_user` is the factory every capability needs (a user, written through tables.py on the
test's connection); factories of one capability live beside its tests."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_identity.tables import users

MakeUser = Callable[..., Awaitable[uuid.UUID]]


@pytest.fixture(scope="session")
def alembic_package() -> str:
    return "gatehouse_identity"


@pytest.fixture
def make_user(db_connection: AsyncConnection) -> MakeUser:
    async def make(**columns: Any) -> uuid.UUID:
        """An active user with a made-up address (unless told otherwise); its id."""
        user_id: uuid.UUID = columns.pop("id", uuid.uuid4())
        email = columns.pop("email", f"user-{user_id.hex[:12]}@example.test")
        values = {
            "id": user_id,
            "email": email,
            "email_normalized": email.lower(),
            "first_name": "Anna",
            "last_name": "Svensson",
            "email_language": "sv",
            "status": "active",
            "password_hash": None,
            "privacy_statement_version": "2026-01",
            "privacy_statement_accepted_at": datetime.now(UTC),
            **columns,
        }
        await db_connection.execute(insert(users).values(values))
        return user_id

    return make
