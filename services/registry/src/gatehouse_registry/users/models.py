"""The registry's users as the rest of the registry sees them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from gatehouse_registry.access import UserStatus
from gatehouse_registry.roles.models import RoleRequest, RoleStatus


@dataclass(frozen=True)
class Profile:
    user_id: uuid.UUID
    full_name: str
    email: str
    status: UserStatus
    last_sign_in_at: datetime
    inactivated_at: datetime | None
    reactivation_requested_at: datetime | None
    roles: tuple[RoleRequest, ...]

    @property
    def has_valid_role(self) -> bool:
        return self.status is UserStatus.ACTIVE and any(
            role.status is RoleStatus.APPROVED and not role.suspended for role in self.roles
        )

    @property
    def has_pending_request(self) -> bool:
        return any(role.status is RoleStatus.PENDING for role in self.roles)


@dataclass(frozen=True)
class InactiveUser:
    user_id: uuid.UUID
    full_name: str
    email: str
    inactivated_at: datetime
    reactivation_requested_at: datetime | None
    reactivation_message: str | None


@dataclass(frozen=True)
class InactivityOutcome:
    warned: int
    inactivated: int


@dataclass(frozen=True)
class DueUser:
    """A user the inactivity job warned or inactivated: `moment` is when they become (or last
    signed in before becoming) inactive."""

    user_id: uuid.UUID
    moment: datetime


@dataclass(frozen=True)
class SuspendedRole:
    role_id: uuid.UUID
    organization_id: uuid.UUID
