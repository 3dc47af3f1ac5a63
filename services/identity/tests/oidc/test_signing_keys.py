"""Identity's signing keys (oidc/keys.py): ID and logout tokens RS256, JWT access tokens ES256 —
the algorithm FAPI 2.0 asks for and a fraction of RSA's signing cost — in both key sources, with
an RSA-only deployment still signing access tokens (RS256) and an old database gaining its ES256
key on the next check."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.db import Database
from gatehouse_identity.oidc import key_queries
from gatehouse_identity.oidc.access_tokens import AccessTokenIssuer
from gatehouse_identity.oidc.keys import (
    ACCESS_TOKEN_ALGORITHMS,
    KeyStore,
    NoSigningKeyError,
    generate_ec_key,
    generate_key,
)
from gatehouse_identity.settings import IdentitySettings
from gatehouse_identity.tables import oidc_signing_keys

from .test_access_tokens import _grant

ISSUER = "https://id.example"
AUDIENCE = "urn:gatehouse:registry"


def _settings(**overrides: str) -> IdentitySettings:
    return IdentitySettings(gatehouse_environment="test", eid_providers=[], **overrides)


async def _access_token(store: KeyStore) -> str:
    now = datetime.now(UTC)
    issuer = AccessTokenIssuer(store, issuer=ISSUER, audience=AUDIENCE)
    return await issuer.for_grant(_grant(), now, now + timedelta(seconds=300))


def _alg(token: str) -> str:
    encoded = token.split(".", maxsplit=1)[0]
    header: dict[str, str] = json.loads(base64.urlsafe_b64decode(encoded + "=="))
    return header["alg"]


async def _algorithms_stored(connection: AsyncConnection) -> list[str]:
    rows = await connection.execute(
        select(oidc_signing_keys.c.alg).order_by(oidc_signing_keys.c.alg)
    )
    return [row.alg for row in rows]


async def test_database_keys_sign_id_tokens_rs256_and_access_tokens_es256(
    rolled_back_database: Database, db_connection: AsyncConnection
) -> None:
    store = KeyStore(rolled_back_database, _settings(), secret_key="k" * 32)
    await store.ensure_database_keys()
    assert await _algorithms_stored(db_connection) == ["ES256", "RS256"]

    jwks = KeySet.import_key_set(await store.jwks())
    published = {key.kid: key for key in jwks.keys}
    id_token = await store.sign({"sub": "x"})
    access_token = await _access_token(store)

    assert _alg(id_token) == "RS256"
    assert _alg(access_token) == "ES256"
    verified = jwt.decode(access_token, jwks, algorithms=["ES256"])
    assert isinstance(published[verified.header["kid"]], ECKey)
    assert verified.header["typ"] == "at+jwt"
    assert jwt.decode(id_token, jwks, algorithms=["RS256"]).claims == {"sub": "x"}
    assert {json_key["alg"] for json_key in (await store.jwks())["keys"]} == {"RS256", "ES256"}


async def test_a_database_from_before_es256_gains_an_es256_key_and_keeps_its_rsa_key(
    rolled_back_database: Database, db_connection: AsyncConnection
) -> None:
    store = KeyStore(rolled_back_database, _settings(), secret_key="k" * 32)
    await store.ensure_database_keys()
    # What the database looked like before: its RS256 key only.
    await db_connection.execute(
        oidc_signing_keys.delete().where(oidc_signing_keys.c.alg == "ES256")
    )
    rsa_kid = (await store.signing_key()).kid

    await store.ensure_database_keys()

    assert await _algorithms_stored(db_connection) == ["ES256", "RS256"]
    assert (await store.signing_key()).kid == rsa_kid
    assert _alg(await _access_token(store)) == "ES256"


async def test_rotating_now_replaces_the_signing_key_of_each_algorithm(
    rolled_back_database: Database, db_connection: AsyncConnection
) -> None:
    store = KeyStore(rolled_back_database, _settings(), secret_key="k" * 32)
    await store.ensure_database_keys()
    before = {alg: (await store.signing_key((alg,))).kid for alg in ("RS256", "ES256")}

    records = await store.ensure_database_keys(rotate_now=True)

    after = {alg: (await store.signing_key((alg,))).kid for alg in ("RS256", "ES256")}
    assert before["RS256"] != after["RS256"]
    assert before["ES256"] != after["ES256"]
    # The retired keys stay published so the tokens they signed still verify.
    assert set(before.values()) <= {record.kid for record in records}
    now = await key_queries.lock_rotation(db_connection, key=1)
    assert len(await key_queries.published_keys(db_connection, now=now)) == 4


async def test_an_rsa_only_files_deployment_still_signs_access_tokens(tmp_path: Path) -> None:
    rsa = tmp_path / "rsa.pem"
    rsa.write_bytes(generate_key().as_pem(private=True))
    store = KeyStore(None, _settings(oidc_signing_key_files=str(rsa)), secret_key="k" * 32)  # type: ignore[arg-type]  (files: no DB)

    assert _alg(await _access_token(store)) == "RS256"


async def test_an_ec_file_signs_access_tokens_and_the_rsa_file_id_tokens(tmp_path: Path) -> None:
    rsa, ec = tmp_path / "rsa.pem", tmp_path / "ec.pem"
    rsa.write_bytes(generate_key().as_pem(private=True))
    ec.write_bytes(generate_ec_key().as_pem(private=True))
    files = f"{rsa},{ec}"
    store = KeyStore(None, _settings(oidc_signing_key_files=files), secret_key="k" * 32)  # type: ignore[arg-type]

    assert _alg(await _access_token(store)) == "ES256"
    assert _alg(await store.sign({"sub": "x"})) == "RS256"
    assert (await store.signing_key(ACCESS_TOKEN_ALGORITHMS)).alg == "ES256"


async def test_an_ec_key_on_another_curve_is_refused_by_name(tmp_path: Path) -> None:
    other = tmp_path / "p384.pem"
    other.write_bytes(ECKey.generate_key("P-384").as_pem(private=True))
    store = KeyStore(None, _settings(oidc_signing_key_files=str(other)), secret_key="k" * 32)  # type: ignore[arg-type]

    with pytest.raises(NoSigningKeyError, match=r"p384\.pem: EC keys must be P-256"):
        await store.records()


async def test_an_access_token_is_not_taken_for_an_id_token(tmp_path: Path) -> None:
    """Logout's id_token_hint is decoded as an ID token: RS256 only, so an ES256 access token
    is no hint."""
    rsa, ec = tmp_path / "rsa.pem", tmp_path / "ec.pem"
    rsa.write_bytes(generate_key().as_pem(private=True))
    ec.write_bytes(generate_ec_key().as_pem(private=True))
    store = KeyStore(None, _settings(oidc_signing_key_files=f"{rsa},{ec}"), secret_key="k" * 32)  # type: ignore[arg-type]

    with pytest.raises(JoseError):
        await store.decode(await _access_token(store))
    assert (await store.decode(await store.sign({"sub": "x"}))).claims == {"sub": "x"}
