"""Who is acting, as the access rules see them: the actor the sign-in code describes, the kinds
of organization, role and user status, and the Principal — the actor with the roles that work for
them now."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from gatehouse_registry.errors import InactiveUserError

# The identity levels that prove a second factor (the registry requires multi-factor).
MULTI_FACTOR_LEVELS = frozenset({"multi_factor", "phishing_resistant"})


class Actor(Protocol):
    """The signed-in user, as the sign-in code (gatehouse_registry.auth) describes them."""

    @property
    def user_id(self) -> uuid.UUID: ...

    @property
    def full_name(self) -> str: ...

    @property
    def email(self) -> str: ...

    @property
    def level(self) -> str: ...


class UserStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


class OrganizationKind(StrEnum):
    OPERATOR = "operator"
    ORGANIC_CONTROL_BODY = "organic_control_body"
    AUTHORITY = "authority"
    OTHER_ENTITY = "other_entity"


class RoleKind(StrEnum):
    MEMBER = "member"
    RESPONSIBLE_FOR_LOAD = "responsible_for_load"


@dataclass(frozen=True)
class HeldRole:
    role_id: uuid.UUID
    organization_id: uuid.UUID
    organization_kind: OrganizationKind
    kind: RoleKind
    is_admin: bool


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    name: str
    status: UserStatus
    # Only roles that work now: approved, not suspended, and none at all while inactive.
    roles: tuple[HeldRole, ...]
    # Authorities the user is a member of, and those below them (the border posts they run).
    authority_ids: frozenset[uuid.UUID]

    @property
    def admin_of(self) -> frozenset[uuid.UUID]:
        return frozenset(role.organization_id for role in self.roles if role.is_admin)

    @property
    def member_of(self) -> frozenset[uuid.UUID]:
        return frozenset(
            role.organization_id for role in self.roles if role.kind is RoleKind.MEMBER
        )

    @property
    def has_valid_role(self) -> bool:
        return bool(self.roles)

    def require_active(self) -> None:
        if self.status is UserStatus.INACTIVE:
            raise InactiveUserError(
                "your registry account is inactive because you have not signed in for four "
                "months; ask for reactivation"
            )
