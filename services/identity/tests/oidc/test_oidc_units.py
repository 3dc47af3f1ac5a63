"""Unit tests of the OIDC provider's pure parts: levels and acr values, PKCE, redirect URI rules,
signing keys from files, and the eID `next` guard."""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from gatehouse_identity import levels as session_levels
from gatehouse_identity.oidc import levels, tokens
from gatehouse_identity.oidc.backchannel import LOGOUT_EVENT, logout_token, retry_delay
from gatehouse_identity.oidc.clients import ClientError, ClientRegistration, check_registration
from gatehouse_identity.oidc.keys import (
    KeyStore,
    NoSigningKeyError,
    _records_from_files,
    generate_key,
    key_encryption,
)
from gatehouse_identity.oidc.urls import with_query
from gatehouse_identity.settings import IdentitySettings
from gatehouse_identity.web.navigation import safe_next


def test_levels_are_ordered_and_map_to_documented_acr_values() -> None:
    assert levels.ACR_BY_LEVEL == {
        "password": "urn:gatehouse:acr:password",
        "multi_factor": "urn:gatehouse:acr:multi_factor",
        "phishing_resistant": "urn:gatehouse:acr:phishing_resistant",
    }
    assert session_levels.level_satisfies("multi_factor", "password")
    assert session_levels.level_satisfies("phishing_resistant", "multi_factor")
    assert not session_levels.level_satisfies("password", "multi_factor")
    assert not session_levels.level_satisfies("something", "password")
    assert not session_levels.level_satisfies("password", "something")
    assert session_levels.strongest("password", "multi_factor") == "multi_factor"


@pytest.mark.parametrize(
    ("acr_values", "level"),
    [
        ("", None),
        ("urn:example:unknown", None),
        ("urn:gatehouse:acr:phishing_resistant", "phishing_resistant"),
        # Any listed value is acceptable to the client: the weakest known one is what it needs.
        ("urn:gatehouse:acr:phishing_resistant urn:gatehouse:acr:multi_factor", "multi_factor"),
        ("urn:x urn:gatehouse:acr:password", "password"),
    ],
)
def test_acr_values_request_a_level(acr_values: str, level: str | None) -> None:
    assert levels.level_from_acr_values(acr_values) == level


