"""Web-service access and machine clients, JSON API for people (`/api/v1/operators/{id}/
web-service-requests`, `/api/v1/web-service-requests/{id}`, `/api/v1/machine-clients/{id}`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, status
from pydantic import BaseModel, Field, StringConstraints

from gatehouse_registry.auth.identity_grpc import IdentityUnavailableError
from gatehouse_registry.dependencies import (
    AUTH_RESPONSES,
    CONFLICT,
    DECISION_RESPONSES,
    INVALID,
    NOT_FOUND,
    REASONED_DECISION_RESPONSES,
    CurrentUser,
    DatabaseIn,
    Responses,
)
from gatehouse_registry.schemas import DecisionIn, Email, RejectionIn, StrictModel, optional_reason
from gatehouse_registry.web_services import service
from gatehouse_registry.web_services.identity import Identity
from gatehouse_registry.web_services.models import (
    AccessRequest,
    MachineClient,
    NewAccessRequest,
)

router = APIRouter(prefix="/api/v1", tags=["web services"], responses=AUTH_RESPONSES)
UNAVAILABLE: Responses = {503: {"description": "identity cannot be reached; try again"}}
ClientId = Annotated[str, Path(pattern=r"^[A-Za-z0-9._-]{1,100}$")]


def _unavailable() -> HTTPException:
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        detail="identity cannot be reached right now; try again",
        headers={"Retry-After": "5"},
    )


class AccessRequestIn(StrictModel):
    system_name: Annotated[str, StringConstraints(max_length=200)]
    contact_email: Email
    purpose: Annotated[str, StringConstraints(max_length=2000)]


class AccessRequestOut(BaseModel):
    id: uuid.UUID
    operator_id: uuid.UUID
    operator_name: str
    requested_by: uuid.UUID
    system_name: str
    contact_email: str
    purpose: str
    status: str
    requested_at: datetime
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    decision_reason: str | None


class MachineClientOut(BaseModel):
    client_id: str
    operator_id: uuid.UUID
    request_id: uuid.UUID
    token_endpoint_auth_method: str
    scopes: list[str]
    status: str
    created_at: datetime
    rotated_at: datetime | None
    revoked_at: datetime | None
    revocation_reason: str | None


class WebServicesOut(BaseModel):
    requests: list[AccessRequestOut]
    clients: list[MachineClientOut]


Scope = Literal["operators.read", "roles.read"]


class CreateClientIn(StrictModel):
    scopes: Annotated[list[Scope], Field(min_length=1, max_length=2)]
    # A JWK Set of public RSA or EC keys (private_key_jwt), as pasted; leave out for a secret.
    jwks: Annotated[str, StringConstraints(max_length=20_000)] | None = None


class CreatedClientOut(MachineClientOut):
    # Only for client_secret_basic, and only in this answer.
    client_secret: str | None


class RotateClientIn(StrictModel):
    # New public keys of a private_key_jwt client; leave out for a secret client's new secret.
    jwks: Annotated[str, StringConstraints(max_length=20_000)] | None = None


class RotatedClientOut(BaseModel):
    client_id: str
    client_secret: str | None


class RevocationIn(RejectionIn):
    pass


def request_out(found: AccessRequest) -> AccessRequestOut:
    return AccessRequestOut(
        id=found.id,
        operator_id=found.operator_id,
        operator_name=found.operator_name,
        requested_by=found.requested_by,
        system_name=found.system_name,
        contact_email=found.contact_email,
        purpose=found.purpose,
        status=found.status.value,
        requested_at=found.requested_at,
        decided_by=found.decided_by,
        decided_at=found.decided_at,
        decision_reason=found.decision_reason,
    )


def client_out(client: MachineClient) -> MachineClientOut:
    return MachineClientOut(
        client_id=client.client_id,
        operator_id=client.operator_id,
        request_id=client.request_id,
        token_endpoint_auth_method=client.auth_method.value,
        scopes=list(client.scopes),
        status=client.status.value,
        created_at=client.created_at,
        rotated_at=client.rotated_at,
        revoked_at=client.revoked_at,
        revocation_reason=client.revocation_reason,
    )


@router.post(
    "/operators/{operator_id}/web-service-requests",
    status_code=status.HTTP_201_CREATED,
    summary="An operator's administrator asks for web-service access for the operator",
    responses={**INVALID, **CONFLICT, **NOT_FOUND},
)
async def request_access(
    operator_id: uuid.UUID, body: AccessRequestIn, database: DatabaseIn, user: CurrentUser
) -> AccessRequestOut:
    found = await service.request_access(
        database,
        actor=user,
        operator_id=operator_id,
        request=NewAccessRequest(
            system_name=body.system_name, contact_email=body.contact_email, purpose=body.purpose
        ),
    )
    return request_out(found)


@router.get(
    "/operators/{operator_id}/web-service-requests",
    summary="The operator's web-service requests and machine clients",
    responses=NOT_FOUND,
)
async def list_web_services(
    operator_id: uuid.UUID, database: DatabaseIn, user: CurrentUser
) -> WebServicesOut:
    requests, clients = await service.list_for_operator(
        database, actor=user, operator_id=operator_id
    )
    return WebServicesOut(
        requests=[request_out(found) for found in requests],
        clients=[client_out(client) for client in clients],
    )


@router.get(
    "/web-service-requests/{request_id}", summary="One web-service request", responses=NOT_FOUND
)
async def get_request(
    request_id: uuid.UUID, database: DatabaseIn, user: CurrentUser
) -> AccessRequestOut:
    return request_out(await service.get_request(database, actor=user, request_id=request_id))


@router.post(
    "/web-service-requests/{request_id}/approve",
    summary="The competent authority approves web-service access",
    responses=DECISION_RESPONSES,
)
async def approve(
    request_id: uuid.UUID, database: DatabaseIn, user: CurrentUser, body: DecisionIn | None = None
) -> AccessRequestOut:
    decided = await service.decide_access(
        database, actor=user, request_id=request_id, approve=True, reason=optional_reason(body)
    )
    return request_out(decided)


@router.post(
    "/web-service-requests/{request_id}/reject",
    summary="The competent authority rejects web-service access (say why)",
    responses=REASONED_DECISION_RESPONSES,
)
async def reject(
    request_id: uuid.UUID, body: RejectionIn, database: DatabaseIn, user: CurrentUser
) -> AccessRequestOut:
    decided = await service.decide_access(
        database, actor=user, request_id=request_id, approve=False, reason=body.reason
    )
    return request_out(decided)


@router.post(
    "/web-service-requests/{request_id}/revoke",
    summary="The competent authority revokes approved access, and every client made under it",
    responses={**REASONED_DECISION_RESPONSES, **UNAVAILABLE},
)
async def revoke_access(
    request_id: uuid.UUID,
    body: RevocationIn,
    database: DatabaseIn,
    user: CurrentUser,
    identity: Identity,
) -> AccessRequestOut:
    decided = await service.revoke_access(
        database, actor=user, request_id=request_id, reason=body.reason, identity=identity
    )
    return request_out(decided)


@router.post(
    "/web-service-requests/{request_id}/clients",
    status_code=status.HTTP_201_CREATED,
    summary="Create a machine client in identity (private_key_jwt, or a secret shown once)",
    responses={**REASONED_DECISION_RESPONSES, **UNAVAILABLE},
)
async def create_client(
    request_id: uuid.UUID,
    body: CreateClientIn,
    database: DatabaseIn,
    user: CurrentUser,
    identity: Identity,
) -> CreatedClientOut:
    try:
        created = await service.create_client(
            database,
            actor=user,
            request_id=request_id,
            scopes=list(body.scopes),
            jwks=body.jwks,
            identity=identity,
        )
    except IdentityUnavailableError as error:
        raise _unavailable() from error
    return CreatedClientOut(
        **client_out(created.client).model_dump(), client_secret=created.client_secret
    )


@router.post(
    "/machine-clients/{client_id}/keys",
    summary="Rotate a machine client's keys (or its secret, shown once)",
    responses={**REASONED_DECISION_RESPONSES, **UNAVAILABLE},
)
async def rotate_client(
    client_id: ClientId,
    body: RotateClientIn,
    database: DatabaseIn,
    user: CurrentUser,
    identity: Identity,
) -> RotatedClientOut:
    try:
        secret = await service.rotate_client(
            database, actor=user, client_id=client_id, jwks=body.jwks, identity=identity
        )
    except IdentityUnavailableError as error:
        raise _unavailable() from error
    return RotatedClientOut(client_id=client_id, client_secret=secret)


@router.post(
    "/machine-clients/{client_id}/revoke",
    summary="Revoke a machine client: refused here at once, removed from identity",
    responses=REASONED_DECISION_RESPONSES,
)
async def revoke_client(
    client_id: ClientId,
    body: RevocationIn,
    database: DatabaseIn,
    user: CurrentUser,
    identity: Identity,
) -> MachineClientOut:
    revoked = await service.revoke_client(
        database, actor=user, client_id=client_id, reason=body.reason, identity=identity
    )
    return client_out(revoked)
