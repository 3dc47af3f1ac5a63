"""What the token, PAR, revocation and userinfo endpoints do (RFC 6749 §3.2, §4.1.3, §4.4, §6;
RFC 9126; RFC 7009; OIDC Core §5.3): authenticate the client, redeem a code, rotate a refresh
token or issue a client its own token, and answer with tokens; keep a pushed authorization
request; revoke a token; tell the holder of an access token who the user is. With a DPoP proof
(RFC 9449) the tokens are bound to its key (`token_type: DPoP`). Failures are the protocol's
own errors (OAuthError), which the endpoint answers as RFC 6749 says."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from gatehouse_identity.accounts import service as accounts
from gatehouse_identity.accounts.errors import UserNotFoundError
from gatehouse_identity.oidc import authorization_requests as requests
from gatehouse_identity.oidc import clients, grants, par
from gatehouse_identity.oidc.access_tokens import AccessTokenSubject
from gatehouse_identity.oidc.claims import id_token, user_claims
from gatehouse_identity.oidc.client_assertions import ASSERTION_TYPE, authenticate_with_assertion
from gatehouse_identity.oidc.client_models import Client
from gatehouse_identity.oidc.dpop import invalid_dpop_proof
from gatehouse_identity.oidc.errors import OAuthError, invalid_client, invalid_request
from gatehouse_identity.oidc.grants import DPoPBinding, IssuedTokens
from gatehouse_identity.oidc.runtime import OidcRuntime

TOKEN_PATH = "/oidc/token"  # noqa: S105  (a path)
PAR_PATH = "/oidc/par"
REVOKE_PATH = "/oidc/revoke"
USERINFO_PATH = "/oidc/userinfo"
CLIENT_AUTH_FIELDS = frozenset(
    {"client_id", "client_secret", "client_assertion", "client_assertion_type"}
)
# Scopes about a user: a client's own token (client_credentials) has none of them.
USER_SCOPES = frozenset(clients.SUPPORTED_SCOPES)


class InactiveTokenError(Exception):
    """The access token is unknown, expired or revoked, or its user is gone."""


@dataclass(frozen=True)
class ClientCredentials:
    """How the client authenticated: HTTP Basic (already decoded) and/or the form's fields."""

    basic: tuple[str, str] | None
    form_client_id: str | None
    form_secret: str | None
    assertion_type: str | None = None
    assertion: str | None = None


async def authenticate(
    runtime: OidcRuntime, credentials: ClientCredentials, *, endpoint: str
) -> Client:
    """private_key_jwt, client_secret_basic, client_secret_post, or a public client's
    client_id alone. `endpoint`: the URI the request went to (an assertion's `aud` may name
    it)."""
    secret: str | None
    if credentials.assertion is not None or credentials.assertion_type is not None:
        if credentials.basic is not None or credentials.form_secret is not None:
            raise invalid_request("use one client authentication method, not two")
        if credentials.assertion_type != ASSERTION_TYPE:
            raise invalid_client(f"client_assertion_type must be {ASSERTION_TYPE}")
        return await authenticate_with_assertion(
            runtime,
            credentials.assertion or "",
            claimed_client_id=credentials.form_client_id,
            endpoint=endpoint,
        )
    if credentials.basic is not None:
        if credentials.form_secret is not None:
            raise invalid_request("use one client authentication method, not two")
        if credentials.form_client_id not in (None, credentials.basic[0]):
            raise invalid_request("client_id differs from the authenticated client")
        client_id, secret = credentials.basic
    else:
        client_id, secret = credentials.form_client_id or "", credentials.form_secret or None
    client = await clients.authenticate_client(runtime.context.database, client_id, secret)
    if client is None:
        raise invalid_client()
    return client


