"""Client administration over HTTP (`/oidc/admin/clients`).

Callers authenticate with a service token (gatehouse_common.service_auth, minted from
SERVICE_AUTH_SECRET, valid one minute) as `Authorization: Bearer v1.<caller>.<expires>.<sig>`,
and the caller's name must be in OIDC_ADMIN_CALLERS. Secrets are returned once, at creation or
rotation.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, Field

from gatehouse_common.service_auth import InvalidServiceTokenError, verify_service_token
from gatehouse_identity.levels import Level
from gatehouse_identity.oidc import client_admin, clients
from gatehouse_identity.oidc.client_models import Client
from gatehouse_identity.oidc.clients import ClientError, ClientExistsError, ClientRegistration
from gatehouse_identity.oidc.runtime import OidcRuntime, oidc_runtime

router = APIRouter(
    prefix="/oidc/admin",
    tags=["client administration"],
    responses={
        401: {"description": "No valid service token"},
        403: {"description": "The caller is not in OIDC_ADMIN_CALLERS"},
    },
)


def admin_caller(request: Request) -> str:
    runtime = oidc_runtime(request)
    settings = runtime.context.settings
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    try:
        caller = verify_service_token(
            settings.service_auth_secrets,
            token.strip() if scheme.lower() == "bearer" else "",
        )
    except InvalidServiceTokenError as error:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail=f"a service token is required: {error}",
            headers={"WWW-Authenticate": 'Bearer realm="gatehouse-admin"'},
        ) from error
    if caller not in settings.oidc_admin_callers:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=f"{caller!r} may not manage clients")
    return caller


AdminCaller = Annotated[str, Depends(admin_caller)]
Runtime = Annotated[OidcRuntime, Depends(oidc_runtime)]


GrantType = Literal["authorization_code", "refresh_token", "client_credentials"]


def _default_grants() -> list[GrantType]:
    return ["authorization_code", "refresh_token"]


class ClientRequest(BaseModel):
    client_id: str = Field(pattern=r"^[A-Za-z0-9._-]{1,100}$")
    name: str = Field(min_length=1, max_length=200)
    redirect_uris: list[str] = Field(default_factory=list, max_length=20)
    post_logout_redirect_uris: list[str] = Field(default_factory=list, max_length=20)
    backchannel_logout_uri: str | None = None
    min_level: Level = "multi_factor"
    first_party: bool = False
    public: bool = False
    # Omit to have one generated (recommended); at least 32 characters otherwise.
    client_secret: str | None = Field(default=None, min_length=32, max_length=200)
    # Overwrite a client of the same id (and its secret) instead of answering 409.
    replace: bool = False
    # A machine using only client_credentials needs no redirect URI.
    grant_types: list[GrantType] = Field(default_factory=_default_grants, min_length=1)
    # private_key_jwt (RFC 7523): the client's public keys, or where it publishes them.
    jwks: dict[str, Any] | None = None
    jwks_uri: str | None = Field(default=None, max_length=2000)
    require_pushed_authorization_requests: bool = False
    dpop_bound_access_tokens: bool = False


def _client_json(client: Client, secret: str | None = None) -> dict[str, Any]:
    body = client.as_dict()
    if secret is not None:
        body["client_secret"] = secret
    return body


@router.post(
    "/clients",
    status_code=status.HTTP_201_CREATED,
    summary="Register a client (a generated secret is in the answer, once)",
    responses={409: {"description": "The client_id is taken"}, 422: {"description": "Invalid"}},
)
async def create_client(body: ClientRequest, caller: AdminCaller, runtime: Runtime) -> Any:
    registration = ClientRegistration(
        client_id=body.client_id,
        name=body.name,
        redirect_uris=body.redirect_uris,
        post_logout_redirect_uris=body.post_logout_redirect_uris,
        backchannel_logout_uri=body.backchannel_logout_uri,
        min_level=body.min_level,
        first_party=body.first_party,
        public=body.public,
        secret=body.client_secret,
        grant_types=list(body.grant_types),
        jwks=body.jwks,
        jwks_uri=body.jwks_uri,
        require_pushed_authorization_requests=body.require_pushed_authorization_requests,
        dpop_bound_access_tokens=body.dpop_bound_access_tokens,
    )
    try:
        client, secret = await client_admin.register(
            runtime.context.database,
            registration,
            caller=caller,
            allow_plain_http=not runtime.context.settings.is_production,
            replace=body.replace,
        )
    except ClientExistsError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(error)) from error
    except ClientError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(error)) from error
    # A secret the caller chose is not echoed back.
    return _client_json(client, secret if body.client_secret is None else None)


@router.get("/clients", summary="All registered clients")
async def list_clients(_caller: AdminCaller, runtime: Runtime) -> list[dict[str, Any]]:
    return [_client_json(client) for client in await clients.list_clients(runtime.context.database)]


@router.get(
    "/clients/{client_id}", summary="One client", responses={404: {"description": "Unknown"}}
)
async def get_client(client_id: str, _caller: AdminCaller, runtime: Runtime) -> dict[str, Any]:
    client = await clients.get_client(runtime.context.database, client_id)
    if client is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such client")
    return _client_json(client)


@router.delete(
    "/clients/{client_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a client and every token it holds",
    responses={404: {"description": "Unknown"}},
)
async def delete_client(client_id: str, caller: AdminCaller, runtime: Runtime) -> None:
    try:
        await client_admin.remove(runtime.context.database, client_id, caller=caller)
    except clients.UnknownClientError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such client") from error


@router.post(
    "/clients/{client_id}/secret",
    summary="Replace a client's secret (shown once)",
    responses={404: {"description": "Unknown, or a public client"}},
)
async def rotate_secret(client_id: str, caller: AdminCaller, runtime: Runtime) -> dict[str, str]:
    try:
        secret = await client_admin.rotate_secret(
            runtime.context.database, client_id, caller=caller
        )
    except clients.UnknownClientError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(error)) from error
    return {"client_id": client_id, "client_secret": secret}
