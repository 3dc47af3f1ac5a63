"""Consents on a rolled-back database (the statements in oidc/consent_queries.py): scopes
consented at different times add up, the warning setting is kept, and withdrawing a consent
ends the client's live grants for the user."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.db import Database
from gatehouse_identity.oidc import consents
from gatehouse_identity.tables import oidc_clients, oidc_grants


async def _client(connection: AsyncConnection) -> str:
    client_id = f"app-{secrets.token_hex(4)}"
    await connection.execute(
        insert(oidc_clients).values(
            client_id=client_id,
            name="App",
            redirect_uris=["https://app.example.test/callback"],
            min_level="multi_factor",
            scopes=["openid", "profile", "email"],
        )
    )
    return client_id


async def test_consents_add_up_and_withdrawing_one_ends_its_grants(
    rolled_back_database: Database, db_connection: AsyncConnection, make_user: Any
) -> None:
    client_id = await _client(db_connection)
    user_id = await make_user()
    for scopes in (["openid"], ["openid", "email"]):
        await consents.record_consent(
            rolled_back_database, user_id=user_id, client_id=client_id, scopes=scopes
        )
    assert await consents.has_consent(
        rolled_back_database, user_id=user_id, client_id=client_id, scopes=["email", "openid"]
    )
    assert not await consents.has_consent(
        rolled_back_database, user_id=user_id, client_id=client_id, scopes=["profile"]
    )
    await consents.set_warn_each_time(rolled_back_database, user_id=user_id, value=True)
    page = await consents.applications_page(rolled_back_database, user_id=user_id)
    assert page.warn_each_time
    assert [(app.client_id, sorted(app.scopes)) for app in page.applications] == [
        (client_id, ["email", "openid"])
    ]

    now = datetime.now(UTC)
    grant_id = uuid.uuid4()
    await db_connection.execute(
        insert(oidc_grants).values(
            id=grant_id,
            client_id=client_id,
            user_id=user_id,
            sid="sid",
            scopes=["openid"],
            level="multi_factor",
            amr=["pwd"],
            auth_time=now,
            expires_at=now + timedelta(hours=1),
        )
    )
    await consents.withdraw_consent(rolled_back_database, user_id=user_id, client_id=client_id)
    after = await consents.applications_page(rolled_back_database, user_id=user_id)
    assert after.applications == []
    reason = await db_connection.scalar(
        select(oidc_grants.c.revoked_reason).where(oidc_grants.c.id == grant_id)
    )
    assert reason == "consent_withdrawn"
    # A malformed client id changes nothing and raises nothing.
    await consents.withdraw_consent(rolled_back_database, user_id=user_id, client_id="no such!")