async def exchange(
    runtime: OidcRuntime,
    *,
    credentials: ClientCredentials,
    fields: dict[str, str],
    dpop_proofs: list[str],
) -> dict[str, Any]:
    """The token response for an authorization_code, refresh_token or client_credentials
    grant."""
    endpoint = runtime.endpoint(TOKEN_PATH)
    client = await authenticate(runtime, credentials, endpoint=endpoint)
    grant_type = fields.get("grant_type")
    if grant_type in clients.GRANT_TYPES and grant_type not in client.grant_types:
        raise OAuthError("unauthorized_client", f"this client may not use {grant_type}")
    proof = await runtime.dpop.at_authorization_server(dpop_proofs, url=endpoint)
    if proof is None and client.dpop_bound_access_tokens:
        raise invalid_dpop_proof("this client's tokens must be DPoP-bound: send a DPoP proof")
    if grant_type == "client_credentials":
        return await client_credentials(runtime, client, fields, jkt=proof.jkt if proof else None)
    # RFC 9449 §5: a public client's refresh tokens are bound to its DPoP key.
    binding = DPoPBinding(jkt=proof.jkt if proof else None, bind_refresh=client.public)
    issued = await _grant(runtime, client, fields, binding)
    return await _token_response(runtime, issued)


async def client_credentials(
    runtime: OidcRuntime, client: Client, fields: dict[str, str], *, jkt: str | None
) -> dict[str, Any]:
    """A client's own access token (RFC 6749 §4.4): no user, no refresh token, no ID token.
    A JWT whatever the configured format, stored nowhere (nothing to introspect or revoke: it
    lives OIDC_ACCESS_TOKEN_TTL_S); scopes among the client's own."""
    if runtime.access_tokens.format != "jwt":
        raise OAuthError("unsupported_grant_type", "client_credentials needs JWT access tokens")
    requested = list(dict.fromkeys(fields.get("scope", "").split()))
    allowed = [scope for scope in client.scopes if scope not in USER_SCOPES]
    refused = [scope for scope in requested if scope not in allowed]
    if refused:
        raise OAuthError("invalid_scope", f"scope not allowed: {refused[0][:100]}")
    now = datetime.now(UTC)
    ttl_s = runtime.context.settings.oidc_access_token_ttl_s
    token = await runtime.access_tokens.mint(
        AccessTokenSubject(subject=client.client_id, client_id=client.client_id, scopes=requested),
        issued_at=now,
        expires_at=now + timedelta(seconds=ttl_s),
        confirmation={"jkt": jkt} if jkt else None,
        # An operator's machine client speaks for the operator (issue 19, point 2).
        extra_claims={"operator_id": str(client.operator_id)} if client.operator_id else None,
    )
    body: dict[str, Any] = {
        "access_token": token,
        "token_type": "DPoP" if jkt else "Bearer",
        "expires_in": ttl_s,
    }
    if requested:
        body["scope"] = " ".join(requested)
    return body


async def push_authorization_request(
    runtime: OidcRuntime,
    *,
    credentials: ClientCredentials,
    fields: dict[str, str],
    dpop_proofs: list[str],
) -> dict[str, Any]:
    """Keep an authorization request the client pushed (RFC 9126 §2); its request_uri and
    lifetime. Checked as the authorization endpoint would, but answered here with the error."""
    endpoint = runtime.endpoint(PAR_PATH)
    client = await authenticate(runtime, credentials, endpoint=endpoint)
    if "authorization_code" not in client.grant_types:
        raise OAuthError("unauthorized_client", "this client may not use authorization_code")
    params = {key: value for key, value in fields.items() if key not in CLIENT_AUTH_FIELDS}
    params["client_id"] = client.client_id
    try:
        requests.client_redirect_uri(client, params, set())
        pending = requests.validate(client, params, set(), pushed=True)
    except requests.UntrustedRequestError as error:
        raise invalid_request(error.description) from error
    except requests.AuthorizationError as error:
        raise OAuthError(error.error, error.description) from error
    proof = await runtime.dpop.at_authorization_server(dpop_proofs, url=endpoint)
    if proof is not None:
        # RFC 9449 §10.1: a proof here binds the code to its key; dpop_jkt, if sent too, agrees.
        if pending.dpop_jkt not in (None, proof.jkt):
            raise invalid_dpop_proof("dpop_jkt is not the key of the DPoP proof")
        pending = replace(pending, dpop_jkt=proof.jkt)
    ttl_s = runtime.context.settings.oidc_par_ttl_s
    request_uri = await par.push(runtime.context.database, pending, ttl_s=ttl_s)
    return {"request_uri": request_uri, "expires_in": ttl_s}


