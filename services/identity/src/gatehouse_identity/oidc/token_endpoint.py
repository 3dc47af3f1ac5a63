"""Token endpoint (RFC 6749 §3.2, §4.1.3, §4.4, §6), pushed authorization requests (RFC 9126),
revocation (RFC 7009) and userinfo (OIDC Core §5.3). Clients authenticate with private_key_jwt
(RFC 7523), client_secret_basic or client_secret_post; public clients send only their client_id
(and must have used PKCE). A `DPoP` header (RFC 9449) binds the tokens to the client's key. The
endpoints parse the request and answer as the protocol says; what they do is token_service.py."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import unquote_plus

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from gatehouse_common.dpop import ALGORITHMS
from gatehouse_identity.oidc import token_service
from gatehouse_identity.oidc.dpop import NONCE_HEADER
from gatehouse_identity.oidc.errors import OAuthError, invalid_client, invalid_request
from gatehouse_identity.oidc.runtime import oidc_runtime
from gatehouse_identity.oidc.token_service import (
    USERINFO_PATH,
    ClientCredentials,
    InactiveTokenError,
    Presented,
)

DPOP_ALGS = " ".join(ALGORITHMS)

router = APIRouter(tags=["openid-connect"])

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
MAX_FORM_FIELDS = 30


def oauth_error_response(error: OAuthError, *, basic_auth_used: bool = False) -> JSONResponse:
    headers = dict(NO_STORE) | error.headers
    if error.status_code == 401:
        # RFC 6749 §5.2: a failed HTTP Basic authentication answers with a challenge.
        headers["WWW-Authenticate"] = (
            'Basic realm="gatehouse"' if basic_auth_used else 'Bearer realm="gatehouse"'
        )
    return JSONResponse(error.as_dict(), status_code=error.status_code, headers=headers)


async def _form(request: Request) -> dict[str, str]:
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raise invalid_request("the body must be application/x-www-form-urlencoded")
    try:
        form = await request.form(max_fields=MAX_FORM_FIELDS, max_files=0)
    except StarletteHTTPException as error:
        # Starlette's own 400 ({"detail"}) is not an OAuth error (RFC 6749 §5.2).
        raise invalid_request(f"the form is not acceptable: {error.detail}") from error
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


def _credentials(request: Request, fields: dict[str, str]) -> ClientCredentials:
    return ClientCredentials(
        basic=_basic_credentials(request),
        form_client_id=fields.get("client_id"),
        form_secret=fields.get("client_secret"),
        assertion_type=fields.get("client_assertion_type"),
        assertion=fields.get("client_assertion"),
    )


def _dpop_proofs(request: Request) -> list[str]:
    return request.headers.getlist("dpop")


def _with_nonce(request: Request, headers: dict[str, str]) -> dict[str, str]:
    """A fresh DPoP nonce with every answer to a DPoP request: clients move on to it."""
    if not _dpop_proofs(request):
        return headers
    return headers | {NONCE_HEADER: oidc_runtime(request).dpop.nonces.issue()}


CLIENT_AUTH_FORM = {
    "client_id": "client_secret_post, private_key_jwt or public clients",
    "client_secret": "client_secret_post",
    "client_assertion_type": "private_key_jwt: urn:ietf:params:oauth:client-assertion-type:"
    "jwt-bearer",
    "client_assertion": "private_key_jwt: a JWT signed by the client's key (RFC 7523)",
}


DPOP_HEADER_PARAMETER = {
    "name": "DPoP",
    "in": "header",
    "required": False,
    "description": "A DPoP proof (RFC 9449): binds the tokens to the client's key",
    "schema": {"type": "string"},
}


def _form_body(fields: dict[str, str], *, dpop: bool = False) -> dict[str, Any]:
    """OpenAPI for a form-encoded body (the endpoint reads the form itself: OAuth's rules on
    repeated parameters and client authentication come before any field validation)."""
    return {
        **({"parameters": [DPOP_HEADER_PARAMETER]} if dpop else {}),
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
        },
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
    summary="Exchange a code or a refresh token for tokens, or a client's own token",
    response_model=None,
    responses={
        200: {"description": "Tokens (RFC 6749 §5.1, OpenID Connect Core §3.1.3.3)"},
        400: {"description": "An OAuth error (`error`, `error_description`)", **OAUTH_ERROR},
        401: {"description": "invalid_client", **OAUTH_ERROR},
    },
    openapi_extra=_form_body(
        {
            "grant_type": "authorization_code, refresh_token or client_credentials",
            "code": "the authorization code",
            "redirect_uri": "the redirect_uri of the authorization request",
            "code_verifier": "PKCE verifier",
            "refresh_token": "a refresh token",
            "scope": "for a refresh: at most the granted scopes; client_credentials: the "
            "client's own",
            **CLIENT_AUTH_FORM,
        },
        dpop=True,
    ),
)
async def token(request: Request) -> Response:
    runtime = oidc_runtime(request)
    basic_used = request.headers.get("authorization", "").lower().startswith("basic ")
    try:
        fields = await _form(request)
        body = await token_service.exchange(
            runtime,
            credentials=_credentials(request, fields),
            fields=fields,
            dpop_proofs=_dpop_proofs(request),
        )
    except OAuthError as error:
        return oauth_error_response(error, basic_auth_used=basic_used)
    return JSONResponse(body, headers=_with_nonce(request, NO_STORE))


@router.post(
    "/oidc/par",
    summary="Push an authorization request; use the request_uri it gives at /oidc/authorize",
    response_model=None,
    status_code=201,
    responses={
        201: {"description": "`request_uri` and `expires_in` (RFC 9126 §2.2)"},
        400: {"description": "An OAuth error (`error`, `error_description`)", **OAUTH_ERROR},
        401: {"description": "invalid_client", **OAUTH_ERROR},
    },
    openapi_extra=_form_body(
        {
            "response_type": "code",
            "redirect_uri": "a registered redirect URI",
            "scope": "openid and more",
            "state": "the client's state",
            "nonce": "for the ID token",
            "code_challenge": "PKCE S256 challenge",
            "code_challenge_method": "S256",
            "prompt": "none, login, consent",
            "max_age": "seconds",
            "acr_values": "urn:gatehouse:acr:...",
            "dpop_jkt": "the JWK thumbprint of the DPoP key to bind the code to",
            **CLIENT_AUTH_FORM,
        },
        dpop=True,
    ),
)
async def pushed_authorization_request(request: Request) -> Response:
    runtime = oidc_runtime(request)
    basic_used = request.headers.get("authorization", "").lower().startswith("basic ")
    try:
        fields = await _form(request)
        body = await token_service.push_authorization_request(
            runtime,
            credentials=_credentials(request, fields),
            fields=fields,
            dpop_proofs=_dpop_proofs(request),
        )
    except OAuthError as error:
        return oauth_error_response(error, basic_auth_used=basic_used)
    return JSONResponse(body, status_code=201, headers=_with_nonce(request, NO_STORE))


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
        {"token": "the token", "token_type_hint": "ignored", **CLIENT_AUTH_FORM}
    ),
)
async def revoke(request: Request) -> Response:
    runtime = oidc_runtime(request)
    basic_used = request.headers.get("authorization", "").lower().startswith("basic ")
    try:
        fields = await _form(request)
        await token_service.revoke(
            runtime, credentials=_credentials(request, fields), fields=fields
        )
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
    if scheme.lower() not in ("bearer", "dpop") or not access_token.strip():
        return JSONResponse(
            {"error": "invalid_request", "error_description": "an access token is needed"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="gatehouse", DPoP', **NO_STORE},
        )
    presented = Presented(
        scheme=scheme.lower(),
        token=access_token.strip(),
        dpop_proofs=_dpop_proofs(request),
        method=request.method,
        url=runtime.endpoint(USERINFO_PATH),
    )
    try:
        claims = await token_service.userinfo(runtime, presented)
    except InactiveTokenError:
        return _bearer_error("invalid_token", "the access token is not active")
    except OAuthError as error:
        # RFC 9449 §7.1: a bad proof at a resource is a 401 with the DPoP challenge.
        return JSONResponse(
            error.as_dict(),
            status_code=401,
            headers={
                "WWW-Authenticate": f'DPoP error="{error.error}", algs="{DPOP_ALGS}"',
                **NO_STORE,
            },
        )
    return JSONResponse(claims, headers=NO_STORE)
