"""Authorization requests (OpenID Connect Core 3.1.2.1): checking one against its client, and
keeping it server-side while the browser signs in, steps up or answers the consent question.

Order of checks follows RFC 6749 §4.1.2.1: while the client or its redirect URI is in doubt
the request is refused on a page of ours and the browser is never sent anywhere
(`UntrustedRequestError`); after that, errors go back to the client's redirect URI with the
standard codes (`AuthorizationError`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from gatehouse_common.db import Database
from gatehouse_identity.levels import Level, strongest
from gatehouse_identity.oidc import request_queries as queries
from gatehouse_identity.oidc.client_models import Client
from gatehouse_identity.oidc.levels import level_from_acr_values
from gatehouse_identity.oidc.request_queries import KeptRequest
from gatehouse_identity.oidc.tokens import is_valid_pkce_challenge, new_token

KNOWN_PROMPTS = {"none", "login", "consent", "select_account"}
MAX_PARAM_LENGTH = 2000
SINGLE_PARAMS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "max_age",
    "acr_values",
    "response_mode",
    "dpop_jkt",
    "request_uri",
)


class AuthorizationError(Exception):
    """An error for the client, sent to its (already validated) redirect URI."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


class UntrustedRequestError(Exception):
    """The client or its redirect URI is unknown: refused on our own page, never redirected."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


@dataclass(frozen=True)
class PendingRequest:
    id: str
    client: Client
    redirect_uri: str
    scopes: list[str]
    state: str | None
    nonce: str | None
    code_challenge: str | None
    prompt: set[str]
    max_age: int | None
    level: Level
    login_redirects: int
    created_at: datetime
    # RFC 9449 §10: the DPoP key the code will be bound to (dpop_jkt, or the PAR's proof).
    dpop_jkt: str | None = None

    def params(self) -> dict[str, Any]:
        return {
            "redirect_uri": self.redirect_uri,
            "scopes": self.scopes,
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": self.code_challenge,
            "prompt": sorted(self.prompt),
            "max_age": self.max_age,
            "level": self.level,
            "dpop_jkt": self.dpop_jkt,
        }


def read_params(items: list[tuple[str, str]]) -> tuple[dict[str, str], set[str]]:
    """The request's parameters, and the names that came more than once."""
    params: dict[str, str] = {}
    repeated: set[str] = set()
    for key, value in items:
        if key in params:
            repeated.add(key)
        params[key] = value
    return params, repeated


def client_redirect_uri(client: Client | None, params: dict[str, str], repeated: set[str]) -> str:
    """The redirect URI, once the client and it are beyond doubt; UntrustedRequestError else.
    Exact string match (RFC 9700 §4.1.3): no prefixes, no added paths or parameters."""
    if client is None:
        raise UntrustedRequestError("unknown client_id")
    redirect_uri = params.get("redirect_uri", "")
    if "redirect_uri" in repeated or redirect_uri not in client.redirect_uris:
        raise UntrustedRequestError("redirect_uri is not registered for this client")
    return redirect_uri


def validate(
    client: Client, params: dict[str, str], repeated: set[str], *, pushed: bool = False
) -> PendingRequest:
    """The request as kept while the browser signs in; AuthorizationError for the client.
    `pushed`: it came to the PAR endpoint (RFC 9126), which some clients must use."""
    if client.require_pushed_authorization_requests and not pushed:
        raise AuthorizationError(
            "invalid_request", "this client must push its requests (PAR, RFC 9126)"
        )
    _check_form(params, repeated)
    scopes = _scopes(client, params)
    challenge = _pkce_challenge(client, params)
    prompt, max_age = _prompt_and_max_age(params)
    requested = level_from_acr_values(params.get("acr_values", ""))
    # The client's minimum always holds; acr_values can only ask for more.
    level = strongest(client.min_level, requested) if requested else client.min_level
    return PendingRequest(
        id=new_token(),
        client=client,
        redirect_uri=params["redirect_uri"],
        scopes=scopes,
        state=params.get("state") or None,
        nonce=params.get("nonce") or None,
        code_challenge=challenge,
        prompt=prompt,
        max_age=max_age,
        level=level,
        login_redirects=0,
        created_at=datetime.now(UTC),
        dpop_jkt=_dpop_jkt(params),
    )


def _dpop_jkt(params: dict[str, str]) -> str | None:
    value = params.get("dpop_jkt") or None
    # A JWK SHA-256 thumbprint: base64url of 32 bytes, 43 characters (RFC 7638, RFC 9449 §10).
    if value is not None and not is_valid_pkce_challenge(value):
        raise AuthorizationError("invalid_request", "dpop_jkt is not a JWK SHA-256 thumbprint")
    return value


def from_pushed(client: Client, params: dict[str, Any]) -> PendingRequest | None:
    """A pushed request (par.py) as a new kept request; None when its redirect URI is no longer
    the client's."""
    if params["redirect_uri"] not in client.redirect_uris:
        return None
    return PendingRequest(
        id=new_token(),
        client=client,
        redirect_uri=params["redirect_uri"],
        scopes=params["scopes"],
        state=params["state"],
        nonce=params["nonce"],
        code_challenge=params["code_challenge"],
        prompt=set(params["prompt"]),
        max_age=params["max_age"],
        level=strongest(client.min_level, params["level"]),
        login_redirects=0,
        created_at=datetime.now(UTC),
        dpop_jkt=params.get("dpop_jkt"),
    )


