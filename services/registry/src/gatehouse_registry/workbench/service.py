"""An authority's work list: everything that waits for the viewer's authorities, oldest first.

Authorities found new operators and pending activities only by browsing (issue 14). Here the
pending role requests they may decide (the access rule, access.queries.decidable_by)
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

from gatehouse_common.db import Database
from gatehouse_registry.access import Actor, OrganizationKind, RoleKind, load_principal
from gatehouse_registry.errors import PermissionDeniedError
from gatehouse_registry.operators import queries as operator_queries
from gatehouse_registry.operators.models import WaitingActivity
from gatehouse_registry.roles import queries as role_queries
from gatehouse_registry.roles.models import RoleRequest, RoleStatus

# Waiting requests read: far beyond a real backlog; the rest stays searchable.
_LIMIT = 2000


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
    database: Database, *, actor: Actor, newest_first: bool = False
) -> Workbench:
    """What waits for the actor's authorities, oldest first (or newest first)."""
    async with database.transaction() as connection:
        principal = await load_principal(connection, actor)
        principal.require_active()
        if not principal.authority_ids:
            raise PermissionDeniedError("the work list is for users of an authority")
        activities = await operator_queries.waiting_activities(connection, principal.authority_ids)
        requests = await role_queries.decidable_roles(
            connection, principal, status=RoleStatus.PENDING, organization_id=None, limit=_LIMIT
        )
        administered = await role_queries.organizations_with_administrator(
            connection,
            {
                r.organization_id
                for r in requests
                if r.organization_kind is OrganizationKind.OPERATOR
            },
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
