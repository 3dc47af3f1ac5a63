"""Who is acting, and what their valid roles let them do.

Every service function takes the signed-in user as `actor` (the `RegistryUser` the sign-in code
builds, or any object with the same attributes) and turns it into a `Principal`: the user's
*valid* roles, read from the database inside the same transaction as the action, so a role
revoked or suspended a moment ago no longer counts. The scope rules live here and nowhere else:

- an organization's administrators decide its members' requests and manage its administrators;
- an authority decides for the organizations it is the competent authority of, for the
  activities it was chosen for, for "responsible for the load" roles naming it, and its rights
  extend to the border control posts it runs (its descendants);
- an authority's own members are decided only by that authority's administrators;
- nobody decides about their own role.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from gatehouse_common.db import Connection
from gatehouse_registry.errors import InactiveUserError, MultiFactorRequiredError

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


def check_multi_factor(actor: Actor) -> None:
    """The sign-in code refuses weaker sessions too; checked again so no caller can forget."""
    if actor.level not in MULTI_FACTOR_LEVELS:
        raise MultiFactorRequiredError("the registry requires multi-factor sign-in")


async def ensure_user(connection: Connection, actor: Actor) -> None:
    """The registry's copy of the user, created at first contact (API callers may never have
    signed in through the web pages; their first call counts as their first sign-in)."""
    await connection.execute(
        """INSERT INTO users (id, full_name, email, last_sign_in_at, last_seen_at)
           VALUES ($1, $2, $3, now(), now())
           ON CONFLICT (id) DO NOTHING""",
        actor.user_id,
        actor.full_name,
        actor.email,
    )


async def load_principal(connection: Connection, actor: Actor) -> Principal:
    check_multi_factor(actor)
    await ensure_user(connection, actor)
    status = UserStatus(
        await connection.fetchval("SELECT status FROM users WHERE id = $1", actor.user_id)
    )
    if status is UserStatus.INACTIVE:
        return Principal(
            user_id=actor.user_id,
            name=actor.full_name,
            status=status,
            roles=(),
            authority_ids=frozenset(),
        )
    rows = await connection.fetch(
        """SELECT r.id, r.organization_id, o.kind AS organization_kind, r.kind, r.is_admin
             FROM roles r JOIN organizations o ON o.id = r.organization_id
            WHERE r.user_id = $1 AND r.status = 'approved' AND r.suspended_at IS NULL
              AND o.status = 'valid'""",
        actor.user_id,
    )
    roles = tuple(
        HeldRole(
            role_id=row["id"],
            organization_id=row["organization_id"],
            organization_kind=OrganizationKind(row["organization_kind"]),
            kind=RoleKind(row["kind"]),
            is_admin=row["is_admin"],
        )
        for row in rows
    )
    own_authorities = [
        role.organization_id
        for role in roles
        if role.organization_kind is OrganizationKind.AUTHORITY and role.kind is RoleKind.MEMBER
    ]
    authority_ids: frozenset[uuid.UUID] = frozenset()
    if own_authorities:
        descendants = await connection.fetch(
            """WITH RECURSIVE scope (id) AS (
                   SELECT unnest($1::uuid[])
                   UNION
                   SELECT child.id FROM organizations child
                     JOIN scope ON child.parent_authority_id = scope.id
               )
               SELECT id FROM scope""",
            own_authorities,
        )
        authority_ids = frozenset(row["id"] for row in descendants)
    return Principal(
        user_id=actor.user_id,
        name=actor.full_name,
        status=status,
        roles=roles,
        authority_ids=authority_ids,
    )


async def is_in_authority_scope(
    connection: Connection, principal: Principal, operator_id: uuid.UUID
) -> bool:
    """The operator's competent authority, the authority of one of its activities, or an
    authority named for one of its "responsible for the load" roles is (below) the actor's."""
    if not principal.authority_ids:
        return False
    return bool(
        await connection.fetchval(
            """SELECT EXISTS (
                   SELECT 1 FROM organizations
                    WHERE id = $1 AND competent_authority_id = ANY($2::uuid[])
                   UNION ALL
                   SELECT 1 FROM activities
                    WHERE organization_id = $1 AND authority_id = ANY($2::uuid[])
                   UNION ALL
                   SELECT 1 FROM roles r JOIN role_authorities ra ON ra.role_id = r.id
                    WHERE r.organization_id = $1 AND ra.authority_id = ANY($2::uuid[]))""",
            operator_id,
            list(principal.authority_ids),
        )
    )


