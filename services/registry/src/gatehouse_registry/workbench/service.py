"""An authority's work list: everything that waits for the viewer's authorities, oldest first.

Authorities found new operators and pending activities only by browsing (issue 14). Here the
pending role requests they may decide (the roles capability's own rule, DECIDABLE_BY_ACTOR_SQL)
are sorted into what a person at the authority does with them, beside the activities of existing
operators that wait for their validation:

- operators to validate: a new operator and its creator's request (one line per operator);
- activities to validate: a new activity of an operator that is valid already;
- "responsible for the load" requests naming one of the authority's border posts;
- users of operators without an administrator (the authority decides for them);
- users of the authority itself (for its administrators).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from gatehouse_registry.access import Actor, OrganizationKind, RoleKind, load_principal
from gatehouse_registry.errors import PermissionDeniedError
from gatehouse_registry.roles import service as roles
from gatehouse_registry.roles.models import RoleRequest, RoleStatus

_PAGE_SIZE = roles.MAX_PAGE_SIZE
_MAX_PAGES = 10  # 2,000 waiting requests: far beyond a real backlog; the rest stays searchable


@dataclass(frozen=True)
class WaitingActivity:
    activity_id: uuid.UUID
    operator_id: uuid.UUID
    operator_name: str
    section_code: str
    activity_type_code: str
    created_at: datetime


@dataclass(frozen=True)
class Workbench:
    operators: tuple[RoleRequest, ...]
    activities: tuple[WaitingActivity, ...]
    responsible_for_load: tuple[RoleRequest, ...]
    operator_users: tuple[RoleRequest, ...]
    authority_users: tuple[RoleRequest, ...]

    @property
    def total(self) -> int:
        return sum(
            len(items)
            for items in (
                self.operators,
                self.activities,
                self.responsible_for_load,
                self.operator_users,
                self.authority_users,
            )
        )


async def authority_work(
    pool: asyncpg.Pool, *, actor: Actor, newest_first: bool = False
) -> Workbench:
    """What waits for the actor's authorities, oldest first (or newest first)."""
    async with pool.acquire() as connection:
        principal = await load_principal(connection, actor)
        principal.require_active()
        if not principal.authority_ids:
            raise PermissionDeniedError("the work list is for users of an authority")
        rows = await connection.fetch(
            """SELECT a.id, a.organization_id, o.name, a.section_code, a.activity_type_code,
                      a.created_at
                 FROM activities a JOIN organizations o ON o.id = a.organization_id
                WHERE a.status = 'pending' AND o.status = 'valid'
                  AND a.authority_id = ANY($1::uuid[])
                ORDER BY a.created_at, a.id""",
            list(principal.authority_ids),
        )
    activities = [
        WaitingActivity(
            activity_id=row["id"],
            operator_id=row["organization_id"],
            operator_name=row["name"],
            section_code=row["section_code"],
            activity_type_code=row["activity_type_code"],
            created_at=row["created_at"],
        )
        for row in rows
    ]
    requests = await _pending_requests(pool, actor=actor)
    administered = await _with_administrator(
        pool,
        {r.organization_id for r in requests if r.organization_kind is OrganizationKind.OPERATOR},
    )
    new_operators: dict[uuid.UUID, RoleRequest] = {}
    rfl, operator_users, authority_users = [], [], []
    for request in requests:
        if request.kind is RoleKind.RESPONSIBLE_FOR_LOAD:
            rfl.append(request)
        elif request.organization_kind is OrganizationKind.OPERATOR:
            if request.organization_status == "pending":
                new_operators.setdefault(request.organization_id, request)
            elif request.organization_id not in administered:
                operator_users.append(request)
            # else: the operator's own administrators decide; the authority may, but it is not
            # waiting for it.
        else:
            authority_users.append(request)

    def ordered(items: list[RoleRequest]) -> tuple[RoleRequest, ...]:
        return tuple(sorted(items, key=lambda r: r.requested_at, reverse=newest_first))

    return Workbench(
        operators=ordered(list(new_operators.values())),
        activities=tuple(sorted(activities, key=lambda a: a.created_at, reverse=newest_first)),
        responsible_for_load=ordered(rfl),
        operator_users=ordered(operator_users),
        authority_users=ordered(authority_users),
    )


async def _with_administrator(
    pool: asyncpg.Pool, organization_ids: set[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these organizations have an administrator whose role works now."""
    rows = await pool.fetch(
        """SELECT DISTINCT organization_id FROM roles
            WHERE organization_id = ANY($1::uuid[]) AND kind = 'member' AND status = 'approved'
              AND is_admin AND suspended_at IS NULL""",
        list(organization_ids),
    )
    return {row["organization_id"] for row in rows}


async def _pending_requests(pool: asyncpg.Pool, *, actor: Actor) -> list[RoleRequest]:
    found: list[RoleRequest] = []
    for number in range(1, _MAX_PAGES + 1):
        batch = await roles.list_decidable_requests(
            pool, actor=actor, status=RoleStatus.PENDING, page=number, page_size=_PAGE_SIZE
        )
        found += batch
        if len(batch) < _PAGE_SIZE:
            break
    return found
