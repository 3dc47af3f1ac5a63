"""Relying parties (OAuth clients): registration, lookup and authentication.

A confidential client authenticates with a secret (`client_secret_basic`/`_post`) or with JWTs
signed by its own key (`private_key_jwt`, RFC 7523: its public keys registered as a JWKS or a
`jwks_uri`, see client_assertions.py). A secret is 256 random bits shown once; only its SHA-256
is stored (enough for a value nobody can guess, see tokens.py). A secret chosen by an operator
must be at least as long. Public clients (neither) must use PKCE with S256.

Per client, as FAPI 2.0 wants it for the clients that ask: `require_pushed_authorization_requests`
(RFC 9126 §6), `dpop_bound_access_tokens` (RFC 9449 §5.2), and the `grant_types` it may use
(`client_credentials` for a machine, which then needs no redirect URI).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from gatehouse_common.db import Database
from gatehouse_identity.levels import Level
from gatehouse_identity.oidc import client_queries as queries
from gatehouse_identity.oidc.client_models import DEFAULT_GRANT_TYPES, Client
from gatehouse_identity.oidc.client_queries import NewClient
from gatehouse_identity.oidc.tokens import new_token, token_hash

CLIENT_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
MIN_SECRET_LENGTH = 32
SUPPORTED_SCOPES = ("openid", "profile", "email")
# What a registry operator's machine client may be granted (issue 19): read its operator's data,
# and its users and their roles. Only a client of an operator (operator_id) gets them.
MACHINE_SCOPES = ("operators.read", "roles.read")
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
MAX_URIS = 20
MAX_JWKS_KEYS = 10
# Members only a private or symmetric JWK has: a client registers public keys only.
PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


class ClientError(Exception):
    """A registration request that cannot be accepted; the message says which field."""


class ClientExistsError(ClientError):
    pass


class UnknownClientError(ClientError):
    pass


@dataclass(frozen=True)
class ClientRegistration:
    client_id: str
    name: str
    redirect_uris: list[str]
    min_level: Level
    post_logout_redirect_uris: list[str]
    backchannel_logout_uri: str | None = None
    first_party: bool = False
    public: bool = False
    # None: generate one (confidential clients). Ignored for public clients and for clients
    # that authenticate with their key (jwks or jwks_uri).
    secret: str | None = None
    grant_types: list[str] = field(default_factory=lambda: list(DEFAULT_GRANT_TYPES))
    jwks: dict[str, Any] | None = None
    jwks_uri: str | None = None
    require_pushed_authorization_requests: bool = False
    dpop_bound_access_tokens: bool = False
    # A machine client of a registry operator (client_credentials only) and its scopes among
    # MACHINE_SCOPES; None: not an operator's client, SUPPORTED_SCOPES.
    operator_id: uuid.UUID | None = None
    scopes: list[str] | None = None

    @property
    def uses_private_key_jwt(self) -> bool:
        return self.jwks is not None or self.jwks_uri is not None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_uri(uri: str, field: str, *, allow_plain_http: bool) -> str:
    """An absolute http(s) URI without fragment or user info (RFC 6749 §3.1.2, RFC 9700 §2.1)."""
    parts = urlsplit(uri)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ClientError(f"{field}: {uri!r} is not an absolute http(s) URI")
    if parts.fragment or "#" in uri:
        raise ClientError(f"{field}: {uri!r} must not have a fragment")
    if parts.username or parts.password:
        raise ClientError(f"{field}: {uri!r} must not carry user information")
    if parts.scheme == "http" and not (allow_plain_http or _is_loopback(parts.hostname)):
        raise ClientError(f"{field}: {uri!r} must use https")
    if len(uri) > 2000:
        raise ClientError(f"{field}: too long")
    return uri


def check_jwks(jwks: Any) -> None:
    """A JWK Set of public signing keys (RFC 7517 §5), nothing private in it."""
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list) or not 0 < len(keys) <= MAX_JWKS_KEYS:
        raise ClientError(f"jwks: a JWK Set with 1 to {MAX_JWKS_KEYS} keys")
    for key in keys:
        if not isinstance(key, dict) or key.get("kty") not in ("RSA", "EC", "OKP"):
            raise ClientError("jwks: every key must be an RSA, EC or OKP public key")
        if PRIVATE_JWK_MEMBERS & set(key):
            raise ClientError("jwks: must hold public keys only, no private key material")
    if len(json.dumps(jwks)) > 20_000:
        raise ClientError("jwks: too long")


def _check_grants_and_keys(registration: ClientRegistration, *, allow_plain_http: bool) -> None:
    grant_types = registration.grant_types
    if not grant_types or not set(grant_types) <= set(GRANT_TYPES):
        raise ClientError(f"grant_types: one or more of {', '.join(GRANT_TYPES)}")
    if "client_credentials" in grant_types and registration.public:
        raise ClientError("grant_types: a public client cannot use client_credentials")
    if registration.jwks is not None and registration.jwks_uri:
        raise ClientError("jwks: give either jwks or jwks_uri, not both")
    if registration.jwks is not None:
        check_jwks(registration.jwks)
    if registration.jwks_uri:
        check_uri(registration.jwks_uri, "jwks_uri", allow_plain_http=allow_plain_http)
    if registration.uses_private_key_jwt and (registration.public or registration.secret):
        raise ClientError("jwks: a client with keys has neither a secret nor is it public")


def _check_operator_scopes(registration: ClientRegistration) -> None:
    if registration.operator_id is None:
        if registration.scopes is not None:
            raise ClientError("scopes: only an operator's machine client is given scopes")
        return
    if registration.grant_types != ["client_credentials"]:
        raise ClientError("grant_types: an operator's machine client uses client_credentials only")
    scopes = registration.scopes or []
    if not scopes or not set(scopes) <= set(MACHINE_SCOPES):
        raise ClientError(f"scopes: one or more of {', '.join(MACHINE_SCOPES)}")


def check_registration(registration: ClientRegistration, *, allow_plain_http: bool) -> None:
    if not CLIENT_ID_PATTERN.fullmatch(registration.client_id):
        raise ClientError("client_id: 1-100 characters of letters, digits, '.', '_', '-'")
    if not registration.name.strip() or len(registration.name) > 200:
        raise ClientError("name: 1-200 characters")
    _check_operator_scopes(registration)
    _check_grants_and_keys(registration, allow_plain_http=allow_plain_http)
    # A machine (client_credentials only) is never sent back to: it needs no redirect URI.
    needs_redirect = "authorization_code" in registration.grant_types
    if needs_redirect and not registration.redirect_uris:
        raise ClientError(f"redirect_uris: between 1 and {MAX_URIS}")
    if len(registration.redirect_uris) > MAX_URIS:
        raise ClientError(f"redirect_uris: between 1 and {MAX_URIS}")
    if len(registration.post_logout_redirect_uris) > MAX_URIS:
        raise ClientError(f"post_logout_redirect_uris: at most {MAX_URIS}")
    for uri in registration.redirect_uris:
        check_uri(uri, "redirect_uris", allow_plain_http=allow_plain_http)
    for uri in registration.post_logout_redirect_uris:
        check_uri(uri, "post_logout_redirect_uris", allow_plain_http=allow_plain_http)
    if registration.backchannel_logout_uri:
        check_uri(
            registration.backchannel_logout_uri,
            "backchannel_logout_uri",
            allow_plain_http=allow_plain_http,
        )
    if registration.secret is not None and len(registration.secret) < MIN_SECRET_LENGTH:
        raise ClientError(f"secret: at least {MIN_SECRET_LENGTH} characters")


async def create_client(
    database: Database,
    registration: ClientRegistration,
    *,
    allow_plain_http: bool,
    replace: bool = False,
) -> tuple[Client, str | None]:
    """Register a client; returns it and its secret (None for public clients).

    `replace` updates an existing client of that id instead of refusing (what a launcher that
    re-registers its services at every start needs). The secret is replaced too.
    """
    check_registration(registration, allow_plain_http=allow_plain_http)
    keyed = registration.uses_private_key_jwt
    secret = None if registration.public or keyed else (registration.secret or new_token())
    new = NewClient(
        client_id=registration.client_id,
        name=registration.name.strip(),
        secret_hash=token_hash(secret) if secret else None,
        redirect_uris=registration.redirect_uris,
        post_logout_redirect_uris=registration.post_logout_redirect_uris,
        backchannel_logout_uri=registration.backchannel_logout_uri or None,
        min_level=registration.min_level,
        first_party=registration.first_party,
        scopes=list(dict.fromkeys(registration.scopes or SUPPORTED_SCOPES)),
        grant_types=list(dict.fromkeys(registration.grant_types)),
        jwks=registration.jwks,
        jwks_uri=registration.jwks_uri or None,
        require_pushed_authorization_requests=registration.require_pushed_authorization_requests,
        dpop_bound_access_tokens=registration.dpop_bound_access_tokens,
        operator_id=registration.operator_id,
    )
    async with database.connection() as connection:
        client = await queries.insert_client(connection, new=new, replace=replace)
    if client is None:
        raise ClientExistsError(f"client_id: {registration.client_id!r} is already registered")
    return client, secret


async def get_client(database: Database, client_id: str) -> Client | None:
    if not CLIENT_ID_PATTERN.fullmatch(client_id):
        return None
    async with database.connection() as connection:
        return await queries.client_by_id(connection, client_id=client_id)


async def list_clients(database: Database) -> list[Client]:
    async with database.connection() as connection:
        return await queries.all_clients(connection)


async def delete_client(database: Database, client_id: str) -> bool:
    """Remove a client and, with it (cascade), every grant and token it holds."""
    async with database.connection() as connection:
        return await queries.delete_client(connection, client_id=client_id)


async def rotate_secret(database: Database, client_id: str) -> str:
    secret = new_token()
    async with database.connection() as connection:
        updated = await queries.replace_secret_hash(
            connection, client_id=client_id, secret_hash=token_hash(secret)
        )
    if not updated:
        raise UnknownClientError(f"no confidential client {client_id!r}")
    return secret


async def authenticate_client(
    database: Database, client_id: str, secret: str | None
) -> Client | None:
    """The client if `secret` is its secret (or it is public and no secret was sent)."""
    if not CLIENT_ID_PATTERN.fullmatch(client_id) or (secret and len(secret) > 500):
        return None
    async with database.connection() as connection:
        found = await queries.client_and_secret_hash(connection, client_id=client_id)
    if found is None:
        return None
    client, stored = found
    if client.uses_private_key_jwt:
        return None  # it proves itself with its key (client_assertions.py), never a secret
    if stored is None:
        return client if not secret else None
    if not secret or not hmac.compare_digest(stored, token_hash(secret)):
        return None
    return client