def test_pkce_s256_matches_rfc7636_appendix_b() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert tokens.pkce_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert tokens.pkce_matches(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    assert not tokens.pkce_matches(
        verifier[:-1] + "Y", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )
    assert not tokens.is_valid_pkce_verifier("short")
    assert not tokens.is_valid_pkce_verifier("a" * 129)
    assert not tokens.is_valid_pkce_verifier("a" * 42 + "!")


def test_at_hash_is_the_left_half_of_sha256() -> None:
    digest = hashlib.sha256(b"token").digest()[:16]
    assert tokens.half_hash("token") == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_sid_names_a_session_without_revealing_its_hash() -> None:
    session = hashlib.sha256(b"cookie value").digest()
    sid = tokens.session_sid(session)
    assert sid == tokens.session_sid(session)
    assert sid != tokens.b64url(session)


def registration(**changes: object) -> ClientRegistration:
    values: dict[str, object] = {
        "client_id": "registry",
        "name": "Registry",
        "redirect_uris": ["https://registry.example/auth/callback"],
        "min_level": "multi_factor",
        "post_logout_redirect_uris": ["https://registry.example/"],
    }
    values.update(changes)
    return ClientRegistration(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "changes",
    [
        {"client_id": "has space"},
        {"redirect_uris": []},
        {"redirect_uris": ["https://registry.example/cb#fragment"]},
        {"redirect_uris": ["https://user:pass@registry.example/cb"]},
        {"redirect_uris": ["javascript:alert(1)"]},
        {"redirect_uris": ["/relative"]},
        {"redirect_uris": ["http://registry.example/cb"]},  # plain http off loopback
        {"post_logout_redirect_uris": ["ftp://registry.example/"]},
        {"backchannel_logout_uri": "registry.example/logout"},
        {"secret": "too-short"},
    ],
)
def test_client_registrations_are_checked(changes: dict[str, object]) -> None:
    with pytest.raises(ClientError):
        check_registration(registration(**changes), allow_plain_http=False)


def test_plain_http_is_allowed_on_loopback_or_outside_production() -> None:
    loopback = registration(redirect_uris=["http://127.0.0.1:8002/auth/callback"])
    check_registration(loopback, allow_plain_http=False)
    internal = registration(redirect_uris=["http://registry:8002/auth/callback"])
    check_registration(internal, allow_plain_http=True)


def test_keys_from_files_first_signs_others_are_only_published(tmp_path: Path) -> None:
    signing, retiring = generate_key(), generate_key()
    first, second = tmp_path / "new.pem", tmp_path / "old.pem"
    first.write_bytes(signing.as_pem(private=True))
    second.write_bytes(retiring.as_pem(private=True))
    records = _records_from_files([str(first), str(second)])
    now = datetime.now(UTC)
    current = [record for record in records if record.sign_from <= now < record.sign_until]
    assert [record.kid for record in current] == [signing.thumbprint()]
    assert {record.kid for record in records} == {signing.thumbprint(), retiring.thumbprint()}

    public_only = tmp_path / "public.pem"
    public_only.write_bytes(signing.as_pem(private=False))
    with pytest.raises(NoSigningKeyError):
        _records_from_files([str(public_only)])
    with pytest.raises(NoSigningKeyError):
        _records_from_files([str(tmp_path / "missing.pem")])


def test_private_keys_at_rest_are_encrypted_and_rotatable() -> None:
    derived = key_encryption("secret-key-of-identity", "")
    token = derived.encrypt(b"private jwk")
    assert b"private jwk" not in token
    assert key_encryption("secret-key-of-identity", "").decrypt(token) == b"private jwk"
    new_key = base64.urlsafe_b64encode(b"n" * 32).decode()
    old_key = base64.urlsafe_b64encode(b"o" * 32).decode()
    old_token = key_encryption("x", old_key).encrypt(b"kept")
    # Newest first; data under the older key still reads.
    assert key_encryption("x", f"{new_key},{old_key}").decrypt(old_token) == b"kept"


def test_generated_keys_sign_rs256_with_thumbprint_kid() -> None:
    key = generate_key()
    token = jwt.encode({"alg": "RS256", "kid": key.kid}, {"sub": "x"}, key)
    public = RSAKey.import_key(key.as_dict(private=False))
    assert jwt.decode(token, public, algorithms=["RS256"]).claims == {"sub": "x"}
    assert key.kid == key.thumbprint()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "/account"),
        ("/account/eids", "/account/eids"),
        ("/oidc/authorize/resume?request=abc", "/oidc/authorize/resume?request=abc"),
        ("https://attacker.example/", "/account"),
        ("//attacker.example/", "/account"),
        ("/\\attacker.example", "/account"),
        ("/ok\r\nSet-Cookie: x=1", "/account"),
    ],
)
def test_next_after_eid_sign_in_stays_on_this_site(value: str | None, expected: str) -> None:
    assert safe_next(value) == expected


def test_redirect_parameters_are_added_to_the_registered_query() -> None:
    assert (
        with_query("https://rp.example/cb?tenant=1", {"code": "a b", "state": None})
        == "https://rp.example/cb?tenant=1&code=a+b"
    )


async def test_logout_tokens_follow_back_channel_logout_1_0(tmp_path: Path) -> None:
    key = generate_key()
    pem = tmp_path / "signing.pem"
    pem.write_bytes(key.as_pem(private=True))
    settings = IdentitySettings(
        gatehouse_environment="test", oidc_signing_key_files=str(pem), eid_providers=[]
    )
    store = KeyStore(None, settings, secret_key="k" * 32)  # type: ignore[arg-type]  (files: no DB)
    user_id = uuid.uuid4()
    token = await logout_token(
        store, issuer="https://id.example", client_id="registry", user_id=user_id, sid="s1"
    )
    decoded = jwt.decode(token, RSAKey.import_key(key.as_dict(private=False)), ["RS256"])
    assert decoded.header["typ"] == "logout+jwt"
    assert decoded.header["kid"] == key.thumbprint()
    claims = decoded.claims
    assert claims["aud"] == "registry"
    assert claims["sub"] == str(user_id)
    assert claims["sid"] == "s1"
    assert claims["events"] == {LOGOUT_EVENT: {}}
    assert "nonce" not in claims
    assert 0 < claims["exp"] - claims["iat"] <= 120
    # Retries back off from 10 s, doubling, to at most an hour.
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 12)] == [10, 20, 40, 3600]
