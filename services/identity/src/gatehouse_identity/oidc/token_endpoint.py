"""Token endpoint (RFC 6749 §3.2, §4.1.3, §6), revocation (RFC 7009) and userinfo (OIDC Core
§5.3). Clients authenticate with client_secret_basic or client_secret_post; public clients send
only their client_id (and must have used PKCE)."""

from __future__ import annotations

import base64
import binascii
import time
from typing import Any
from urllib.parse import unquote_plus

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from gatehouse_identity.accounts import service as accounts
from gatehouse_identity.accounts.errors import UserNotFoundError
from gatehouse_identity.oidc import clients, grants
from gatehouse_identity.oidc.claims import id_token, user_claims
from gatehouse_identity.oidc.clients import Client
from gatehouse_identity.oidc.errors import OAuthError, invalid_client, invalid_request
from gatehouse_identity.oidc.grants import IssuedTokens
from gatehouse_identity.oidc.runtime import OidcRuntime, oidc_runtime

router = APIRouter(tags=["openid-connect"])

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
MAX_FORM_FIELDS = 20


def oauth_error_response(error: OAuthError, *, basic_auth_used: bool = False) -> JSONResponse:
    headers = dict(NO_STORE)
    if error.status_code == 401:
        # RFC 6749 §5.2: a failed HTTP Basic authentication answers with a challenge.
        headers["WWW-Authenticate"] = (
            'Basic realm="gatehouse"' if basic_auth_used else 'Bearer realm="gatehouse"'
        )
    return JSONResponse(error.as_dict(), status_code=error.status_code, headers=headers)


async def _form(request: Request) -> dict[str, str]:
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raise invalid_request("the body must be application/x-www-form-urlencoded")
    form = await request.form(max_fields=MAX_FORM_FIELDS, max_files=0)
    fields: dict[str, str] = {}
    for key, value in form.multi_items():
        if not isinstance(value, str):
            raise invalid_request("no files here")
        if key in fields:
            raise invalid_request(f"repeated parameter: {key}")
        fields[key] = value
    return fields


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as error:
        raise invalid_client("malformed Basic credentials") from error
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise invalid_client("malformed Basic credentials")
    # RFC 6749 §2.3.1: both parts are form-urlencoded before being joined.
    return unquote_plus(client_id), unquote_plus(secret)


async def authenticate(runtime: OidcRuntime, request: Request, fields: dict[str, str]) -> Client:
    basic = _basic_credentials(request)
    secret: str | None
    if basic is not None:
        if "client_secret" in fields:
            raise invalid_request("use one client authentication method, not two")
        if fields.get("client_id") not in (None, basic[0]):
            raise invalid_request("client_id differs from the authenticated client")
        client_id, secret = basic
    else:
        client_id, secret = fields.get("client_id", ""), fields.get("client_secret") or None
    client = await clients.authenticate_client(runtime.context.pool, client_id, secret)
    if client is None:
        raise invalid_client()
    return client


def _form_body(fields: dict[str, str]) -> dict[str, Any]:
    """OpenAPI for a form-encoded body (the endpoint reads the form itself: OAuth's rules on
    repeated parameters and client authentication come before any field validation)."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            name: {"type": "string", "description": text}
                            for name, text in fields.items()
                        },
                    }
                }
            },
        }
    }


OAUTH_ERROR = {
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "error": {"type": "string"},
                    "error_description": {"type": "string"},
                },
                "required": ["error"],
            }
        }
    }
}


@router.post(
    "/oidc/token",
    summary="Exchange a code or a refresh token for tokens",
    response_model=None,
    responses={
        200: {"description": "Tokens (RFC 6749 §5.1, OpenID Connect Core §3.1.3.3)"},
        400: {"description": "An OAuth error (`error`, `error_description`)", **OAUTH_ERROR},
        401: {"description": "invalid_client", **OAUTH_ERROR},
    },
    openapi_extra=_form_body(
        {
            "grant_type": "authorization_code or refresh_token",
            "code": "the authorization code",
            "redirect_uri": "the redirect_uri of the authorization request",
            "code_verifier": "PKCE verifier",
            "refresh_token": "a refresh token",
            "scope": "for a refresh: at most the granted scopes",
            "client_id": "client_secret_post or public clients",
            "client_secret": "client_secret_post",
        }
    ),
)
async def token(request: Request) -> Response:
    runtime = oidc_runtime(request)
    basic_used = request.headers.get("authorization", "").lower().startswith("basic ")
    try:
        fields = await _form(request)
        client = await authenticate(runtime, request, fields)
        issued = await _grant(runtime, client, fields)
        body = await _token_response(runtime, issued)
    except OAuthError as error:
        return oauth_error_response(error, basic_auth_used=basic_used)
    return JSONResponse(body, headers=NO_STORE)


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
        )
    if grant_type == "refresh_token":
        return await grants.refresh(
            runtime.context.pool,
            client=client,
            refresh_token=fields.get("refresh_token", ""),
            requested_scopes=fields.get("scope", "").split(),
            lifetimes=runtime.lifetimes,
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


@router.post(
    "/oidc/revoke",
    summary="Revoke a refresh or access token (RFC 7009)",
    response_class=Response,
    responses={
        200: {"description": "Revoked, or not a token of this client (the same answer)"},
        400: {"description": "An OAuth error", **OAUTH_ERROR},
        401: {"description": "invalid_client", **OAUTH_ERROR},
    },
    openapi_extra=_form_body(
        {
            "token": "the token",
            "token_type_hint": "ignored",
            "client_id": "client_secret_post or public clients",
            "client_secret": "client_secret_post",
        }
    ),
)
async def revoke(request: Request) -> Response:
    runtime = oidc_runtime(request)
    basic_used = request.headers.get("authorization", "").lower().startswith("basic ")
    try:
        fields = await _form(request)
        client = await authenticate(runtime, request, fields)
        if "token" not in fields:
            raise invalid_request("token is required")
        await grants.revoke_token(runtime.context.pool, client=client, token=fields["token"])
    except OAuthError as error:
        return oauth_error_response(error, basic_auth_used=basic_used)
    return Response(status_code=200, headers=NO_STORE)


def _bearer_error(error: str, description: str, status_code: int = 401) -> JSONResponse:
    challenge = f'Bearer realm="gatehouse", error="{error}", error_description="{description}"'
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status_code,
        headers={"WWW-Authenticate": challenge, **NO_STORE},
    )


@router.api_route(
    "/oidc/userinfo",
    methods=["GET", "POST"],
    summary="Claims about the user (bearer access token)",
    response_model=None,
    responses={
        200: {"description": "The claims the token's scopes allow (OIDC Core §5.3.2)"},
        401: {"description": "No or no active access token", **OAUTH_ERROR},
    },
)
async def userinfo(request: Request) -> Response:
    runtime = oidc_runtime(request)
    scheme, _, access_token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not access_token.strip():
        return JSONResponse(
            {"error": "invalid_request", "error_description": "a bearer access token is needed"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="gatehouse"', **NO_STORE},
        )
    info = await grants.introspect(runtime.context.pool, access_token.strip())
    if info is None:
        return _bearer_error("invalid_token", "the access token is not active")
    try:
        user = await accounts.get_user(runtime.context.pool, user_id=info.grant.user_id)
    except UserNotFoundError:
        return _bearer_error("invalid_token", "the access token is not active")
    return JSONResponse(user_claims(user, info.grant.scopes), headers=NO_STORE)
