"""What the token, revocation and userinfo endpoints do (RFC 6749 §3.2, §4.1.3, §6; RFC 7009;
OIDC Core §5.3): authenticate the client, redeem a code or rotate a refresh token, and answer
with tokens; revoke a token; tell a bearer of an access token who the user is. Failures are
the protocol's own errors (OAuthError), which the endpoint answers as RFC 6749 says."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from gatehouse_identity.accounts import service as accounts
from gatehouse_identity.accounts.errors import UserNotFoundError
from gatehouse_identity.oidc import clients, grants
from gatehouse_identity.oidc.claims import id_token, user_claims
from gatehouse_identity.oidc.clients import Client
from gatehouse_identity.oidc.errors import OAuthError, invalid_client, invalid_request
from gatehouse_identity.oidc.grants import IssuedTokens
from gatehouse_identity.oidc.runtime import OidcRuntime


class InactiveTokenError(Exception):
    """The access token is unknown, expired or revoked, or its user is gone."""


@dataclass(frozen=True)
class ClientCredentials:
    """How the client authenticated: HTTP Basic (already decoded) and/or the form's fields."""

    basic: tuple[str, str] | None
    form_client_id: str | None
    form_secret: str | None


async def authenticate(runtime: OidcRuntime, credentials: ClientCredentials) -> Client:
    """client_secret_basic, client_secret_post, or a public client's client_id alone."""
    secret: str | None
    if credentials.basic is not None:
        if credentials.form_secret is not None:
            raise invalid_request("use one client authentication method, not two")
        if credentials.form_client_id not in (None, credentials.basic[0]):
            raise invalid_request("client_id differs from the authenticated client")
        client_id, secret = credentials.basic
    else:
        client_id, secret = credentials.form_client_id or "", credentials.form_secret or None
    client = await clients.authenticate_client(runtime.context.pool, client_id, secret)
    if client is None:
        raise invalid_client()
    return client


async def exchange(
    runtime: OidcRuntime, *, credentials: ClientCredentials, fields: dict[str, str]
) -> dict[str, Any]:
    """The token response for an authorization_code or refresh_token grant."""
    client = await authenticate(runtime, credentials)
    issued = await _grant(runtime, client, fields)
    return await _token_response(runtime, issued)


async def _grant(runtime: OidcRuntime, client: Client, fields: dict[str, str]) -> IssuedTokens:
    grant_type = fields.get("grant_type")
    if grant_type == "authorization_code":
        return await grants.redeem_code(
            runtime.context.pool,
            client=client,
            code=fields.get("code", ""),
            redirect_uri=fields.get("redirect_uri", ""),
            code_verifier=fields.get("code_verifier") or None,
            lifetimes=runtime.lifetimes,
            mint_access_token=runtime.access_tokens.for_grant,
        )
    if grant_type == "refresh_token":
        return await grants.refresh(
            runtime.context.pool,
            client=client,
            refresh_token=fields.get("refresh_token", ""),
            requested_scopes=fields.get("scope", "").split(),
            lifetimes=runtime.lifetimes,
            mint_access_token=runtime.access_tokens.for_grant,
        )
    if not grant_type:
        raise invalid_request("grant_type is required")
    raise OAuthError("unsupported_grant_type", "authorization_code or refresh_token")


async def _token_response(runtime: OidcRuntime, issued: IssuedTokens) -> dict[str, Any]:
    try:
        user = await accounts.get_user(runtime.context.pool, user_id=issued.grant.user_id)
    except UserNotFoundError as error:
        raise OAuthError("invalid_grant", "the account no longer exists") from error
    body: dict[str, Any] = {
        "access_token": issued.access_token,
        "token_type": "Bearer",
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
    client = await authenticate(runtime, credentials)
    if "token" not in fields:
        raise invalid_request("token is required")
    await grants.revoke_token(runtime.context.pool, client=client, token=fields["token"])


async def userinfo(runtime: OidcRuntime, *, access_token: str) -> dict[str, Any]:
    """The claims the token's scopes allow; InactiveTokenError when it gives none."""
    info = await grants.introspect(runtime.context.pool, access_token)
    if info is None:
        raise InactiveTokenError
    try:
        user = await accounts.get_user(runtime.context.pool, user_id=info.grant.user_id)
    except UserNotFoundError as error:
        raise InactiveTokenError from error
    return user_claims(user, info.grant.scopes)
