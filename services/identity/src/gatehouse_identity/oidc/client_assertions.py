"""`private_key_jwt` client authentication (RFC 7523 §2.2, OIDC Core §9): the client proves who it
is with a JWT signed by its own private key; identity holds only the public half (the client's
`jwks`, or fetched from its `jwks_uri`).

An assertion is accepted when its `alg` is on the FAPI 2.0 list (no RS256, no HMAC), it verifies
with one of the client's keys, `iss` and `sub` are the client id, `aud` names this issuer (or the
endpoint it is sent to), it expires within MAX_LIFETIME_S and has not yet, and its `jti` has not
been seen (each assertion works once: a copy cannot be replayed, RFC 7523 §3 point 7).

Keys from a `jwks_uri` come through the runtime's cache (client_jwks.py).
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from gatehouse_identity.oidc import clients, queries
from gatehouse_identity.oidc.client_models import Client
from gatehouse_identity.oidc.errors import invalid_client

if TYPE_CHECKING:
    from gatehouse_identity.oidc.runtime import OidcRuntime

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ("PS256", "ES256", "EdDSA")
MAX_ASSERTION_LENGTH = 8192
MAX_LIFETIME_S = 300
CLOCK_LEEWAY_S = 5


def _unverified(assertion: str) -> tuple[dict[str, Any], dict[str, Any]]:
    if not assertion or len(assertion) > MAX_ASSERTION_LENGTH or not assertion.isascii():
        raise invalid_client("client_assertion is not a JWT")
    try:
        extracted = jws.extract_compact(assertion.encode())
        claims = json.loads(extracted.payload)
    except (JoseError, ValueError, TypeError) as error:
        raise invalid_client("client_assertion is not a JWT") from error
    if not isinstance(claims, dict):
        raise invalid_client("client_assertion is not a JWT")
    return dict(extracted.protected), claims


async def _client_keys(runtime: OidcRuntime, client: Client, kid: str | None) -> KeySet:
    document = client.jwks
    if document is None and client.jwks_uri:
        document = await runtime.client_jwks.keys(client.jwks_uri, kid=kid)
    try:
        return KeySet.import_key_set(document or {"keys": []})  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError, AttributeError) as error:
        raise invalid_client("the client's keys cannot be read") from error


def _check_claims(claims: dict[str, Any], client_id: str, audiences: set[str]) -> float:
    """The assertion's expiry; invalid_client when a claim is wrong."""
    audience = claims.get("aud")
    if isinstance(audience, str):
        named = {audience}
    else:
        named = {str(a) for a in audience} if isinstance(audience, list) else set()
    exp = claims.get("exp")
    now = time.time()
    if claims.get("sub") != client_id:
        raise invalid_client("client_assertion: sub must be the client_id")
    if not named & audiences:
        raise invalid_client("client_assertion: aud must be the issuer")
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        raise invalid_client("client_assertion: exp is required")
    if exp <= now - CLOCK_LEEWAY_S:
        raise invalid_client("client_assertion has expired")
    if exp > now + MAX_LIFETIME_S + CLOCK_LEEWAY_S:
        raise invalid_client(f"client_assertion: exp at most {MAX_LIFETIME_S} s ahead")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 0 < len(jti) <= 256:
        raise invalid_client("client_assertion: jti is required")
    return float(exp)


async def authenticate_with_assertion(
    runtime: OidcRuntime, assertion: str, *, claimed_client_id: str | None, endpoint: str
) -> Client:
    """The client the assertion proves; invalid_client otherwise (never says which check
    failed beyond what helps an honest client fix its request)."""
    header, claims = _unverified(assertion)
    client_id = claims.get("iss")
    if not isinstance(client_id, str) or claimed_client_id not in (None, client_id):
        raise invalid_client("client_assertion: iss must be the client_id")
    if header.get("alg") not in ALGORITHMS:
        raise invalid_client(f"client_assertion: alg must be one of {', '.join(ALGORITHMS)}")
    client = await clients.get_client(runtime.context.database, client_id)
    if client is None or not client.uses_private_key_jwt:
        raise invalid_client()
    kid = header.get("kid")
    keys = await _client_keys(runtime, client, kid if isinstance(kid, str) else None)
    try:
        jws.deserialize_compact(assertion, keys, algorithms=[str(header["alg"])])
    except (JoseError, ValueError, TypeError, KeyError, AttributeError) as error:
        raise invalid_client("client_assertion: the signature does not verify") from error
    issuer = runtime.issuer
    expires = _check_claims(claims, client_id, {issuer, f"{issuer}/", endpoint})
    digest = hashlib.sha256(f"assertion\x00{client_id}\x00{claims['jti']}".encode()).digest()
    async with runtime.context.database.connection() as connection:
        first = await queries.remember_jti(
            connection,
            digest=digest,
            expires_at=datetime.fromtimestamp(expires + CLOCK_LEEWAY_S, UTC),
        )
    if not first:
        raise invalid_client("client_assertion was already used")
    return client
