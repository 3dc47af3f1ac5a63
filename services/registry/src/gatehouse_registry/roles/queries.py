"""The SQL of role requests: reading them as `RoleRequest`s and writing their decisions. No rule
is checked here; roles.service decides what may happen, in its own transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg

from gatehouse_common.db import Connection
from gatehouse_registry.access import (
    DECIDABLE_BY_ACTOR_SQL,
    OrganizationKind,
    Principal,
    RoleKind,
    decider_parameters,
)
from gatehouse_registry.roles.models import Organization, RoleRequest, RoleStatus

ROLE_QUERY = """
SELECT r.*, u.full_name AS user_full_name, u.email AS user_email,
       o.name AS organization_name, o.kind AS organization_kind,
       o.status AS organization_status,
       coalesce((SELECT array_agg(ra.authority_id ORDER BY ra.authority_id)
                   FROM role_authorities ra WHERE ra.role_id = r.id), '{}') AS authority_ids
  FROM roles r
  JOIN users u ON u.id = r.user_id
  JOIN organizations o ON o.id = r.organization_id
"""


def _role(row: Any) -> RoleRequest:
    return RoleRequest(
        id=row["id"],
        user_id=row["user_id"],
        user_full_name=row["user_full_name"],
        user_email=row["user_email"],
        organization_id=row["organization_id"],
        organization_name=row["organization_name"],
        organization_kind=OrganizationKind(row["organization_kind"]),
        organization_status=row["organization_status"],
        kind=RoleKind(row["kind"]),
        status=RoleStatus(row["status"]),
        is_admin=row["is_admin"],
        suspended=row["suspended_at"] is not None,
        message=row["message"],
        contact_email=row["contact_email"],
        contact_phone=row["contact_phone"],
        responsible_authority_ids=tuple(row["authority_ids"]),
        requested_at=row["requested_at"],
        decided_at=row["decided_at"],
        decided_by=row["decided_by"],
        decision_reason=row["decision_reason"],
    )


def _organization(row: Any) -> Organization:
    return Organization(
        id=row["id"],
        name=row["name"],
        kind=OrganizationKind(row["kind"]),
        status=row["status"],
        competent_authority_id=row["competent_authority_id"],
    )


async def load_role(connection: Connection, role_id: uuid.UUID) -> RoleRequest | None:
    row = await connection.fetchrow(f"{ROLE_QUERY} WHERE r.id = $1", role_id)
    return _role(row) if row else None


async def roles_of_user(connection: Connection, user_id: uuid.UUID) -> list[RoleRequest]:
    rows = await connection.fetch(
        f"{ROLE_QUERY} WHERE r.user_id = $1 ORDER BY r.requested_at DESC", user_id
    )
    return [_role(row) for row in rows]


async def decidable_roles(
    connection: Connection,
    principal: Principal,
    *,
    status: RoleStatus | None,
    organization_id: uuid.UUID | None,
    limit: int,
    offset: int = 0,
    user_id: uuid.UUID | None = None,
) -> list[RoleRequest]:
    """The roles `principal` may decide (access.DECIDABLE_BY_ACTOR_SQL), oldest first."""
    rows = await connection.fetch(
        f"""{ROLE_QUERY}
            WHERE {DECIDABLE_BY_ACTOR_SQL}
              AND ($4::text IS NULL OR r.status = $4)
              AND ($5::uuid IS NULL OR r.organization_id = $5)
              AND ($8::uuid IS NULL OR r.user_id = $8)
            ORDER BY r.requested_at, r.id
            LIMIT $6 OFFSET $7""",
        *decider_parameters(principal),
        status.value if status else None,
        organization_id,
        limit,
        offset,
        user_id,
    )
    return [_role(row) for row in rows]


async def pending_operator_applications(
    connection: Connection, principal: Principal, *, limit: int
) -> list[RoleRequest]:
    """Pending requests `principal` may decide that came with a new operator (still pending:
    its creator's application), oldest first."""
    rows = await connection.fetch(
        f"""{ROLE_QUERY}
            WHERE {DECIDABLE_BY_ACTOR_SQL}
              AND r.status = 'pending' AND o.kind = 'operator' AND o.status = 'pending'
            ORDER BY r.requested_at, r.id
            LIMIT $4""",
        *decider_parameters(principal),
        limit,
    )
    return [_role(row) for row in rows]


async def roles_of_organization(
    connection: Connection, organization_id: uuid.UUID, *, status: RoleStatus | None = None
) -> list[RoleRequest]:
    rows = await connection.fetch(
        f"""{ROLE_QUERY} WHERE r.organization_id = $1
              AND ($2::text IS NULL OR r.status = $2)
            ORDER BY r.requested_at, r.id""",
        organization_id,
        status.value if status else None,
    )
    return [_role(row) for row in rows]


async def get_organization(
    connection: Connection, organization_id: uuid.UUID, *, lock: bool = False
) -> Organization | None:
    """`lock`: FOR UPDATE, serialising the decisions about the organization's roles."""
    row = await connection.fetchrow(
        "SELECT id, name, kind, status, competent_authority_id FROM organizations WHERE id = $1"
        + (" FOR UPDATE" if lock else ""),
        organization_id,
    )
    return _organization(row) if row else None


async def organization_of_role(connection: Connection, role_id: uuid.UUID) -> uuid.UUID | None:
    found: uuid.UUID | None = await connection.fetchval(
        "SELECT organization_id FROM roles WHERE id = $1", role_id
    )
    return found


async def count_valid_authorities(connection: Connection, ids: Sequence[uuid.UUID]) -> int:
    count: int = await connection.fetchval(
        """SELECT count(*) FROM organizations
            WHERE id = ANY($1::uuid[]) AND kind = 'authority' AND status = 'valid'""",
        list(ids),
    )
    return count


async def administrator_count(connection: Connection, organization_id: uuid.UUID) -> int:
    count: int = await connection.fetchval(
        """SELECT count(*) FROM roles
            WHERE organization_id = $1 AND status = 'approved' AND is_admin""",
        organization_id,
    )
    return count


async def insert_pending_role(
    connection: Connection,
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
    """False when the user already asked for, or holds, this role in this organization."""
    try:
        async with connection.transaction():  # a savepoint: the duplicate must not abort
            await connection.execute(
                """INSERT INTO roles (id, user_id, organization_id, kind, status, message,
                                      contact_email, contact_phone)
                   VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7)""",
                role_id,
                user_id,
                organization_id,
                kind.value,
                message,
                email,
                phone,
            )
    except asyncpg.UniqueViolationError:
        return False
    await connection.executemany(
        "INSERT INTO role_authorities (role_id, authority_id) VALUES ($1, $2)",
        [(role_id, authority_id) for authority_id in responsible_authority_ids],
    )
    return True


async def approve(
    connection: Connection,
    role_id: uuid.UUID,
    *,
    is_admin: bool,
    decided_by: uuid.UUID,
    reason: str | None,
) -> None:
    await connection.execute(
        """UPDATE roles SET status = 'approved', is_admin = $2, decided_by = $3,
                            decided_at = now(), decision_reason = $4
            WHERE id = $1""",
        role_id,
        is_admin,
        decided_by,
        reason,
    )


async def reject(
    connection: Connection, role_id: uuid.UUID, *, decided_by: uuid.UUID, reason: str
) -> None:
    await connection.execute(
        """UPDATE roles SET status = 'rejected', decided_by = $2, decided_at = now(),
                            decision_reason = $3
            WHERE id = $1""",
        role_id,
        decided_by,
        reason,
    )


async def revoke(
    connection: Connection, role_id: uuid.UUID, *, revoked_by: uuid.UUID, reason: str
) -> None:
    await connection.execute(
        """UPDATE roles SET status = 'revoked', is_admin = false, revoked_by = $2,
                            revoked_at = now(), revoke_reason = $3
            WHERE id = $1""",
        role_id,
        revoked_by,
        reason,
    )


async def set_admin(connection: Connection, role_id: uuid.UUID, *, admin: bool) -> None:
    await connection.execute("UPDATE roles SET is_admin = $2 WHERE id = $1", role_id, admin)


async def unsuspend(connection: Connection, role_id: uuid.UUID) -> None:
    await connection.execute("UPDATE roles SET suspended_at = NULL WHERE id = $1", role_id)
