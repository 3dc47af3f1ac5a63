"""The SQL of *My data* (service.py): one user's rows, each query naming the columns that may
leave the registry. No rule is checked here."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, ColumnElement, Table, Text, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_registry.tables import (
    activities,
    audit_log,
    identifiers,
    organizations,
    role_authorities,
    roles,
)


async def rows_of(
    connection: AsyncConnection,
    *,
    table: Table,
    columns: Sequence[Column[Any]],
    where: ColumnElement[bool],
) -> list[dict[str, Any]]:
    """The chosen columns of the rows of `table` that `where` picks, in primary-key order."""
    ordering = list(table.primary_key.columns) or list(columns)
    result = await connection.execute(select(*columns).where(where).order_by(*ordering))
    return [dict(row._mapping) for row in result]


async def roles_of(connection: AsyncConnection, user_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every role request of the user, with the organisation's name and kind, oldest first."""
    result = await connection.execute(
        select(
            roles,
            organizations.c.name.label("organization_name"),
            organizations.c.kind.label("organization_kind"),
        )
        .join(organizations, organizations.c.id == roles.c.organization_id)
        .where(roles.c.user_id == user_id)
        .order_by(roles.c.requested_at, roles.c.id)
    )
    return [dict(row._mapping) for row in result]


async def responsible_authorities(
    connection: AsyncConnection, role_ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, str]]:
    """(role id, authority name) of the "responsible for the load" roles among `role_ids`."""
    result = await connection.execute(
        select(role_authorities.c.role_id, organizations.c.name)
        .join(organizations, organizations.c.id == role_authorities.c.authority_id)
        .where(role_authorities.c.role_id.in_(role_ids))
        .order_by(role_authorities.c.role_id, organizations.c.name)
    )
    return [(row.role_id, row.name) for row in result]


async def organisations_of(
    connection: AsyncConnection, user_ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, uuid.UUID, str, str]]:
    """(user id, organisation id, name, kind) of every organisation the users are or were
    members of (approved or revoked roles): how a decider is named to the person decided about
    (their organisation, not their name)."""
    result = await connection.execute(
        select(roles.c.user_id, organizations.c.id, organizations.c.name, organizations.c.kind)
        .join(organizations, organizations.c.id == roles.c.organization_id)
        .where(
            roles.c.user_id.in_(user_ids),
            roles.c.kind == "member",
            roles.c.status.in_(("approved", "revoked")),
        )
        .order_by(roles.c.user_id, organizations.c.name)
    )
    return [(row.user_id, row.id, row.name, row.kind) for row in result]


async def operators_with_roles(
    connection: AsyncConnection, user_id: uuid.UUID
) -> list[dict[str, Any]]:
    """The operators where the user holds an approved role (suspended ones included)."""
    held = select(roles.c.organization_id).where(
        roles.c.user_id == user_id, roles.c.status == "approved"
    )
    result = await connection.execute(
        select(
            organizations.c.id,
            organizations.c.name,
            organizations.c.country_code,
            organizations.c.status,
        )
        .where(organizations.c.kind == "operator", organizations.c.id.in_(held))
        .order_by(organizations.c.name, organizations.c.id)
    )
    return [dict(row._mapping) for row in result]


async def identifiers_of(
    connection: AsyncConnection, organization_ids: Sequence[uuid.UUID]
) -> list[dict[str, Any]]:
    """The active identifiers of the organisations (national number, VAT, EORI)."""
    result = await connection.execute(
        select(
            identifiers.c.organization_id,
            identifiers.c.type,
            identifiers.c.country_code,
            identifiers.c.value,
        )
        .where(identifiers.c.organization_id.in_(organization_ids), identifiers.c.active)
        .order_by(identifiers.c.organization_id, identifiers.c.type, identifiers.c.value)
    )
    return [dict(row._mapping) for row in result]


async def created_by(connection: AsyncConnection, user_id: uuid.UUID) -> list[dict[str, Any]]:
    """Organisations and activities the user registered, with their status."""
    made_organisations = select(
        organizations.c.id,
        organizations.c.kind.label("what"),
        organizations.c.name,
        organizations.c.status,
        organizations.c.created_at,
    ).where(organizations.c.created_by == user_id)
    made_activities = (
        select(
            activities.c.id,
            activities.c.activity_type_code.label("what"),
            organizations.c.name,
            activities.c.status,
            activities.c.created_at,
        )
        .join(organizations, organizations.c.id == activities.c.organization_id)
        .where(activities.c.created_by == user_id)
    )
    result = await connection.execute(
        made_organisations.union_all(made_activities).order_by("created_at", "id")
    )
    return [dict(row._mapping) for row in result]


async def decided_by(connection: AsyncConnection, user_id: uuid.UUID) -> list[dict[str, Any]]:
    """Decisions the user made: on role requests (approve, reject, revoke), operators and
    activities. Named by the organisation, never by the person a role belongs to."""
    parts = []
    for column, moment, reason, what in (
        (roles.c.decided_by, roles.c.decided_at, roles.c.decision_reason, "role_request"),
        (roles.c.revoked_by, roles.c.revoked_at, roles.c.revoke_reason, "role_revoked"),
    ):
        parts.append(
            select(
                roles.c.id,
                _text(what).label("what"),
                organizations.c.name,
                roles.c.status,
                moment.label("decided_at"),
                reason.label("reason"),
            )
            .join(organizations, organizations.c.id == roles.c.organization_id)
            .where(column == user_id)
        )
    parts.append(
        select(
            organizations.c.id,
            _text("organization").label("what"),
            organizations.c.name,
            organizations.c.status,
            organizations.c.decided_at,
            organizations.c.decision_reason.label("reason"),
        ).where(organizations.c.decided_by == user_id)
    )
    parts.append(
        select(
            activities.c.id,
            _text("activity").label("what"),
            organizations.c.name,
            activities.c.status,
            activities.c.decided_at,
            activities.c.decision_reason.label("reason"),
        )
        .join(organizations, organizations.c.id == activities.c.organization_id)
        .where(activities.c.decided_by == user_id)
    )
    first, *rest = parts
    result = await connection.execute(first.union_all(*rest).order_by("decided_at", "id"))
    return [dict(row._mapping) for row in result]


def _text(value: str) -> ColumnElement[str]:
    return literal(value, Text)


async def audit_entries(connection: AsyncConnection, user_id: uuid.UUID) -> list[dict[str, Any]]:
    """Audit entries by the user, about them (target) or with them as subject, oldest first,
    with the organisation's name."""
    result = await connection.execute(
        select(
            audit_log.c.id,
            audit_log.c.occurred_at,
            audit_log.c.actor_user_id,
            audit_log.c.action,
            audit_log.c.subject_type,
            audit_log.c.subject_id,
            audit_log.c.target_user_id,
            audit_log.c.organization_id,
            organizations.c.name.label("organization_name"),
            audit_log.c.reason,
            audit_log.c.details,
        )
        .outerjoin(organizations, organizations.c.id == audit_log.c.organization_id)
        .where(
            or_(
                audit_log.c.actor_user_id == user_id,
                audit_log.c.target_user_id == user_id,
                (audit_log.c.subject_type == "user") & (audit_log.c.subject_id == user_id),
            )
        )
        .order_by(audit_log.c.id)
    )
    return [dict(row._mapping) for row in result]