def _check_form(params: dict[str, str], repeated: set[str]) -> None:
    duplicated = repeated & set(SINGLE_PARAMS)
    if duplicated:
        raise AuthorizationError("invalid_request", f"repeated parameter: {min(duplicated)}")
    for key in SINGLE_PARAMS:
        if len(params.get(key, "")) > MAX_PARAM_LENGTH:
            raise AuthorizationError("invalid_request", f"{key} is too long")
    if "request" in params:
        raise AuthorizationError("request_not_supported", "request objects are not supported")
    if "request_uri" in params:
        # Only the authorization endpoint takes one, alone (RFC 9126 §2.1, §4).
        raise AuthorizationError("invalid_request", "request_uri cannot be pushed or combined")
    if params.get("response_mode", "query") != "query":
        raise AuthorizationError("invalid_request", "only response_mode=query is supported")
    if params.get("response_type") != "code":
        raise AuthorizationError("unsupported_response_type", "only response_type=code")


def _scopes(client: Client, params: dict[str, str]) -> list[str]:
    scopes = list(dict.fromkeys(params.get("scope", "").split()))
    if "openid" not in scopes:
        raise AuthorizationError("invalid_scope", "the openid scope is required")
    unknown = [scope for scope in scopes if scope not in client.scopes]
    if unknown:
        raise AuthorizationError("invalid_scope", f"scope not allowed: {unknown[0]}")
    return scopes


def _pkce_challenge(client: Client, params: dict[str, str]) -> str | None:
    challenge = params.get("code_challenge") or None
    method = params.get("code_challenge_method")
    if challenge is None:
        if method:
            raise AuthorizationError("invalid_request", "code_challenge_method without challenge")
        if client.public:
            raise AuthorizationError("invalid_request", "PKCE (code_challenge, S256) is required")
        return None
    # "plain" offers no protection if the request leaks (RFC 9700 §2.1.1): S256 only.
    if method != "S256":
        raise AuthorizationError("invalid_request", "code_challenge_method must be S256")
    if not is_valid_pkce_challenge(challenge):
        raise AuthorizationError("invalid_request", "code_challenge is malformed")
    return challenge


def _prompt_and_max_age(params: dict[str, str]) -> tuple[set[str], int | None]:
    prompt = set(params.get("prompt", "").split())
    if prompt - KNOWN_PROMPTS:
        raise AuthorizationError("invalid_request", "unknown prompt value")
    if "none" in prompt and len(prompt) > 1:
        raise AuthorizationError("invalid_request", "prompt=none cannot be combined")
    raw = params.get("max_age")
    if not raw:
        return prompt, None
    if not raw.isdigit() or len(raw) > 9:
        raise AuthorizationError("invalid_request", "max_age must be a number of seconds")
    return prompt, int(raw)


async def save(database: Database, pending: PendingRequest, *, ttl_s: int) -> None:
    async with database.connection() as connection:
        await queries.insert_request(
            connection,
            request_id=pending.id,
            client_id=pending.client.client_id,
            params=pending.params(),
            created_at=pending.created_at,
            expires_at=pending.created_at + timedelta(seconds=ttl_s),
        )


async def load(database: Database, request_id: str) -> KeptRequest | None:
    """A kept request that has not expired, as stored; `resumed` checks it against its client
    as that is now."""
    if not request_id or len(request_id) > 100:
        return None
    async with database.connection() as connection:
        return await queries.kept_request(connection, request_id=request_id)


def resumed(kept: KeptRequest, client: Client | None) -> PendingRequest | None:
    """The kept request, still valid for its client as it is now; None when the client is gone
    or no longer has the redirect URI."""
    params = kept.params
    if client is None or params["redirect_uri"] not in client.redirect_uris:
        return None  # the client changed meanwhile
    return PendingRequest(
        id=kept.id,
        client=client,
        redirect_uri=params["redirect_uri"],
        scopes=params["scopes"],
        state=params["state"],
        nonce=params["nonce"],
        code_challenge=params["code_challenge"],
        prompt=set(params["prompt"]),
        max_age=params["max_age"],
        # The client's minimum as it is now, in case it was raised meanwhile.
        level=strongest(client.min_level, params["level"]),
        login_redirects=kept.login_redirects,
        created_at=kept.created_at,
        dpop_jkt=params.get("dpop_jkt"),
    )


async def forget(database: Database, pending: PendingRequest) -> bool:
    """Delete the kept request; False when another tab finished it first."""
    async with database.connection() as connection:
        return await queries.delete_request(connection, request_id=pending.id)


async def count_login_redirect(database: Database, pending: PendingRequest) -> None:
    async with database.connection() as connection:
        await queries.count_login_redirect(connection, request_id=pending.id)
