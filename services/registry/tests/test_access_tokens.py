"""JWT access tokens checked by the registry itself (auth/access_tokens.py), against a real
PostgreSQL for the revocations. Identity's HTTP endpoints (discovery, JWKS) are the one thing
stood in for, at the transport: the keys are made here (the whole way, with identity's own
tokens, is tests/test_registry_login.py)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from gatehouse_common.db import Database
from gatehouse_registry.auth.access_tokens import AccessTokenVerifier, looks_like_jwt
from gatehouse_registry.auth.oidc_client import IdentityClient, IdentityProviderError
from gatehouse_registry.auth.revocations import RevocationList
from gatehouse_registry.settings import RegistryAuthSettings

ISSUER = "http://identity.test"
AUDIENCE = "urn:gatehouse:registry"
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})


class _IdentityWithKeys(IdentityClient):
    """The registry's client of identity, whose HTTP reaches a stand-in serving discovery and
    the public half of KEY as the JWKS."""

    def __init__(self) -> None:
        super().__init__(RegistryAuthSettings(), issuer=ISSUER)
        self.fetches = 0
        self._http = httpx.AsyncClient(transport=httpx.MockTransport(self._answer))

    def _answer(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/openid-configuration":
            return httpx.Response(200, json={"issuer": ISSUER, "jwks_uri": f"{ISSUER}/jwks"})
        self.fetches += 1
        return httpx.Response(200, json={"keys": [KEY.as_dict(private=False)]})


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": str(uuid.uuid4()),
        "aud": AUDIENCE,
        "client_id": "registry",
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
        "scope": "openid profile",
        "acr": "urn:gatehouse:acr:multi_factor",
        "amr": ["pwd", "otp", "mfa"],
        "sid": "session-1",
    }
    claims.update(changes)
    return {key: value for key, value in claims.items() if value is not None}


def _token(claims: dict[str, Any], *, typ: str = "at+jwt", key: RSAKey = KEY) -> str:
    return jwt.encode({"alg": "RS256", "kid": "k1", "typ": typ}, claims, key)


@pytest.fixture
def revocations(database: Database) -> RevocationList:
    return RevocationList(database, keep_for_s=3600)


@pytest.fixture
def verifier(revocations: RevocationList) -> AccessTokenVerifier:
    return AccessTokenVerifier(
        _IdentityWithKeys(),
        revocations,
        audience=AUDIENCE,
        client_ids=["registry"],
        max_lifetime_s=3600,
    )


async def test_a_valid_token_gives_its_user_level_and_client(
    verifier: AccessTokenVerifier,
) -> None:
    claims = _claims()
    token = _token(claims)
    assert looks_like_jwt(token)
    active = await verifier.check(token)
    assert active is not None
    assert str(active.user_id) == claims["sub"]
    assert active.level == "multi_factor"
    assert active.client_id == "registry"
    assert active.amr == ["pwd", "otp", "mfa"]
    assert active.scopes == ["openid", "profile"]


@pytest.mark.parametrize(
    ("what", "token"),
    [
        ("an ID token", _token(_claims(), typ="JWT")),
        ("no typ", jwt.encode({"alg": "RS256", "kid": "k1"}, _claims(), KEY)),
        ("another issuer", _token(_claims(iss="http://elsewhere.test"))),
        ("another resource", _token(_claims(aud="urn:other"))),
        ("another client", _token(_claims(client_id="someone-else"))),
        ("expired", _token(_claims(iat=int(time.time()) - 900, exp=int(time.time()) - 600))),
        ("meant to live a day", _token(_claims(exp=int(time.time()) + 86400))),
        ("bound by a confirmation not understood", _token(_claims(cnf={"x5t#S256": "abc"}))),
        ("no subject", _token(_claims(sub=None))),
        ("not a user id", _token(_claims(sub="registry"))),
        ("signed by another key", _token(_claims(), key=OTHER_KEY)),
        ("garbage", "a.b.c"),
    ],
)
async def test_tokens_the_registry_must_not_accept(
    verifier: AccessTokenVerifier, what: str, token: str
) -> None:
    assert await verifier.check(token) is None, what


async def test_a_dpop_bound_token_comes_out_with_its_key_for_the_proof_check(
    verifier: AccessTokenVerifier,
) -> None:
    """The proof itself is asked for by dependencies.py (tests/test_oauth_fapi.py end to end)."""
    active = await verifier.check(_token(_claims(cnf={"jkt": "thumbprint"})))
    assert active is not None
    assert active.dpop_jkt == "thumbprint"


async def test_a_logged_out_session_and_a_reset_user_lose_their_tokens_in_every_replica(
    verifier: AccessTokenVerifier, revocations: RevocationList, database: Database
) -> None:
    sid = f"session-{uuid.uuid4().hex}"
    user = str(uuid.uuid4())
    session_token = _token(_claims(sid=sid))
    users_other_token = _token(_claims(sub=user, sid=f"other-{uuid.uuid4().hex}"))
    assert await verifier.check(session_token) is not None
    assert await verifier.check(users_other_token) is not None

    # Another replica records the back-channel logout; this one reads it within a second.
    other_replica = RevocationList(database, keep_for_s=3600)
    await other_replica.revoke_session(sid=sid, user_id=None, issued_before=datetime.now(UTC))
    deadline = time.monotonic() + 5
    while await verifier.check(session_token) is not None:
        assert time.monotonic() < deadline, "the logout never reached this replica"
        await asyncio.sleep(0.1)
    assert await verifier.check(users_other_token) is not None

    await revocations.revoke_user(user_id=uuid.UUID(user), issued_before=datetime.now(UTC))
    assert await verifier.check(users_other_token) is None
    # A token issued after the reset (the user signed in again) works.
    later = _token(_claims(sub=user, iat=int(time.time()) + 2, exp=int(time.time()) + 300))
    assert await verifier.check(later) is not None


async def test_the_jwks_is_fetched_again_for_an_unknown_key_at_most_every_few_seconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    identity = _IdentityWithKeys()
    for _ in range(3):
        await identity.verify_signature(_token(_claims()))
    assert identity.fetches == 1  # kept

    unknown = jwt.encode({"alg": "RS256", "kid": "k2", "typ": "at+jwt"}, _claims(), KEY)
    monkeypatch.setattr("gatehouse_registry.auth.oidc_client.JWKS_REFETCH_MIN_S", 0.0)
    with pytest.raises(IdentityProviderError):
        await identity.verify_signature(unknown)
    assert identity.fetches == 2  # a key it did not know: fetched again
    monkeypatch.setattr("gatehouse_registry.auth.oidc_client.JWKS_REFETCH_MIN_S", 3600.0)
    for _ in range(3):
        with pytest.raises(IdentityProviderError):
            await identity.verify_signature(unknown)
    assert identity.fetches == 2  # made-up key ids do not make the registry hammer identity
