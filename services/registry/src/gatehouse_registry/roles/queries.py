"""The SQL of role requests: reading them as `RoleRequest`s and writing their decisions. No rule
is checked here; roles.service and roles.decisions decide what may happen, in their own
transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, Uuid, and_, func, select, text
from sqlalchemy.dialects.postgresql import aggregate_order_by, array
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_registry.access.models import OrganizationKind, Principal, RoleKind
from gatehouse_registry.access.queries import decidable_by
from gatehouse_registry.roles.models import Organization, RoleRequest, RoleStatus
from gatehouse_registry.sql import any_of
from gatehouse_registry.tables import organizations, role_authorities, roles, users

# The responsible authorities of a role, in order (empty for most roles).
_AUTHORITY_IDS = func.coalesce(
    select(
        func.array_agg(
            aggregate_order_by(role_authorities.c.authority_id, role_authorities.c.authority_id)
        )
    )
    .where(role_authorities.c.role_id == roles.c.id)
    .scalar_subquery(),
    array([], type_=role_authorities.c.authority_id.type),
)


def _role_query() -> Select[Any]:
    return select(
        roles,
        users.c.full_name.label("user_full_name"),
        users.c.email.label("user_email"),
        organizations.c.name.label("organization_name"),
        organizations.c.kind.label("organization_kind"),
        organizations.c.status.label("organization_status"),
        _AUTHORITY_IDS.label("authority_ids"),
    ).select_from(
        roles.join(users, users.c.id == roles.c.user_id).join(
            organizations, organizations.c.id == roles.c.organization_id
        )
    )


def _role(row: Any) -> RoleRequest:
    return RoleRequest(
        id=row.id,
        user_id=row.user_id,
        user_full_name=row.user_full_name,
        user_email=row.user_email,
        organization_id=row.organization_id,
        organization_name=row.organization_name,
        organization_kind=OrganizationKind(row.organization_kind),
        organization_status=row.organization_status,
        kind=RoleKind(row.kind),
        status=RoleStatus(row.status),
        is_admin=row.is_admin,
        suspended=row.suspended_at is not None,
        message=row.message,
        contact_email=row.contact_email,
        contact_phone=row.contact_phone,
        responsible_authority_ids=tuple(row.authority_ids),
        requested_at=row.requested_at,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        decision_reason=row.decision_reason,
    )


async def _roles(connection: AsyncConnection, query: Select[Any]) -> list[RoleRequest]:
    return [_role(row) for row in await connection.execute(query)]


async def load_role(connection: AsyncConnection, role_id: uuid.UUID) -> RoleRequest | None:
    found = await _roles(connection, _role_query().where(roles.c.id == role_id))
    return found[0] if found else None


async def roles_of_user(connection: AsyncConnection, user_id: uuid.UUID) -> list[RoleRequest]:
    query = _role_query().where(roles.c.user_id == user_id).order_by(roles.c.requested_at.desc())
    return await _roles(connection, query)


def _decidable(principal: Principal, *conditions: ColumnElement[bool]) -> Select[Any]:
    return (
        _role_query()
        .where(decidable_by(principal), *conditions)
        .order_by(roles.c.requested_at, roles.c.id)
    )


async def decidable_roles(
    connection: AsyncConnection,
    principal: Principal,
    *,
    status: RoleStatus | None,
    organization_id: uuid.UUID | None,
    limit: int,
    offset: int = 0,
    user_id: uuid.UUID | None = None,
) -> list[RoleRequest]:
    """The roles `principal` may decide (access.queries.decidable_by), oldest first."""
    conditions = []
    if status is not None:
        conditions.append(roles.c.status == status.value)
    if organization_id is not None:
        conditions.append(roles.c.organization_id == organization_id)
    if user_id is not None:
        conditions.append(roles.c.user_id == user_id)
    query = _decidable(principal, *conditions).limit(limit).offset(offset)
    return await _roles(connection, query)


async def pending_operator_applications(
    connection: AsyncConnection, principal: Principal, *, limit: int
) -> list[RoleRequest]:
    """Pending requests `principal` may decide that came with a new operator (still pending:
    its creator's application), oldest first."""
    query = _decidable(
        principal,
        roles.c.status == RoleStatus.PENDING.value,
        organizations.c.kind == OrganizationKind.OPERATOR.value,
        organizations.c.status == "pending",
    ).limit(limit)
    return await _roles(connection, query)


async def roles_of_organization(
    connection: AsyncConnection, organization_id: uuid.UUID, *, status: RoleStatus | None = None
) -> list[RoleRequest]:
    query = _role_query().where(roles.c.organization_id == organization_id)
    if status is not None:
        query = query.where(roles.c.status == status.value)
    return await _roles(connection, query.order_by(roles.c.requested_at, roles.c.id))


async def get_organization(
    connection: AsyncConnection, organization_id: uuid.UUID, *, lock: bool = False
) -> Organization | None:
    """`lock`: FOR UPDATE, serialising the decisions about the organization's roles."""
    query = select(
        organizations.c.id,
        organizations.c.name,
        organizations.c.kind,
        organizations.c.status,
        organizations.c.competent_authority_id,
    ).where(organizations.c.id == organization_id)
    row = (await connection.execute(query.with_for_update() if lock else query)).first()
    if row is None:
        return None
    return Organization(
        id=row.id,
        name=row.name,
        kind=OrganizationKind(row.kind),
        status=row.status,
        competent_authority_id=row.competent_authority_id,
    )


async def organization_of_role(connection: AsyncConnection, role_id: uuid.UUID) -> uuid.UUID | None:
    found: uuid.UUID | None = await connection.scalar(
        select(roles.c.organization_id).where(roles.c.id == role_id)
    )
    return found


async def count_valid_authorities(connection: AsyncConnection, ids: Sequence[uuid.UUID]) -> int:
    count = await connection.scalar(
        select(func.count()).where(
            any_of(organizations.c.id, ids),
            organizations.c.kind == OrganizationKind.AUTHORITY.value,
            organizations.c.status == "valid",
        )
    )
    return int(count or 0)


async def administrator_count(connection: AsyncConnection, organization_id: uuid.UUID) -> int:
    count = await connection.scalar(
        select(func.count()).where(
            roles.c.organization_id == organization_id,
            roles.c.status == RoleStatus.APPROVED.value,
            roles.c.is_admin,
        )
    )
    return int(count or 0)


@dataclass(frozen=True)
class SoleAdministration:
    organization_id: uuid.UUID
    organization_name: str
    organization_kind: OrganizationKind


async def sole_administrations(
    connection: AsyncConnection, user_id: uuid.UUID
) -> list[SoleAdministration]:
    """The organizations where the user holds the only approved administrator role, counted as
    `administrator_count` counts (the rule that keeps the last administrator's rights), by name."""
    others = roles.alias("others")
    someone_else = (
        select(others.c.id)
        .where(
            others.c.organization_id == roles.c.organization_id,
            others.c.user_id != user_id,
            others.c.status == RoleStatus.APPROVED.value,
            others.c.is_admin,
        )
        .exists()
    )
    rows = await connection.execute(
        select(organizations.c.id, organizations.c.name, organizations.c.kind)
        .join_from(roles, organizations, organizations.c.id == roles.c.organization_id)
        .where(
            roles.c.user_id == user_id,
            roles.c.status == RoleStatus.APPROVED.value,
            roles.c.is_admin,
            ~someone_else,
        )
        .order_by(organizations.c.name, organizations.c.id)
    )
    return [
        SoleAdministration(
            organization_id=row.id,
            organization_name=row.name,
            organization_kind=OrganizationKind(row.kind),
        )
        for row in rows
    ]


async def insert_pending_role(
    connection: AsyncConnection,
    *,
    role_id: uuid.UUID,
    user_id: uuid.UUID,
    organization_id: uuid.UUID,
    kind: RoleKind,
    message: str | None,
    email: str | None,
    phone: str | None,
    responsible_authority_ids: Sequence[uuid.UUID],
) -> bool:
    """False when the user already asked for, or holds, this role in this organization (the
    unique index on live roles refused it)."""
    try:
        async with connection.begin_nested():  # a savepoint: the refusal must not abort
            await connection.execute(
                roles.insert().values(
                    id=role_id,
                    user_id=user_id,
                    organization_id=organization_id,
                    kind=kind.value,
                    status=RoleStatus.PENDING.value,
                    message=message,
                    contact_email=email,
                    contact_phone=phone,
                )
            )
    except IntegrityError:
        return False
    if responsible_authority_ids:
        await connection.execute(
            role_authorities.insert(),
            [
                {"role_id": role_id, "authority_id": authority_id}
                for authority_id in responsible_authority_ids
            ],
        )
    return True


async def _update(connection: AsyncConnection, role_id: uuid.UUID, **values: Any) -> None:
    await connection.execute(roles.update().where(roles.c.id == role_id).values(**values))


async def approve(
    connection: AsyncConnection,
    role_id: uuid.UUID,
    *,
    is_admin: bool,
    decided_by: uuid.UUID | None,
    reason: str | None,
) -> None:
    """`decided_by` None: the registry itself (an operations command)."""
    await _update(
        connection,
        role_id,
        status=RoleStatus.APPROVED.value,
        is_admin=is_admin,
        decided_by=decided_by,
        decided_at=func.now(),
        decision_reason=reason,
    )


async def reject(
    connection: AsyncConnection, role_id: uuid.UUID, *, decided_by: uuid.UUID, reason: str
) -> None:
    await _update(
        connection,
        role_id,
        status=RoleStatus.REJECTED.value,
        decided_by=decided_by,
        decided_at=func.now(),
        decision_reason=reason,
    )


async def revoke(
    connection: AsyncConnection, role_id: uuid.UUID, *, revoked_by: uuid.UUID, reason: str
) -> None:
    await _update(
        connection,
        role_id,
        status=RoleStatus.REVOKED.value,
        is_admin=False,
        revoked_by=revoked_by,
        revoked_at=func.now(),
        revoke_reason=reason,
    )


async def set_admin(connection: AsyncConnection, role_id: uuid.UUID, *, admin: bool) -> None:
    await _update(connection, role_id, is_admin=admin)


async def unsuspend(connection: AsyncConnection, role_id: uuid.UUID) -> None:
    await _update(connection, role_id, suspended_at=None)


def _valid_member_roles() -> ColumnElement[bool]:
    """Approved, unsuspended member roles of active users."""
    return and_(
        roles.c.status == RoleStatus.APPROVED.value,
        roles.c.suspended_at.is_(None),
        roles.c.kind == RoleKind.MEMBER.value,
        select(users.c.id)
        .where(users.c.id == roles.c.user_id, users.c.status == "active")
        .exists(),
    )


async def valid_administrators(
    connection: AsyncConnection, organization_id: uuid.UUID
) -> list[uuid.UUID]:
    rows = await connection.execute(
        select(roles.c.user_id)
        .distinct()
        .where(roles.c.organization_id == organization_id, roles.c.is_admin, _valid_member_roles())
        .order_by(roles.c.user_id)
    )
    return [row.user_id for row in rows]


# The authority and those above it: a recursive CTE reads more plainly as SQL than as Core.
AUTHORITY_AND_ABOVE = text(
    """WITH RECURSIVE up (id) AS (
           SELECT CAST(:authority_id AS uuid)
           UNION
           SELECT o.parent_authority_id FROM organizations o JOIN up ON o.id = up.id
            WHERE o.parent_authority_id IS NOT NULL)
       SELECT id FROM up"""
).columns(id=Uuid)


async def valid_members_of_authority_and_above(
    connection: AsyncConnection, authority_id: uuid.UUID
) -> list[uuid.UUID]:
    above = AUTHORITY_AND_ABOVE.bindparams(authority_id=authority_id).subquery()
    rows = await connection.execute(
        select(roles.c.user_id)
        .distinct()
        .where(roles.c.organization_id.in_(select(above.c.id)), _valid_member_roles())
        .order_by(roles.c.user_id)
    )
    return [row.user_id for row in rows]


async def role_exists(connection: AsyncConnection, role_id: uuid.UUID) -> bool:
    return await connection.scalar(select(roles.c.id).where(roles.c.id == role_id)) is not None


async def approved_roles_of_user(
    connection: AsyncConnection, user_id: uuid.UUID
) -> list[uuid.UUID]:
    rows = await connection.execute(
        select(roles.c.id).where(
            roles.c.user_id == user_id, roles.c.status == RoleStatus.APPROVED.value
        )
    )
    return [row.id for row in rows]


async def organizations_with_administrator(
    connection: AsyncConnection, organization_ids: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these organizations have an administrator whose role works now."""
    rows = await connection.execute(
        select(roles.c.organization_id)
        .distinct()
        .where(
            any_of(roles.c.organization_id, organization_ids),
            roles.c.kind == RoleKind.MEMBER.value,
            roles.c.status == RoleStatus.APPROVED.value,
            roles.c.is_admin,
            roles.c.suspended_at.is_(None),
        )
    )
    return {row.organization_id for row in rows}


async def organization_by_code(connection: AsyncConnection, code: str) -> Organization | None:
    """Locked FOR UPDATE, as the decisions about its roles are."""
    organization_id = await connection.scalar(
        select(organizations.c.id).where(organizations.c.code == code)
    )
    if organization_id is None:
        return None
    return await get_organization(connection, organization_id, lock=True)


@dataclass(frozen=True)
class LiveRole:
    id: uuid.UUID
    status: RoleStatus


async def lock_live_role(
    connection: AsyncConnection, *, user_id: uuid.UUID, organization_id: uuid.UUID, kind: RoleKind
) -> LiveRole | None:
    """The user's pending or approved role of that kind in the organization (at most one)."""
    row = (
        await connection.execute(
            select(roles.c.id, roles.c.status)
            .where(
                roles.c.user_id == user_id,
                roles.c.organization_id == organization_id,
                roles.c.kind == kind.value,
                roles.c.status.in_([RoleStatus.PENDING.value, RoleStatus.APPROVED.value]),
            )
            .with_for_update()
        )
    ).first()
    return LiveRole(id=row.id, status=RoleStatus(row.status)) if row else None


async def insert_approved_administrator(
    connection: AsyncConnection,
    *,
    role_id: uuid.UUID,
    user_id: uuid.UUID,
    organization_id: uuid.UUID,
    reason: str,
) -> None:
    await connection.execute(
        roles.insert().values(
            id=role_id,
            user_id=user_id,
            organization_id=organization_id,
            kind=RoleKind.MEMBER.value,
            status=RoleStatus.APPROVED.value,
            is_admin=True,
            decided_at=func.now(),
            decision_reason=reason,
        )
    )
