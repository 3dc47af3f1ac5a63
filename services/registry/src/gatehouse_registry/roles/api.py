"""Role requests JSON API (`/api/v1/role-requests`, `/api/v1/organizations/{id}/users`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, EmailStr, Field, StringConstraints

from gatehouse_registry.access import RoleKind
from gatehouse_registry.dependencies import (
    AUTH_RESPONSES,
    CONFLICT,
    DECISION_RESPONSES,
    INVALID,
    NOT_FOUND,
    REASONED_DECISION_RESPONSES,
    CurrentUser,
    Pool,
    StrictModel,
)
from gatehouse_registry.operators.models import Application
from gatehouse_registry.operators.schemas import DecisionIn, Phone, RejectionIn, optional_reason
from gatehouse_registry.roles import service
from gatehouse_registry.roles.models import RoleRequest, RoleStatus

router = APIRouter(prefix="/api/v1", tags=["role requests"], responses=AUTH_RESPONSES)


class CreateRoleRequestIn(StrictModel):
    organization_id: uuid.UUID
    kind: RoleKind = RoleKind.MEMBER
    message: Annotated[str, StringConstraints(max_length=2000)] | None = None
    email: Annotated[EmailStr, Field(max_length=254)] | None = None
    phone: Phone | None = None
    responsible_authority_ids: Annotated[list[uuid.UUID], Field(max_length=20)] = Field(
        default_factory=list,
        description="For responsible_for_load: the authorities (e.g. border control posts)",
    )


class RoleRequestOut(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    user_full_name: str
    user_email: str
    organization_id: uuid.UUID
    organization_name: str
    organization_kind: str
    organization_status: str
    kind: str
    status: str
    administrator: bool
    suspended: bool
    message: str | None
    contact_email: str | None
    contact_phone: str | None
    responsible_authority_ids: list[uuid.UUID]
    requested_at: datetime
    decided_at: datetime | None
    decided_by: uuid.UUID | None
    decision_reason: str | None


def role_out(role: RoleRequest) -> RoleRequestOut:
    return RoleRequestOut(
        id=role.id,
        user_id=role.user_id,
        user_full_name=role.user_full_name,
        user_email=role.user_email,
        organization_id=role.organization_id,
        organization_name=role.organization_name,
        organization_kind=role.organization_kind.value,
        organization_status=role.organization_status,
        kind=role.kind.value,
        status=role.status.value,
        administrator=role.is_admin,
        suspended=role.suspended,
        message=role.message,
        contact_email=role.contact_email,
        contact_phone=role.contact_phone,
        responsible_authority_ids=list(role.responsible_authority_ids),
        requested_at=role.requested_at,
        decided_at=role.decided_at,
        decided_by=role.decided_by,
        decision_reason=role.decision_reason,
    )


@router.post(
    "/role-requests",
    status_code=status.HTTP_201_CREATED,
    summary="Ask for a role in an existing organization (or responsible for the load)",
    responses={**INVALID, **CONFLICT, **NOT_FOUND},
)
async def create_role_request(
    body: CreateRoleRequestIn, pool: Pool, user: CurrentUser
) -> RoleRequestOut:
    role = await service.request_role(
        pool,
        actor=user,
        organization_id=body.organization_id,
        kind=body.kind,
        application=Application(message=body.message, email=body.email, phone=body.phone),
        responsible_authority_ids=body.responsible_authority_ids,
    )
    return role_out(role)


@router.get("/me/role-requests", summary="My own requests and roles")
async def list_my_role_requests(pool: Pool, user: CurrentUser) -> list[RoleRequestOut]:
    return [role_out(r) for r in await service.list_my_requests(pool, actor=user)]


@router.get(
    "/role-requests",
    summary="Search pending applications: the requests I may decide",
)
async def list_role_requests(
    pool: Pool,
    user: CurrentUser,
    *,
    status: RoleStatus | None = RoleStatus.PENDING,
    organization_id: uuid.UUID | None = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=service.MAX_PAGE_SIZE)] = 50,
) -> list[RoleRequestOut]:
    roles = await service.list_decidable_requests(
        pool,
        actor=user,
        status=status,
        organization_id=organization_id,
        page=page,
        page_size=page_size,
    )
    return [role_out(r) for r in roles]


@router.get("/role-requests/{role_request_id}", summary="One request", responses=NOT_FOUND)
async def get_role_request(
    role_request_id: uuid.UUID, pool: Pool, user: CurrentUser
) -> RoleRequestOut:
    return role_out(
        await service.get_role_request(pool, actor=user, role_request_id=role_request_id)
    )


@router.post(
    "/role-requests/{role_request_id}/approve",
    summary="Approve (cannot be undone here: revoke is separate and audited)",
    responses=DECISION_RESPONSES,
)
async def approve_role_request(
    role_request_id: uuid.UUID, pool: Pool, user: CurrentUser, body: DecisionIn | None = None
) -> RoleRequestOut:
    role = await service.approve_role_request(
        pool, actor=user, role_request_id=role_request_id, reason=optional_reason(body)
    )
    return role_out(role)


@router.post(
    "/role-requests/{role_request_id}/reject",
    summary="Reject a pending request",
    responses=REASONED_DECISION_RESPONSES,
)
async def reject_role_request(
    role_request_id: uuid.UUID, body: RejectionIn, pool: Pool, user: CurrentUser
) -> RoleRequestOut:
    role = await service.reject_role_request(
        pool, actor=user, role_request_id=role_request_id, reason=body.reason
    )
    return role_out(role)


@router.post(
    "/role-requests/{role_request_id}/revoke",
    summary="Revoke an approved role (audited)",
    responses=REASONED_DECISION_RESPONSES,
)
async def revoke_role(
    role_request_id: uuid.UUID, body: RejectionIn, pool: Pool, user: CurrentUser
) -> RoleRequestOut:
    role = await service.revoke_role(
        pool, actor=user, role_request_id=role_request_id, reason=body.reason
    )
    return role_out(role)


@router.put(
    "/role-requests/{role_request_id}/administrator",
    summary="Make an approved user an administrator",
    responses=DECISION_RESPONSES,
)
async def grant_admin(role_request_id: uuid.UUID, pool: Pool, user: CurrentUser) -> RoleRequestOut:
    return role_out(await service.grant_admin(pool, actor=user, role_request_id=role_request_id))


@router.delete(
    "/role-requests/{role_request_id}/administrator",
    summary="Remove administrator rights (never from the last administrator)",
    responses=DECISION_RESPONSES,
)
async def remove_admin(role_request_id: uuid.UUID, pool: Pool, user: CurrentUser) -> RoleRequestOut:
    return role_out(await service.remove_admin(pool, actor=user, role_request_id=role_request_id))


@router.post(
    "/role-requests/{role_request_id}/unsuspend",
    summary="Let a role suspended after a devices reset work again",
    responses=DECISION_RESPONSES,
)
async def unsuspend_role(
    role_request_id: uuid.UUID, pool: Pool, user: CurrentUser, body: DecisionIn | None = None
) -> RoleRequestOut:
    role = await service.unsuspend_role(
        pool, actor=user, role_request_id=role_request_id, reason=optional_reason(body)
    )
    return role_out(role)


@router.get(
    "/organizations/{organization_id}/users",
    summary="An organization's users and requests (its administrators and authorities)",
    responses=NOT_FOUND,
)
async def list_organization_users(
    organization_id: uuid.UUID,
    pool: Pool,
    user: CurrentUser,
    status: RoleStatus | None = None,
) -> list[RoleRequestOut]:
    roles = await service.list_organization_users(
        pool, actor=user, organization_id=organization_id, status=status
    )
    return [role_out(r) for r in roles]
