"""Registered clients (oidc/clients.py, oidc/client_queries.py) on a rolled-back database: how
a client authenticates follows from what it registered (a secret, keys, or neither), a
registration replaces an earlier one only when asked, and a secret can be replaced."""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

import pytest

from gatehouse_common.db import Database
from gatehouse_identity.oidc import client_queries, clients
from gatehouse_identity.oidc.clients import (
    ClientExistsError,
    ClientRegistration,
    UnknownClientError,
)

JWKS = {"keys": [{"kty": "EC", "crv": "P-256", "x": "x", "y": "y", "kid": "k1"}]}


def _registration(**changes: Any) -> ClientRegistration:
    base = ClientRegistration(
        client_id=f"app-{secrets.token_hex(4)}",
        name=" App ",
        redirect_uris=["https://app.example.test/callback"],
        min_level="multi_factor",
        post_logout_redirect_uris=[],
    )
    return replace(base, **changes)


async def test_a_confidential_client_authenticates_with_its_secret_only(
    rolled_back_database: Database,
) -> None:
    client, secret = await clients.create_client(
        rolled_back_database, _registration(), allow_plain_http=False
    )
    assert secret is not None
    assert (client.name, client.public, client.auth_method) == ("App", False, "client_secret_basic")
    assert client.scopes == list(clients.SUPPORTED_SCOPES)
    assert await clients.get_client(rolled_back_database, client.client_id) == client
    assert (
        await clients.authenticate_client(rolled_back_database, client.client_id, secret) == client
    )
    assert (
        await clients.authenticate_client(rolled_back_database, client.client_id, "x" * 43) is None
    )
    assert await clients.authenticate_client(rolled_back_database, client.client_id, None) is None

    new_secret = await clients.rotate_secret(rolled_back_database, client.client_id)
    assert await clients.authenticate_client(rolled_back_database, client.client_id, secret) is None
    assert await clients.authenticate_client(rolled_back_database, client.client_id, new_secret)


async def test_public_and_keyed_clients_have_no_secret(rolled_back_database: Database) -> None:
    public, no_secret = await clients.create_client(
        rolled_back_database, _registration(public=True), allow_plain_http=False
    )
    assert (no_secret, public.public, public.auth_method) == (None, True, "none")
    assert public.jwks is None
    assert await clients.authenticate_client(rolled_back_database, public.client_id, None) == public
    assert (
        await clients.authenticate_client(rolled_back_database, public.client_id, "s" * 43) is None
    )
    with pytest.raises(UnknownClientError):
        await clients.rotate_secret(rolled_back_database, public.client_id)

    keyed, no_secret = await clients.create_client(
        rolled_back_database,
        _registration(jwks=JWKS, grant_types=["client_credentials"], redirect_uris=[]),
        allow_plain_http=False,
    )
    assert (no_secret, keyed.public, keyed.auth_method) == (None, False, "private_key_jwt")
    assert keyed.jwks == JWKS
    # It proves itself with its key, never with a secret (client_assertions.py).
    assert await clients.authenticate_client(rolled_back_database, keyed.client_id, None) is None


async def test_a_registration_replaces_an_earlier_one_only_when_asked(
    rolled_back_database: Database,
) -> None:
    first, _ = await clients.create_client(
        rolled_back_database, _registration(), allow_plain_http=False
    )
    again = _registration(client_id=first.client_id, name="Renamed", public=True)
    with pytest.raises(ClientExistsError):
        await clients.create_client(rolled_back_database, again, allow_plain_http=False)
    replaced, secret = await clients.create_client(
        rolled_back_database, again, allow_plain_http=False, replace=True
    )
    assert (replaced.name, replaced.public, secret) == ("Renamed", True, None)
    assert [c.client_id for c in await clients.list_clients(rolled_back_database)].count(
        first.client_id
    ) == 1

    assert await clients.delete_client(rolled_back_database, first.client_id)
    assert not await clients.delete_client(rolled_back_database, first.client_id)
    assert await clients.get_client(rolled_back_database, first.client_id) is None


async def test_the_token_endpoints_lookup_reads_a_client_as_registration_stored_it(
    rolled_back_database: Database,
) -> None:
    """client_and_secret_hash runs on the driver (client_queries.py): it must give the very
    client the Core statements wrote, keys, arrays and flags included."""
    client, _ = await clients.create_client(
        rolled_back_database,
        _registration(jwks=JWKS),
        allow_plain_http=False,
    )
    async with rolled_back_database.connection() as connection:
        found = await client_queries.client_and_secret_hash(connection, client_id=client.client_id)
        missing = await client_queries.client_and_secret_hash(connection, client_id="nobody")
    assert found == (client, None)
    assert missing is None
