"""Who is acting, and what their valid roles let them do.

Every service function takes the signed-in user as `actor` (the `RegistryUser` the sign-in code
builds, or any object with the same attributes) and turns it into a `Principal`: the user's
*valid* roles, read from the database inside the same transaction as the action, so a role
revoked or suspended a moment ago no longer counts. The scope rules live here and nowhere else
(the SQL of the ones the database answers is in access.queries):

- an organization's administrators decide its members' requests and manage its administrators;
- an authority decides for the organizations it is the competent authority of, for the
  activities it was chosen for, for "responsible for the load" roles naming it, and its rights
  extend to the border control posts it runs (its descendants);
- an authority's own members are decided only by that authority's administrators;
- nobody decides about their own role.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_registry.access import queries
from gatehouse_registry.access.models import (
    Actor,
    HeldRole,
    OrganizationKind,
    Principal,
    RoleKind,
    UserStatus,
)
from gatehouse_registry.errors import MultiFactorRequiredError

__all__ = [
    "Actor",
    "HeldRole",
    "OrganizationKind",
    "Principal",
    "RoleKind",
    "UserStatus",
    "check_multi_factor",
    "is_in_authority_scope",
    "load_principal",
    "may_decide_role",
    "may_read_operator",
    "may_see_organization_users",
]

# The identity levels that prove a second factor (the registry requires multi-factor).
MULTI_FACTOR_LEVELS = frozenset({"multi_factor", "phishing_resistant"})


def check_multi_factor(actor: Actor) -> None:
    """The sign-in code refuses weaker sessions too; checked again so no caller can forget."""
    if actor.level not in MULTI_FACTOR_LEVELS:
        raise MultiFactorRequiredError("the registry requires multi-factor sign-in")


async def load_principal(connection: AsyncConnection, actor: Actor) -> Principal:
    """The actor with the roles that work for them now. API callers may never have signed in
    through the pages: their first call counts as their first sign-in."""
    check_multi_factor(actor)
    facts = await queries.principal_facts(connection, actor.user_id)
    if facts is None:
        await queries.ensure_user(
            connection, user_id=actor.user_id, full_name=actor.full_name, email=actor.email
        )
        facts = (UserStatus.ACTIVE.value, ())  # a new user: active, no role yet
    status, roles = UserStatus(facts[0]), facts[1]
    if status is UserStatus.INACTIVE:
        # Nothing works while inactive: no role counts.
        return Principal(actor.user_id, actor.full_name, status, (), frozenset())
    own_authorities = [
        role.organization_id
        for role in roles
        if role.organization_kind is OrganizationKind.AUTHORITY and role.kind is RoleKind.MEMBER
    ]
    authority_ids = (
        await queries.authorities_below(connection, own_authorities)
        if own_authorities
        else frozenset()
    )
    return Principal(actor.user_id, actor.full_name, status, roles, authority_ids)


async def is_in_authority_scope(
    connection: AsyncConnection, principal: Principal, operator_id: uuid.UUID
) -> bool:
    """The operator's competent authority, the authority of one of its activities, or an
    authority named for one of its "responsible for the load" roles is (below) the actor's."""
    if not principal.authority_ids:
        return False
    return await queries.in_authority_scope(connection, operator_id, principal.authority_ids)


async def may_decide_role(
    connection: AsyncConnection, principal: Principal, role_id: uuid.UUID
) -> bool:
    """Whether `principal` may decide about the role (access.queries.decidable_by)."""
    return await queries.may_decide_role(connection, principal, role_id)


async def may_see_organization_users(
    connection: AsyncConnection,
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
    connection: AsyncConnection, principal: Principal, operator_id: uuid.UUID
) -> bool:
    """The whole operator is read by its valid users and the authorities in scope."""
    return operator_id in principal.member_of or await is_in_authority_scope(
        connection, principal, operator_id
    )
