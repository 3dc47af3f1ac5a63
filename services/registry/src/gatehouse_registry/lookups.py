"""Lookups for other services (over gRPC, with service credentials rather than a user): who
administers an operator, who validates it, who decides a role request. They follow the same rules
as the user-facing checks in access.py, so a notification never reaches someone who could not
act on it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg

from gatehouse_registry.access import DECIDERS_OF_ROLE_SQL
from gatehouse_registry.errors import NotFoundError
from gatehouse_registry.operators.models import OrganizationStatus
from gatehouse_registry.roles.models import RoleRequest
from gatehouse_registry.roles.queries import load_role

# Approved, unsuspended member roles of active users in valid organizations.
VALID_MEMBER = """r.status = 'approved' AND r.suspended_at IS NULL AND r.kind = 'member'
    AND EXISTS (SELECT 1 FROM users u WHERE u.id = r.user_id AND u.status = 'active')"""


@dataclass(frozen=True)
class OperatorSummary:
    id: uuid.UUID
    name: str
    country_code: str
    status: OrganizationStatus
    competent_authority_id: uuid.UUID | None
    competent_authority_name: str | None


async def get_operator_summary(pool: asyncpg.Pool, *, operator_id: uuid.UUID) -> OperatorSummary:
    row = await pool.fetchrow(
        """SELECT o.id, o.name, o.country_code, o.status, o.competent_authority_id,
                  ca.name AS competent_authority_name
             FROM organizations o LEFT JOIN organizations ca ON ca.id = o.competent_authority_id
            WHERE o.id = $1 AND o.kind = 'operator'""",
        operator_id,
    )
    if row is None:
        raise NotFoundError(f"no operator {operator_id}")
    return OperatorSummary(
        id=row["id"],
        name=row["name"],
        country_code=row["country_code"],
        status=OrganizationStatus(row["status"]),
        competent_authority_id=row["competent_authority_id"],
        competent_authority_name=row["competent_authority_name"],
    )


async def list_operator_administrators(
    pool: asyncpg.Pool, *, operator_id: uuid.UUID
) -> list[uuid.UUID]:
    await get_operator_summary(pool, operator_id=operator_id)
    rows = await pool.fetch(
        f"""SELECT DISTINCT r.user_id FROM roles r
             WHERE r.organization_id = $1 AND r.is_admin AND {VALID_MEMBER}
             ORDER BY r.user_id""",
        operator_id,
    )
    return [row["user_id"] for row in rows]


async def list_operator_validators(
    pool: asyncpg.Pool, *, operator_id: uuid.UUID
) -> list[uuid.UUID]:
    """Valid members of the operator's competent authority and of the authorities above it."""
    summary = await get_operator_summary(pool, operator_id=operator_id)
    if summary.competent_authority_id is None:
        return []
    rows = await pool.fetch(
        f"""WITH RECURSIVE up (id) AS (
                SELECT $1::uuid
                UNION
                SELECT o.parent_authority_id FROM organizations o JOIN up ON o.id = up.id
                 WHERE o.parent_authority_id IS NOT NULL)
            SELECT DISTINCT r.user_id FROM roles r
             WHERE r.organization_id IN (SELECT id FROM up) AND {VALID_MEMBER}
             ORDER BY r.user_id""",
        summary.competent_authority_id,
    )
    return [row["user_id"] for row in rows]


async def get_role_request(pool: asyncpg.Pool, *, role_request_id: uuid.UUID) -> RoleRequest:
    async with pool.acquire() as connection:
        role = await load_role(connection, role_request_id)
    if role is None:
        raise NotFoundError(f"no role request {role_request_id}")
    return role


async def list_role_request_deciders(
    pool: asyncpg.Pool, *, role_request_id: uuid.UUID
) -> list[uuid.UUID]:
    async with pool.acquire() as connection:
        if not await connection.fetchval("SELECT 1 FROM roles WHERE id = $1", role_request_id):
            raise NotFoundError(f"no role request {role_request_id}")
        rows = await connection.fetch(DECIDERS_OF_ROLE_SQL, role_request_id)
    return [row["user_id"] for row in rows]


async def list_reactivation_deciders(pool: asyncpg.Pool, *, user_id: uuid.UUID) -> list[uuid.UUID]:
    async with pool.acquire() as connection:
        if not await connection.fetchval("SELECT 1 FROM users WHERE id = $1", user_id):
            raise NotFoundError(f"no user {user_id}")
        role_ids = await connection.fetch(
            "SELECT id FROM roles WHERE user_id = $1 AND status = 'approved'", user_id
        )
        deciders: set[uuid.UUID] = set()
        for row in role_ids:
            deciders.update(
                decider["user_id"]
                for decider in await connection.fetch(DECIDERS_OF_ROLE_SQL, row["id"])
            )
    return sorted(deciders)
