"""The access token's format (oidc/access_tokens.py): an RFC 9068 JWT a resource server verifies
itself, or an opaque string; and where a binding (`cnf`) and further claims go."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from gatehouse_identity.oidc.access_tokens import (
    AccessTokenFormatError,
    AccessTokenIssuer,
    AccessTokenSubject,
)
from gatehouse_identity.oidc.grant_queries import Grant
from gatehouse_identity.oidc.keys import KeyStore, generate_key
from gatehouse_identity.settings import IdentitySettings

ISSUER = "https://id.example"
AUDIENCE = "urn:gatehouse:registry"


@pytest.fixture
def key_and_store(tmp_path: Path) -> tuple[RSAKey, KeyStore]:
    key = generate_key()
    pem = tmp_path / "signing.pem"
    pem.write_bytes(key.as_pem(private=True))
    settings = IdentitySettings(
        gatehouse_environment="test", oidc_signing_key_files=str(pem), eid_providers=[]
    )
    return key, KeyStore(None, settings, secret_key="k" * 32)  # type: ignore[arg-type]  (files)


def _grant() -> Grant:
    now = datetime.now(UTC)
    return Grant(
        id=uuid.uuid4(),
        client_id="registry",
        user_id=uuid.uuid4(),
        sid="sid-1",
        scopes=["openid", "email"],
        level="multi_factor",
        amr=["pwd", "otp", "mfa"],
        auth_time=now - timedelta(minutes=1),
        expires_at=now + timedelta(hours=1),
    )


async def test_a_grant_gives_a_jwt_access_token_as_rfc_9068_describes(
    key_and_store: tuple[RSAKey, KeyStore],
) -> None:
    key, store = key_and_store
    issuer = AccessTokenIssuer(store, issuer=ISSUER, audience=AUDIENCE)
    grant = _grant()
    now = datetime.now(UTC)
    token = await issuer.for_grant(grant, now, now + timedelta(seconds=300))
    decoded = jwt.decode(token, RSAKey.import_key(key.as_dict(private=False)), ["RS256"])
    assert decoded.header["typ"] == "at+jwt"
    assert decoded.header["kid"] == key.thumbprint()
    claims = decoded.claims
    assert claims["iss"] == ISSUER
    assert claims["aud"] == AUDIENCE
    assert claims["sub"] == str(grant.user_id)
    assert claims["client_id"] == "registry"
    assert claims["scope"] == "openid email"
    assert claims["acr"] == "urn:gatehouse:acr:multi_factor"
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    assert claims["auth_time"] == int(grant.auth_time.timestamp())
    assert claims["sid"] == "sid-1"
    assert claims["exp"] - claims["iat"] == 300
    assert uuid.UUID(claims["jti"])
    assert "cnf" not in claims
    again = await issuer.for_grant(grant, now, now + timedelta(seconds=300))
    assert (
        jwt.decode(again, RSAKey.import_key(key.as_dict(private=False))).claims["jti"]
        != (claims["jti"])
    )


async def test_a_binding_and_more_claims_go_into_the_token_but_never_replace_ours(
    key_and_store: tuple[RSAKey, KeyStore],
) -> None:
    key, store = key_and_store
    issuer = AccessTokenIssuer(store, issuer=ISSUER, audience=AUDIENCE)
    client = AccessTokenSubject(subject="operator-system", client_id="operator-system", scopes=[])
    now = datetime.now(UTC)
    token = await issuer.mint(
        client,
        issued_at=now,
        expires_at=now + timedelta(seconds=60),
        confirmation={"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"},
        extra_claims={"organization": "SE-123"},
    )
    claims = jwt.decode(token, RSAKey.import_key(key.as_dict(private=False))).claims
    assert claims["cnf"] == {"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}
    assert claims["organization"] == "SE-123"
    assert claims["sub"] == "operator-system"
    assert "sid" not in claims
    assert "acr" not in claims
    for clash in ("sub", "aud", "cnf", "exp"):
        with pytest.raises(AccessTokenFormatError):
            await issuer.mint(
                client,
                issued_at=now,
                expires_at=now + timedelta(seconds=60),
                extra_claims={clash: "x"},
            )


async def test_opaque_tokens_carry_nothing(key_and_store: tuple[RSAKey, KeyStore]) -> None:
    _, store = key_and_store
    issuer = AccessTokenIssuer(store, issuer=ISSUER, audience=AUDIENCE, format="opaque")
    now = datetime.now(UTC)
    token = await issuer.for_grant(_grant(), now, now + timedelta(seconds=300))
    assert "." not in token
    assert len(token) == 43  # 256 random bits, URL-safe base64
    with pytest.raises(AccessTokenFormatError):
        await issuer.mint(
            AccessTokenSubject(subject="c", client_id="c", scopes=[]),
            issued_at=now,
            expires_at=now + timedelta(seconds=60),
            extra_claims={"operator": "x"},
        )
