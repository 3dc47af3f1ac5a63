"""Wire shapes of the role requests JSON API, and the application dialog's fields that creating an
operator carries too."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from gatehouse_registry.access import RoleKind
from gatehouse_registry.roles.models import RoleRequest
from gatehouse_registry.schemas import Email, Phone, StrictModel


class ApplicationIn(StrictModel):
    """The "Send application for approval" dialog: everything optional."""

    message: Annotated[str, StringConstraints(max_length=2000)] | None = None
    email: Email | None = None
    phone: Phone | None = None


class CreateRoleRequestIn(StrictModel):
    organization_id: uuid.UUID
    kind: RoleKind = RoleKind.MEMBER
    message: Annotated[str, StringConstraints(max_length=2000)] | None = None
    email: Email | None = None
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