# The one definition of "may decide about this role": used to list pending applications, to check
# a single decision, and by gRPC to find who should be told about a request. Parameters:
# $1 the actor's user id, $2 organizations they administer, $3 their authorities (with posts).
# `r` is the role row, `o` its organization.
DECIDABLE_BY_ACTOR_SQL = """(
    r.user_id <> $1
    AND (
        (r.kind = 'member' AND (
            r.organization_id = ANY($2::uuid[])
            OR (o.kind <> 'authority' AND o.competent_authority_id = ANY($3::uuid[]))))
        OR (r.kind = 'responsible_for_load' AND EXISTS (
            SELECT 1 FROM role_authorities ra
             WHERE ra.role_id = r.id AND ra.authority_id = ANY($3::uuid[])))
    )
)"""


def decider_parameters(principal: Principal) -> tuple[uuid.UUID, list[uuid.UUID], list[uuid.UUID]]:
    return principal.user_id, list(principal.admin_of), list(principal.authority_ids)


# Users whose valid roles let them decide about role `$1` (the reverse of the rule above): the
# organization's administrators, the members of its competent authority or of an authority above
# it, and for "responsible for the load" the members of the named authorities or those above.
DECIDERS_OF_ROLE_SQL = """
WITH RECURSIVE target AS (
    SELECT r.id, r.user_id, r.kind, r.organization_id, o.kind AS organization_kind,
           o.competent_authority_id
      FROM roles r JOIN organizations o ON o.id = r.organization_id
     WHERE r.id = $1
),
deciding_authorities (id) AS (
    SELECT competent_authority_id FROM target
     WHERE kind = 'member' AND organization_kind <> 'authority'
       AND competent_authority_id IS NOT NULL
    UNION
    SELECT ra.authority_id FROM role_authorities ra JOIN target ON ra.role_id = target.id
     WHERE target.kind = 'responsible_for_load'
    UNION
    SELECT parent.parent_authority_id
      FROM organizations parent JOIN deciding_authorities below ON parent.id = below.id
     WHERE parent.parent_authority_id IS NOT NULL
),
valid_roles AS (
    SELECT vr.user_id, vr.organization_id, vr.is_admin FROM roles vr
      JOIN users u ON u.id = vr.user_id AND u.status = 'active'
      JOIN organizations vo ON vo.id = vr.organization_id AND vo.status = 'valid'
     WHERE vr.status = 'approved' AND vr.suspended_at IS NULL AND vr.kind = 'member'
)
SELECT DISTINCT valid_roles.user_id
  FROM valid_roles, target
 WHERE valid_roles.user_id <> target.user_id
   AND ((target.kind = 'member' AND valid_roles.is_admin
         AND valid_roles.organization_id = target.organization_id)
        OR valid_roles.organization_id IN (SELECT id FROM deciding_authorities))
 ORDER BY valid_roles.user_id
"""


async def may_decide_role(connection: Connection, principal: Principal, role_id: uuid.UUID) -> bool:
    """Whether `principal` may decide about the role (DECIDABLE_BY_ACTOR_SQL below)."""
    return bool(
        await connection.fetchval(
            f"""SELECT EXISTS (
                    SELECT 1 FROM roles r JOIN organizations o ON o.id = r.organization_id
                     WHERE r.id = $4 AND {DECIDABLE_BY_ACTOR_SQL})""",
            *decider_parameters(principal),
            role_id,
        )
    )


async def may_see_organization_users(
    connection: Connection,
    principal: Principal,
    *,
    organization_id: uuid.UUID,
    kind: OrganizationKind,
    competent_authority_id: uuid.UUID | None,
) -> bool:
    """An organization's users are seen by its administrators, by the authority itself, by its
    competent authority and (for an operator) by every authority that has it in scope."""
    return (
        organization_id in principal.admin_of
        or organization_id in principal.authority_ids
        or competent_authority_id in principal.authority_ids
        or (
            kind is OrganizationKind.OPERATOR
            and await is_in_authority_scope(connection, principal, organization_id)
        )
    )


async def may_read_operator(
    connection: Connection, principal: Principal, operator_id: uuid.UUID
) -> bool:
    """The whole operator is read by its valid users and the authorities in scope."""
    return operator_id in principal.member_of or await is_in_authority_scope(
        connection, principal, operator_id
    )
