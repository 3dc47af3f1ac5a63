"""eID links (oidc/eid/queries.py): an eID opens one account, an account has one eID of a
kind. On the real pool, committed and cleaned up: a refused link is a failed INSERT, which
would abort a test's rolled-back transaction."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr
from sqlalchemy import delete, insert

from gatehouse_common.db import Database
from gatehouse_identity.oidc.eid import service
from gatehouse_identity.oidc.eid.errors import EidAlreadyLinkedError, EidOnePerProviderError
from gatehouse_identity.settings import EidProviderSettings
from gatehouse_identity.tables import users

BANK = EidProviderSettings(
    name="bank",
    display_name="Bank",
    issuer="https://broker.example.test",
    client_id="gatehouse",
    client_secret=SecretStr("s" * 32),
)


@pytest.fixture
async def two_users(database: Database) -> AsyncIterator[tuple[uuid.UUID, uuid.UUID]]:
    made = [uuid.uuid4(), uuid.uuid4()]
    async with database.transaction() as connection:
        for user_id in made:
            email = f"eid-{user_id.hex[:12]}@example.test"
            await connection.execute(
                insert(users).values(
                    id=user_id,
                    email=email,
                    email_normalized=email,
                    first_name="Eva",
                    last_name="Ek",
                    email_language="sv",
                    status="active",
                    privacy_statement_version="2026-01",
                    privacy_statement_accepted_at=datetime.now(UTC),
                )
            )
    yield made[0], made[1]
    async with database.transaction() as connection:  # their links go with them (cascade)
        await connection.execute(delete(users).where(users.c.id.in_(made)))


async def test_an_eid_opens_one_account_and_an_account_has_one_of_a_kind(
    database: Database, two_users: tuple[uuid.UUID, uuid.UUID]
) -> None:
    anna, bo = two_users
    subject = secrets.token_hex(8)
    await service._link(database, provider=BANK, subject=subject, user_id=anna)
    await service._link(database, provider=BANK, subject=subject, user_id=anna)  # again: fine
    with pytest.raises(EidAlreadyLinkedError):
        await service._link(database, provider=BANK, subject=subject, user_id=bo)
    with pytest.raises(EidOnePerProviderError):
        await service._link(database, provider=BANK, subject="another", user_id=anna)
    links = await service.links_of(database, user_id=anna)
    assert list(links) == ["bank"]
    await service.unlink(database, user_id=anna, provider="bank")
    assert await service.links_of(database, user_id=anna) == {}