async def _grant(
    runtime: OidcRuntime, client: Client, fields: dict[str, str], binding: DPoPBinding
) -> IssuedTokens:
    grant_type = fields.get("grant_type")
    if grant_type == "authorization_code":
        return await grants.redeem_code(
            runtime.context.database,
            client=client,
            code=fields.get("code", ""),
            redirect_uri=fields.get("redirect_uri", ""),
            code_verifier=fields.get("code_verifier") or None,
            lifetimes=runtime.lifetimes,
            mint_access_token=runtime.access_tokens.for_grant,
            dpop=binding,
        )
    if grant_type == "refresh_token":
        return await grants.refresh(
            runtime.context.database,
            client=client,
            refresh_token=fields.get("refresh_token", ""),
            requested_scopes=fields.get("scope", "").split(),
            lifetimes=runtime.lifetimes,
            mint_access_token=runtime.access_tokens.for_grant,
            dpop=binding,
        )
    if not grant_type:
        raise invalid_request("grant_type is required")
    raise OAuthError(
        "unsupported_grant_type", "authorization_code, refresh_token or client_credentials"
    )


async def _token_response(runtime: OidcRuntime, issued: IssuedTokens) -> dict[str, Any]:
    try:
        user = await accounts.get_user(runtime.context.database, user_id=issued.grant.user_id)
    except UserNotFoundError as error:
        raise OAuthError("invalid_grant", "the account no longer exists") from error
    body: dict[str, Any] = {
        "access_token": issued.access_token,
        "token_type": "DPoP" if issued.dpop_jkt else "Bearer",
        "expires_in": max(1, int(issued.access_expires_at.timestamp() - time.time())),
        "scope": " ".join(issued.grant.scopes),
        "id_token": await id_token(
            runtime.keys,
            issuer=runtime.issuer,
            user=user,
            grant=issued.grant,
            issued=issued,
            ttl_s=runtime.context.settings.oidc_id_token_ttl_s,
            nonce=issued.nonce,
        ),
    }
    if issued.refresh_token:
        body["refresh_token"] = issued.refresh_token
    return body


async def revoke(
    runtime: OidcRuntime, *, credentials: ClientCredentials, fields: dict[str, str]
) -> None:
    client = await authenticate(runtime, credentials, endpoint=runtime.endpoint(REVOKE_PATH))
    if "token" not in fields:
        raise invalid_request("token is required")
    await grants.revoke_token(runtime.context.database, client=client, token=fields["token"])


@dataclass(frozen=True)
class Presented:
    """An access token as a resource request carries it: its scheme (`bearer` or `dpop`), and
    the request's DPoP headers, method and URI for the proof."""

    scheme: str
    token: str
    dpop_proofs: list[str]
    method: str
    url: str


async def userinfo(runtime: OidcRuntime, presented: Presented) -> dict[str, Any]:
    """The claims the token's scopes allow; InactiveTokenError when it gives none, or when a
    DPoP-bound token comes without a proof by its key (as Bearer, or with another key)."""
    access_token = presented.token
    info = await grants.introspect(runtime.context.database, access_token)
    if info is None:
        raise InactiveTokenError
    if info.dpop_jkt is not None or presented.scheme == "dpop":
        if presented.scheme != "dpop" or info.dpop_jkt is None:
            raise InactiveTokenError
        proof = await runtime.dpop.at_resource(
            presented.dpop_proofs,
            method=presented.method,
            url=presented.url,
            access_token=access_token,
        )
        if proof.jkt != info.dpop_jkt:
            raise InactiveTokenError
    try:
        user = await accounts.get_user(runtime.context.database, user_id=info.grant.user_id)
    except UserNotFoundError as error:
        raise InactiveTokenError from error
    return user_claims(user, info.grant.scopes)
