"""Kept authorization requests (oidc/authorization_requests.py, oidc/request_queries.py) on a
rolled-back database: kept as validated, found again only while valid for their client as it is
now, finished once."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.db import Database
from gatehouse_identity.oidc import authorization_requests as requests
from gatehouse_identity.oidc.client_models import Client
from gatehouse_identity.tables import oidc_authorization_requests, oidc_clients

REDIRECT_URI = "https://app.example.test/callback"


async def _client(connection: AsyncConnection) -> Client:
    client = Client(
        client_id=f"app-{secrets.token_hex(4)}",
        name="App",
        public=False,
        redirect_uris=[REDIRECT_URI],
        post_logout_redirect_uris=[],
        backchannel_logout_uri=None,
        min_level="multi_factor",
        first_party=False,
        scopes=["openid", "profile"],
    )
    await connection.execute(
        insert(oidc_clients).values(
            client_id=client.client_id,
            name=client.name,
            redirect_uris=client.redirect_uris,
            min_level=client.min_level,
            scopes=client.scopes,
        )
    )
    return client


def _params(client: Client) -> dict[str, str]:
    return {
        "client_id": client.client_id,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": "openid profile",
        "state": "s-1",
        "nonce": "n-1",
        "prompt": "login",
        "max_age": "300",
    }


async def test_a_kept_request_comes_back_as_it_was_validated(
    db_connection: AsyncConnection, rolled_back_database: Database
) -> None:
    client = await _client(db_connection)
    pending = requests.validate(client, _params(client), set())
    await requests.save(rolled_back_database, pending, ttl_s=600)
    await requests.count_login_redirect(rolled_back_database, pending)

    kept = await requests.load(rolled_back_database, pending.id)
    assert kept is not None
    again = requests.resumed(kept, client)
    assert again is not None
    assert again.login_redirects == 1
    assert again.created_at == pending.created_at
    assert again.params() == pending.params()

    assert await requests.forget(rolled_back_database, pending)
    assert not await requests.forget(rolled_back_database, pending)
    assert await requests.load(rolled_back_database, pending.id) is None


async def test_an_expired_request_or_a_changed_client_ends_it(
    db_connection: AsyncConnection, rolled_back_database: Database
) -> None:
    client = await _client(db_connection)
    pending = requests.validate(client, _params(client), set())
    await requests.save(rolled_back_database, pending, ttl_s=600)
    kept = await requests.load(rolled_back_database, pending.id)
    assert kept is not None
    moved = Client(**{**client.__dict__, "redirect_uris": ["https://app.example.test/new"]})
    assert requests.resumed(kept, moved) is None
    assert requests.resumed(kept, None) is None

    await db_connection.execute(
        update(oidc_authorization_requests)
        .where(oidc_authorization_requests.c.id == pending.id)
        .values(expires_at=pending.created_at - timedelta(hours=1))
    )
    assert await requests.load(rolled_back_database, pending.id) is None
