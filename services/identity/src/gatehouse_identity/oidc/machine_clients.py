"""Machine clients of registry operators (issue 19, points 1-2), managed by the registry over
gRPC (grpc_clients.py): OAuth clients that use only the client_credentials grant, speak for one
operator (`operator_id`, emitted as a claim of their tokens) and hold scopes among
clients.MACHINE_SCOPES. A client authenticates with `private_key_jwt` (the operator's public
keys, checked here: RSA 2048-4096 bits or EC P-256, nothing private) or a generated secret,
shown once.

Every change is written to the audit log with the calling service, and is idempotent for a
retrying caller: deleting a client that is gone is no error.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from typing import Any

from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from gatehouse_common.db import Database
from gatehouse_identity.audit import service as audit
from gatehouse_identity.audit.service import AuditKind, Db
from gatehouse_identity.oidc import client_queries as queries
from gatehouse_identity.oidc import clients
from gatehouse_identity.oidc.client_models import Client
from gatehouse_identity.oidc.clients import (
    PRIVATE_JWK_MEMBERS,
    ClientError,
    ClientRegistration,
    UnknownClientError,
)
from gatehouse_identity.oidc.tokens import new_token, token_hash

MAX_JWKS_JSON = 20_000
MAX_MACHINE_KEYS = 5
RSA_BITS = (2048, 4096)
# The lengths of an EC P-256 public key's coordinates.
EC_COORDINATE_BYTES = {"P-256": 32}
SIGNING_ALGORITHMS = {"RSA": ("PS256",), "EC": ("ES256",)}


def _b64url_bytes(value: Any, field: str) -> bytes:
    if not isinstance(value, str) or not value or len(value) > 1000:
        raise ClientError(f"{field}: a base64url value")
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as error:
        raise ClientError(f"{field}: not base64url") from error


def _check_key(key: Any, index: int) -> None:
    field = f"jwks.keys[{index}]"
    if not isinstance(key, dict):
        raise ClientError(f"{field}: a JSON object")
    if PRIVATE_JWK_MEMBERS & set(key):
        raise ClientError(f"{field}: public keys only, no private key material")
    kty = key.get("kty")
    if kty not in SIGNING_ALGORITHMS:
        raise ClientError(f"{field}.kty: RSA or EC")
    if key.get("use", "sig") != "sig":
        raise ClientError(f"{field}.use: sig")
    if "alg" in key and key["alg"] not in SIGNING_ALGORITHMS[kty]:
        raise ClientError(f"{field}.alg: {' or '.join(SIGNING_ALGORITHMS[kty])}")
    if "kid" in key and (not isinstance(key["kid"], str) or not 0 < len(key["kid"]) <= 200):
        raise ClientError(f"{field}.kid: 1-200 characters")
    if kty == "RSA":
        bits = len(_b64url_bytes(key.get("n"), f"{field}.n").lstrip(b"\0")) * 8
        if not RSA_BITS[0] <= bits <= RSA_BITS[1]:
            raise ClientError(f"{field}.n: an RSA key of {RSA_BITS[0]} to {RSA_BITS[1]} bits")
        if len(_b64url_bytes(key.get("e"), f"{field}.e")) > 8:
            raise ClientError(f"{field}.e: not an RSA public exponent")
        return
    size = EC_COORDINATE_BYTES.get(str(key.get("crv")))
    if size is None:
        raise ClientError(f"{field}.crv: P-256")
    for coordinate in ("x", "y"):
        if len(_b64url_bytes(key.get(coordinate), f"{field}.{coordinate}")) != size:
            raise ClientError(f"{field}.{coordinate}: not a P-256 coordinate")


def parse_machine_jwks(jwks_json: str) -> dict[str, Any]:
    """The JWK Set a machine client registers, checked; ClientError naming the field."""
    if len(jwks_json) > MAX_JWKS_JSON:
        raise ClientError(f"jwks: at most {MAX_JWKS_JSON} characters")
    try:
        jwks = json.loads(jwks_json)
    except ValueError as error:
        raise ClientError("jwks: not JSON") from error
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list) or not 0 < len(keys) <= MAX_MACHINE_KEYS:
        raise ClientError(f"jwks.keys: a JWK Set with 1 to {MAX_MACHINE_KEYS} keys")
    for index, key in enumerate(keys):
        _check_key(key, index)
    # What the token endpoint will verify assertions with must import too.
    clients.check_jwks(jwks)
    try:
        KeySet.import_key_set({"keys": keys})
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise ClientError("jwks: a key cannot be read") from error
    return {"keys": keys}


async def create(
    database: Database,
    *,
    client_id: str,
    name: str,
    operator_id: uuid.UUID,
    scopes: list[str],
    jwks_json: str,
    caller: str,
) -> tuple[Client, str | None]:
    """The new client and its secret (None for a private_key_jwt client)."""
    registration = ClientRegistration(
        client_id=client_id,
        name=name,
        redirect_uris=[],
        post_logout_redirect_uris=[],
        min_level="multi_factor",
        grant_types=["client_credentials"],
        jwks=parse_machine_jwks(jwks_json) if jwks_json else None,
        operator_id=operator_id,
        scopes=scopes,
    )
    client, secret = await clients.create_client(database, registration, allow_plain_http=False)
    await _audit(database, AuditKind.OIDC_CLIENT_CREATED, client_id, caller)
    return client, secret


async def _machine_client(database: Database, client_id: str) -> Client:
    client = await clients.get_client(database, client_id)
    if client is None or client.operator_id is None:
        raise UnknownClientError(f"client_id: no machine client {client_id!r}")
    return client


async def replace_keys(
    database: Database, *, client_id: str, jwks_json: str, caller: str
) -> str | None:
    """New keys for a private_key_jwt client (None back), or a new secret for a secret client."""
    client = await _machine_client(database, client_id)
    if client.uses_private_key_jwt:
        if not jwks_json:
            raise ClientError("jwks: the client authenticates with its keys: give the new ones")
        jwks = parse_machine_jwks(jwks_json)
        async with database.transaction() as connection:
            await queries.replace_client_jwks(connection, client_id=client_id, jwks=jwks)
            await _audit(connection, AuditKind.OIDC_CLIENT_KEYS_REPLACED, client_id, caller)
        return None
    if jwks_json:
        raise ClientError("jwks: the client authenticates with a secret; send no keys")
    secret = new_token()
    async with database.transaction() as connection:
        await queries.replace_secret_hash(
            connection, client_id=client_id, secret_hash=token_hash(secret)
        )
        await _audit(connection, AuditKind.OIDC_CLIENT_SECRET_ROTATED, client_id, caller)
    return secret


async def delete(
    database: Database,
    *,
    caller: str,
    client_id: str | None = None,
    operator_id: uuid.UUID | None = None,
) -> list[str]:
    """Remove the machine client `client_id`, or every machine client of `operator_id`, with
    every token they hold; the ids removed (none when they were gone already)."""
    async with database.transaction() as connection:
        deleted = await queries.delete_machine_clients(
            connection, client_id=client_id, operator_id=operator_id
        )
        for gone in deleted:
            await _audit(connection, AuditKind.OIDC_CLIENT_DELETED, gone, caller)
    return deleted


async def _audit(db: Db, kind: AuditKind, client_id: str, caller: str) -> None:
    await audit.record(
        db, kind=kind, user_id=None, detail={"client_id": client_id, "caller": caller}
    )
