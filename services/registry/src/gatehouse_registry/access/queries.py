"""The SQL of the access rules: a user's valid roles, the authorities below theirs, and the one
definition of "may decide about this role" (`decidable_by`) that listing, deciding and the gRPC
lookups all use."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_registry.access.models import HeldRole, OrganizationKind, Principal, RoleKind
from gatehouse_registry.sql import any_of
from gatehouse_registry.tables import (
    activities,
    organizations,
    role_authorities,
    roles,
    users,
)


async def ensure_user(
    connection: AsyncConnection, *, user_id: uuid.UUID, full_name: str, email: str
) -> None:
    """The registry's copy of the user, if there is none yet (first contact counts as a
    sign-in)."""
    await connection.execute(
        insert(users)
        .values(
            id=user_id,
            full_name=full_name,
            email=email,
            last_sign_in_at=func.now(),
            last_seen_at=func.now(),
        )
        .on_conflict_do_nothing(index_elements=[users.c.id])
    )


# Read on every request, so built once (SQLAlchemy then finds its compiled form without building
# and hashing the statement again): the user's status and the roles that work — approved, not
# suspended, in a valid organization — in one round trip. No row: the user is not known yet.
_HELD = roles.join(organizations, organizations.c.id == roles.c.organization_id)
PRINCIPAL_FACTS = (
    select(
        users.c.status,
        roles.c.id,
        roles.c.organization_id,
        organizations.c.kind.label("organization_kind"),
        roles.c.kind,
        roles.c.is_admin,
    )
    .select_from(
        users.outerjoin(
            _HELD,
            and_(
                roles.c.user_id == users.c.id,
                roles.c.status == "approved",
                roles.c.suspended_at.is_(None),
                organizations.c.status == "valid",
            ),
        )
    )
    .where(users.c.id == bindparam("user_id"))
)


async def principal_facts(
    connection: AsyncConnection, user_id: uuid.UUID
) -> tuple[str, tuple[HeldRole, ...]] | None:
    """The user's status and valid roles, or None for a user the registry does not know."""
    rows = (await connection.execute(PRINCIPAL_FACTS, {"user_id": user_id})).all()
    if not rows:
        return None
    held = tuple(
        HeldRole(
            role_id=row.id,
            organization_id=row.organization_id,
            organization_kind=OrganizationKind(row.organization_kind),
            kind=RoleKind(row.kind),
            is_admin=row.is_admin,
        )
        for row in rows
        if row.id is not None
    )
    return str(rows[0].status), held


# A recursive CTE reads more plainly as SQL than as Core: the authorities given and every
# organization whose parent authority is among them, down to the border posts.
AUTHORITIES_BELOW = text(
    """WITH RECURSIVE scope (id) AS (
           SELECT unnest(CAST(:ids AS uuid[]))
           UNION
           SELECT child.id FROM organizations child
             JOIN scope ON child.parent_authority_id = scope.id
       )
       SELECT id FROM scope"""
)


async def authorities_below(
    connection: AsyncConnection, ids: Iterable[uuid.UUID]
) -> frozenset[uuid.UUID]:
    """The authorities given and those below them (the border posts they run)."""
    rows = await connection.execute(AUTHORITIES_BELOW, {"ids": list(ids)})
    return frozenset(row.id for row in rows)


async def in_authority_scope(
    connection: AsyncConnection, operator_id: uuid.UUID, authority_ids: Iterable[uuid.UUID]
) -> bool:
    """Whether one of the authorities is the operator's competent authority, the authority of
    one of its activities, or one named for one of its "responsible for the load" roles."""
    ids = list(authority_ids)
    found = union_all(
        select(literal(1)).where(
            organizations.c.id == operator_id,
            any_of(organizations.c.competent_authority_id, ids),
        ),
        select(literal(1)).where(
            activities.c.organization_id == operator_id,
            any_of(activities.c.authority_id, ids),
        ),
        select(literal(1))
        .select_from(roles.join(role_authorities, role_authorities.c.role_id == roles.c.id))
        .where(
            roles.c.organization_id == operator_id, any_of(role_authorities.c.authority_id, ids)
        ),
    )
    return bool(await connection.scalar(select(exists(found))))


def decidable_by(principal: Principal) -> ColumnElement[bool]:
    """The one definition of "`principal` may decide about this role", as a condition on
    `roles` joined with its `organizations` row: not one's own role; a member's role in an
    organization one administers, or in one whose competent authority is (above) one's own
    (never an authority's own members); "responsible for the load" naming one's authority."""
    authority_ids = list(principal.authority_ids)
    member = and_(
        roles.c.kind == RoleKind.MEMBER.value,
        or_(
            any_of(roles.c.organization_id, principal.admin_of),
            and_(
                organizations.c.kind != OrganizationKind.AUTHORITY.value,
                any_of(organizations.c.competent_authority_id, authority_ids),
            ),
        ),
    )
    responsible_for_load = and_(
        roles.c.kind == RoleKind.RESPONSIBLE_FOR_LOAD.value,
        exists().where(
            role_authorities.c.role_id == roles.c.id,
            any_of(role_authorities.c.authority_id, authority_ids),
        ),
    )
    return and_(roles.c.user_id != principal.user_id, or_(member, responsible_for_load))


async def may_decide_role(
    connection: AsyncConnection, principal: Principal, role_id: uuid.UUID
) -> bool:
    decidable = (
        select(literal(1))
        .select_from(roles.join(organizations, organizations.c.id == roles.c.organization_id))
        .where(roles.c.id == role_id, decidable_by(principal))
    )
    return bool(await connection.scalar(select(exists(decidable))))


# Users whose valid roles let them decide about role :role_id — the reverse of `decidable_by`:
# the organization's administrators, the members of its competent authority or of an authority
# above it, and for "responsible for the load" the members of the named authorities or those
# above. Recursive CTEs read more plainly as SQL than as Core.
DECIDERS_OF_ROLE = text(
    """
WITH RECURSIVE target AS (
    SELECT r.id, r.user_id, r.kind, r.organization_id, o.kind AS organization_kind,
           o.competent_authority_id
      FROM roles r JOIN organizations o ON o.id = r.organization_id
     WHERE r.id = :role_id
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
)


async def deciders_of_role(connection: AsyncConnection, role_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await connection.execute(DECIDERS_OF_ROLE, {"role_id": role_id})
    return [row.user_id for row in rows]


def reactivatable_by(principal: Principal) -> ColumnElement[bool]:
    """A condition on `users`: an approved role of the user is one `principal` may decide, so
    `principal` may reactivate them."""
    return exists(
        select(literal(1))
        .select_from(roles.join(organizations, organizations.c.id == roles.c.organization_id))
        .where(roles.c.user_id == users.c.id, roles.c.status == "approved", decidable_by(principal))
    )
