"""Role requests JSON API (`/api/v1/role-requests`, `/api/v1/organizations/{id}/users`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from gatehouse_registry.dependencies import (
    AUTH_RESPONSES,
    CONFLICT,
    DECISION_RESPONSES,
    INVALID,
    NOT_FOUND,
    REASONED_DECISION_RESPONSES,
    CurrentUser,
    DatabaseIn,
)
from gatehouse_registry.roles import decisions, service
from gatehouse_registry.roles.models import Application, RoleStatus
from gatehouse_registry.roles.schemas import CreateRoleRequestIn, RoleRequestOut, role_out
from gatehouse_registry.schemas import DecisionIn, RejectionIn, optional_reason

router = APIRouter(prefix="/api/v1", tags=["role requests"], responses=AUTH_RESPONSES)


@router.post(
    "/role-requests",
    status_code=status.HTTP_201_CREATED,
    summary="Ask for a role in an existing organization (or responsible for the load)",
    responses={**INVALID, **CONFLICT, **NOT_FOUND},
)
async def create_role_request(
    body: CreateRoleRequestIn, database: DatabaseIn, user: CurrentUser
) -> RoleRequestOut:
    role = await service.request_role(
        database,
        actor=user,
        organization_id=body.organization_id,
        kind=body.kind,
        application=Application(message=body.message, email=body.email, phone=body.phone),
        responsible_authority_ids=body.responsible_authority_ids,
    )
    return role_out(role)


@router.get("/me/role-requests", summary="My own requests and roles")
async def list_my_role_requests(database: DatabaseIn, user: CurrentUser) -> list[RoleRequestOut]:
    return [role_out(r) for r in await service.list_my_requests(database, actor=user)]


@router.get(
    "/role-requests",
    summary="Search pending applications: the requests I may decide",
)
async def list_role_requests(
    database: DatabaseIn,
    user: CurrentUser,
    *,
    status: RoleStatus | None = RoleStatus.PENDING,
    organization_id: uuid.UUID | None = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=service.MAX_PAGE_SIZE)] = 50,
) -> list[RoleRequestOut]:
    roles = await service.list_decidable_requests(
        database,
        actor=user,
        status=status,
        organization_id=organization_id,
        page=page,
        page_size=page_size,
    )
    return [role_out(r) for r in roles]


@router.get("/role-requests/{role_request_id}", summary="One request", responses=NOT_FOUND)
async def get_role_request(
    role_request_id: uuid.UUID, database: DatabaseIn, user: CurrentUser
) -> RoleRequestOut:
    return role_out(
        await service.get_role_request(database, actor=user, role_request_id=role_request_id)
    )


@router.post(
    "/role-requests/{role_request_id}/approve",
    summary="Approve (cannot be undone here: revoke is separate and audited)",
    responses=DECISION_RESPONSES,
)
async def approve_role_request(
    role_request_id: uuid.UUID,
    database: DatabaseIn,
    user: CurrentUser,
    body: DecisionIn | None = None,
) -> RoleRequestOut:
    role = await decisions.approve_role_request(
        database, actor=user, role_request_id=role_request_id, reason=optional_reason(body)
    )
    return role_out(role)


@router.post(
    "/role-requests/{role_request_id}/reject",
    summary="Reject a pending request",
    responses=REASONED_DECISION_RESPONSES,
)
async def reject_role_request(
    role_request_id: uuid.UUID, body: RejectionIn, database: DatabaseIn, user: CurrentUser
) -> RoleRequestOut:
    role = await decisions.reject_role_request(
        database, actor=user, role_request_id=role_request_id, reason=body.reason
    )
    return role_out(role)


@router.post(
    "/role-requests/{role_request_id}/revoke",
    summary="Revoke an approved role (audited)",
    responses=REASONED_DECISION_RESPONSES,
)
async def revoke_role(
    role_request_id: uuid.UUID, body: RejectionIn, database: DatabaseIn, user: CurrentUser
) -> RoleRequestOut:
    role = await decisions.revoke_role(
        database, actor=user, role_request_id=role_request_id, reason=body.reason
    )
    return role_out(role)


@router.put(
    "/role-requests/{role_request_id}/administrator",
    summary="Make an approved user an administrator",
    responses=DECISION_RESPONSES,
)
async def grant_admin(
    role_request_id: uuid.UUID, database: DatabaseIn, user: CurrentUser
) -> RoleRequestOut:
    return role_out(
        await decisions.grant_admin(database, actor=user, role_request_id=role_request_id)
    )


@router.delete(
    "/role-requests/{role_request_id}/administrator",
    summary="Remove administrator rights (never from the last administrator)",
    responses=DECISION_RESPONSES,
)
async def remove_admin(
    role_request_id: uuid.UUID, database: DatabaseIn, user: CurrentUser
) -> RoleRequestOut:
    return role_out(
        await decisions.remove_admin(database, actor=user, role_request_id=role_request_id)
    )


@router.post(
    "/role-requests/{role_request_id}/unsuspend",
    summary="Let a role suspended after a devices reset work again",
    responses=DECISION_RESPONSES,
)
async def unsuspend_role(
    role_request_id: uuid.UUID,
    database: DatabaseIn,
    user: CurrentUser,
    body: DecisionIn | None = None,
) -> RoleRequestOut:
    role = await decisions.unsuspend_role(
        database, actor=user, role_request_id=role_request_id, reason=optional_reason(body)
    )
    return role_out(role)


@router.get(
    "/organizations/{organization_id}/users",
    summary="An organization's users and requests (its administrators and authorities)",
    responses=NOT_FOUND,
)
async def list_organization_users(
    organization_id: uuid.UUID,
    database: DatabaseIn,
    user: CurrentUser,
    status: RoleStatus | None = None,
) -> list[RoleRequestOut]:
    roles = await service.list_organization_users(
        database, actor=user, organization_id=organization_id, status=status
    )
    return [role_out(r) for r in roles]
