"""Codes and refresh tokens work once, also when two requests race with the same one
(oidc/grants.py, oidc/grant_queries.py): on the real pool, two redemptions run side by side in
their own transactions; one gets tokens, the other is refused and the grant is revoked, as for
any reuse.

The minting of the access token is slowed down so that the first redemption still holds its
transaction open when the second reads the code or the token: without the row lock both would
find it unused and both would get tokens.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, insert, select, update

from gatehouse_common.db import Database
from gatehouse_identity.oidc import grants
from gatehouse_identity.oidc.client_models import Client
from gatehouse_identity.oidc.errors import OAuthError
from gatehouse_identity.oidc.grant_queries import Grant
from gatehouse_identity.oidc.grants import IssuedTokens, TokenLifetimes
from gatehouse_identity.tables import oidc_clients, oidc_grants, users

REDIRECT_URI = "https://app.example.test/callback"
LIFETIMES = TokenLifetimes(
    code=timedelta(minutes=1), access=timedelta(minutes=5), refresh=timedelta(hours=1)
)


async def slow_mint(
    grant: Grant, issued_at: datetime, expires_at: datetime, jkt: str | None
) -> str:
    await asyncio.sleep(0.3)
    return f"access-{secrets.token_urlsafe(24)}"


@pytest.fixture
async def client_and_user(database: Database) -> AsyncIterator[tuple[Client, uuid.UUID]]:
    """A client and an active user, committed (the redemptions run on connections of their
    own), and removed afterwards with everything made for them."""
    client = Client(
        client_id=f"race-{secrets.token_hex(4)}",
        name="Race",
        public=False,
        redirect_uris=[REDIRECT_URI],
        post_logout_redirect_uris=[],
        backchannel_logout_uri=None,
        min_level="password",
        first_party=True,
        scopes=["openid"],
    )
    user_id = uuid.uuid4()
    async with database.transaction() as connection:
        await connection.execute(
            insert(oidc_clients).values(
                client_id=client.client_id,
                name=client.name,
                secret_hash=b"not used here",
                redirect_uris=client.redirect_uris,
                min_level=client.min_level,
                first_party=True,
                scopes=client.scopes,
            )
        )
        email = f"race-{user_id.hex[:12]}@example.test"
        await connection.execute(
            insert(users).values(
                id=user_id,
                email=email,
                email_normalized=email,
                first_name="Anna",
                last_name="Svensson",
                email_language="sv",
                status="active",
                privacy_statement_version="2026-01",
                privacy_statement_accepted_at=datetime.now(UTC),
            )
        )
    try:
        yield client, user_id
    finally:
        async with database.transaction() as connection:
            # Grants, codes and tokens go with the client and the user (ON DELETE CASCADE).
            await connection.execute(
                delete(oidc_clients).where(oidc_clients.c.client_id == client.client_id)
            )
            await connection.execute(delete(users).where(users.c.id == user_id))


async def _code(database: Database, client: Client, user_id: uuid.UUID) -> str:
    now = datetime.now(UTC)
    return await grants.issue_code(
        database,
        client=client,
        user_id=user_id,
        session_id_hash=secrets.token_bytes(32),
        session_expires_at=now + timedelta(hours=8),
        sid="sid",
        scopes=["openid"],
        level="password",
        amr=["pwd"],
        auth_time=now,
        redirect_uri=REDIRECT_URI,
        code_challenge=None,
        nonce=None,
        lifetimes=LIFETIMES,
    )


async def _revoked_reasons(database: Database, client: Client) -> list[str | None]:
    async with database.connection() as connection:
        rows = await connection.scalars(
            select(oidc_grants.c.revoked_reason).where(oidc_grants.c.client_id == client.client_id)
        )
        return list(rows)


def _outcomes(results: list[IssuedTokens | BaseException]) -> tuple[int, list[str]]:
    issued = [result for result in results if isinstance(result, IssuedTokens)]
    refused = [result.description for result in results if isinstance(result, OAuthError)]
    assert len(issued) + len(refused) == len(results), results
    return len(issued), refused


async def test_a_code_redeemed_twice_at_once_gives_tokens_once(
    database: Database, client_and_user: tuple[Client, uuid.UUID]
) -> None:
    client, user_id = client_and_user
    code = await _code(database, client, user_id)

    async def redeem() -> IssuedTokens:
        return await grants.redeem_code(
            database,
            client=client,
            code=code,
            redirect_uri=REDIRECT_URI,
            code_verifier=None,
            lifetimes=LIFETIMES,
            mint_access_token=slow_mint,
        )

    results = await asyncio.gather(redeem(), redeem(), return_exceptions=True)
    assert _outcomes(results) == (1, ["the authorization code was already used"])
    assert await _revoked_reasons(database, client) == ["code_reused"]


async def test_a_refresh_token_rotated_twice_at_once_gives_tokens_once(
    database: Database, client_and_user: tuple[Client, uuid.UUID]
) -> None:
    client, user_id = client_and_user
    first = await grants.redeem_code(
        database,
        client=client,
        code=await _code(database, client, user_id),
        redirect_uri=REDIRECT_URI,
        code_verifier=None,
        lifetimes=LIFETIMES,
        mint_access_token=slow_mint,
    )
    assert first.refresh_token is not None
    refresh_token = first.refresh_token

    async def rotate() -> IssuedTokens:
        return await grants.refresh(
            database,
            client=client,
            refresh_token=refresh_token,
            requested_scopes=[],
            lifetimes=LIFETIMES,
            mint_access_token=slow_mint,
        )

    results = await asyncio.gather(rotate(), rotate(), return_exceptions=True)
    assert _outcomes(results) == (1, ["the refresh token was already used"])
    assert await _revoked_reasons(database, client) == ["refresh_token_reused"]


async def test_an_issued_access_token_introspects_to_its_grant_until_revoked(
    database: Database, client_and_user: tuple[Client, uuid.UUID]
) -> None:
    """Introspection runs its statement on the driver (grant_queries.active_access): the grant
    it reads back is the one the Core statements wrote."""
    client, user_id = client_and_user
    issued = await grants.redeem_code(
        database,
        client=client,
        code=await _code(database, client, user_id),
        redirect_uri=REDIRECT_URI,
        code_verifier=None,
        lifetimes=LIFETIMES,
        mint_access_token=slow_mint,
    )

    info = await grants.introspect(database, issued.access_token)

    assert info is not None
    assert info.grant == issued.grant
    assert info.expires_at == issued.access_expires_at
    assert info.dpop_jkt is None
    assert await grants.introspect(database, f"access-{secrets.token_urlsafe(24)}") is None
    async with database.transaction() as connection:
        await connection.execute(
            update(oidc_grants)
            .where(oidc_grants.c.id == issued.grant.id)
            .values(revoked_at=datetime.now(UTC), revoked_reason="test")
        )
    assert await grants.introspect(database, issued.access_token) is None
