"""The signed-in user's profile and status, and reactivation (`/api/v1/me`, `/api/v1/users`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, status
from pydantic import BaseModel, StringConstraints

from gatehouse_registry.dependencies import AUTH_RESPONSES, CurrentUser, DatabaseIn
from gatehouse_registry.roles.schemas import RoleRequestOut, role_out
from gatehouse_registry.schemas import DecisionIn, StrictModel
from gatehouse_registry.users import service

router = APIRouter(prefix="/api/v1", tags=["users"], responses=AUTH_RESPONSES)

ORGANIZATION_KINDS = ["operator", "organic_control_body", "authority", "other_entity"]
INACTIVE_MESSAGE = (
    "Your registry account is inactive because you have not signed in for four months. Ask your "
    "administrator or authority to reactivate it."
)
PENDING_MESSAGE = (
    "The roles you requested are being reviewed. Contact your responsible authority or the "
    "administrator inside your organisation to be validated. You will be notified by e-mail as "
    "soon as they are approved."
)
NO_ROLE_MESSAGE = "You currently have no role that gives access."


class ProfileOut(BaseModel):
    user_id: uuid.UUID
    full_name: str
    email: str
    domain: str = "External"
    status: str
    last_sign_in_at: datetime
    inactivated_at: datetime | None
    reactivation_requested_at: datetime | None
    has_valid_role: bool
    # What the landing page should say and offer ("Request authorisation" when no role works).
    notice: str | None
    requestable_organization_kinds: list[str]
    roles: list[RoleRequestOut]


class ReactivationRequestIn(StrictModel):
    message: Annotated[str, StringConstraints(max_length=2000)] | None = None


class InactiveUserOut(BaseModel):
    user_id: uuid.UUID
    full_name: str
    email: str
    inactivated_at: datetime
    reactivation_requested_at: datetime | None
    reactivation_message: str | None


@router.get("/me", summary="My personal information, status and roles")
async def get_me(database: DatabaseIn, user: CurrentUser) -> ProfileOut:
    profile = await service.get_profile(database, actor=user)
    if profile.status == "inactive":
        notice: str | None = INACTIVE_MESSAGE
    elif profile.has_valid_role:
        notice = None
    elif profile.has_pending_request:
        notice = PENDING_MESSAGE
    else:
        notice = NO_ROLE_MESSAGE
    return ProfileOut(
        user_id=profile.user_id,
        full_name=profile.full_name,
        email=profile.email,
        status=profile.status.value,
        last_sign_in_at=profile.last_sign_in_at,
        inactivated_at=profile.inactivated_at,
        reactivation_requested_at=profile.reactivation_requested_at,
        has_valid_role=profile.has_valid_role,
        notice=notice,
        requestable_organization_kinds=ORGANIZATION_KINDS if profile.status == "active" else [],
        roles=[role_out(r) for r in profile.roles],
    )


@router.post(
    "/me/reactivation-request",
    status_code=status.HTTP_202_ACCEPTED,
    summary="An inactive user asks to be reactivated",
    responses={409: {"description": "The account is active"}},
)
async def request_reactivation(
    database: DatabaseIn, user: CurrentUser, body: ReactivationRequestIn | None = None
) -> dict[str, str]:
    await service.request_reactivation(database, actor=user, message=body.message if body else None)
    return {"status": "accepted"}


@router.get("/inactive-users", summary="Inactive users I may reactivate")
async def list_inactive_users(
    database: DatabaseIn, user: CurrentUser, requested_only: bool = True
) -> list[InactiveUserOut]:
    users = await service.list_inactive_users(database, actor=user, only_requested=requested_only)
    return [InactiveUserOut(**vars(u)) for u in users]


@router.post(
    "/users/{user_id}/reactivate",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Reactivate an inactive user",
    responses={404: {"description": "Unknown user"}, 409: {"description": "Already active"}},
)
async def reactivate_user(
    user_id: uuid.UUID, database: DatabaseIn, user: CurrentUser, body: DecisionIn | None = None
) -> None:
    await service.reactivate_user(
        database, actor=user, user_id=user_id, reason=body.reason if body else None
    )
