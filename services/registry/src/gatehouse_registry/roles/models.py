"""Role requests as the rest of the registry sees them, and the application that asks for one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from gatehouse_registry.access import OrganizationKind, RoleKind


class RoleStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    REVOKED = "revoked"


@dataclass(frozen=True)
class Application:
    """The "Send application for approval" dialog: all optional."""

    message: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Organization:
    """The organization a role is in (or is asked for), as the rules need it."""

    id: uuid.UUID
    name: str
    kind: OrganizationKind
    status: str
    competent_authority_id: uuid.UUID | None


@dataclass(frozen=True)
class RoleRequest:
    id: uuid.UUID
    user_id: uuid.UUID
    user_full_name: str
    user_email: str
    organization_id: uuid.UUID
    organization_name: str
    organization_kind: OrganizationKind
    organization_status: str
    kind: RoleKind
    status: RoleStatus
    is_admin: bool
    suspended: bool
    message: str | None
    contact_email: str | None
    contact_phone: str | None
    responsible_authority_ids: tuple[uuid.UUID, ...]
    requested_at: datetime
    decided_at: datetime | None
    decided_by: uuid.UUID | None
    decision_reason: str | None
