"""Pushed authorization requests and JWTs that work once (oidc/par.py, oidc/queries.py) on a
rolled-back database: a request_uri gives its parameters once, only to its client and only
before it expires; a jti is accepted the first time only."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.db import Database
from gatehouse_identity.oidc import authorization_requests as requests
from gatehouse_identity.oidc import par, queries
from gatehouse_identity.oidc.client_models import Client
from gatehouse_identity.tables import oidc_clients, oidc_pushed_authorization_requests

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
        scopes=["openid"],
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


def _pending(client: Client) -> requests.PendingRequest:
    params = {
        "client_id": client.client_id,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": "openid",
        "state": "s-1",
    }
    return requests.validate(client, params, set(), pushed=True)


async def test_a_pushed_request_is_pulled_once_and_only_by_its_client(
    db_connection: AsyncConnection, rolled_back_database: Database
) -> None:
    client = await _client(db_connection)
    other = await _client(db_connection)
    pending = _pending(client)
    request_uri = await par.push(rolled_back_database, pending, ttl_s=60)
    assert request_uri.startswith(par.REQUEST_URI_PREFIX)

    assert (
        await par.pull(rolled_back_database, client_id=other.client_id, request_uri=request_uri)
        is None
    )
    pulled = await par.pull(
        rolled_back_database, client_id=client.client_id, request_uri=request_uri
    )
    assert pulled == pending.params()
    again = await par.pull(
        rolled_back_database, client_id=client.client_id, request_uri=request_uri
    )
    assert again is None


async def test_an_expired_pushed_request_gives_nothing(
    db_connection: AsyncConnection, rolled_back_database: Database
) -> None:
    client = await _client(db_connection)
    pending = replace(_pending(client), created_at=datetime.now(UTC) - timedelta(hours=1))
    request_uri = await par.push(rolled_back_database, pending, ttl_s=60)
    assert (
        await par.pull(rolled_back_database, client_id=client.client_id, request_uri=request_uri)
        is None
    )
    # Spent all the same: it is gone.
    await db_connection.execute(
        update(oidc_pushed_authorization_requests)
        .where(oidc_pushed_authorization_requests.c.client_id == client.client_id)
        .values(expires_at=datetime.now(UTC) + timedelta(hours=1))
    )
    assert (
        await par.pull(rolled_back_database, client_id=client.client_id, request_uri=request_uri)
        is None
    )


async def test_a_jti_is_accepted_the_first_time_only(db_connection: AsyncConnection) -> None:
    digest = hashlib.sha256(secrets.token_bytes(16)).digest()
    expires_at = datetime.now(UTC) + timedelta(minutes=5)
    assert await queries.remember_jti(db_connection, digest=digest, expires_at=expires_at)
    assert not await queries.remember_jti(db_connection, digest=digest, expires_at=expires_at)
