"""A user deleted their account in identity (event identity.user.deleted, issue 18 point 3):
the registry ends their roles and keeps their history under a pseudonym.

In one transaction with the event's id in `handled_events` (a redelivery changes nothing): every
approved role is revoked (administrator rights with it) and every pending request rejected, by
the registry itself, each with an audit entry for the organization's readers; what the user wrote
in their applications (message, contact e-mail and phone) is erased; their copy of identity's
data becomes the pseudonym with no address, their registry sessions end, and the audit trail
names them by the pseudonym ("deleted-user-3f2a…") wherever they acted, so an operator's history
still reads as one person's decisions. Their access tokens are refused from now on, as after a
devices reset.

Identity refuses to delete the last administrator of an organization (it asks
RoleService.ListSoleAdministrations first). If another administrator lost their rights between
that question and this event, the organization is left without one: the registry records
`organization.without_administrator` in the audit trail and publishes
registry.organization.without_administrator, which the notifier sends to those who may decide
the ended administrator role (the organization's competent authority), so they can appoint one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse.events.v1 import registry_events_pb2 as registry_events
from gatehouse_common.db import Database
from gatehouse_registry.audit import service as audit
from gatehouse_registry.events import emit
from gatehouse_registry.roles.queries import administrator_count
from gatehouse_registry.users import deletion_queries as queries
from gatehouse_registry.users.queries import first_handling

DELETED = "identity.user.deleted"
WITHOUT_ADMINISTRATOR = "registry.organization.without_administrator"
REASON = "the user deleted their account in identity"


@dataclass(frozen=True)
class Forgotten:
    roles_ended: int
    known: bool


async def forget_deleted_user(
    database: Database, *, user_id: uuid.UUID, pseudonym: str, event_id: uuid.UUID
) -> Forgotten | None:
    """Act on identity.user.deleted; None when the event was handled before (a redelivery)."""
    async with database.transaction() as connection:
        if not await first_handling(connection, event_id, event_type=DELETED):
            return None
        ended = await queries.end_roles(connection, user_id=user_id, reason=REASON)
        await queries.erase_applications(connection, user_id=user_id)
        known = await queries.pseudonymise_user(connection, user_id=user_id, pseudonym=pseudonym)
        await queries.end_sessions(connection, user_id=user_id)
        await queries.pseudonymise_audit_trail(connection, user_id=user_id, pseudonym=pseudonym)
        for role in ended:
            await audit.record(
                connection,
                actor=None,
                action="role.ended",
                subject_type="role_request",
                subject_id=role.role_id,
                organization_id=role.organization_id,
                target_user_id=user_id,
                reason=REASON,
                details={
                    "pseudonym": pseudonym,
                    "was": role.was.value,
                    "was_administrator": role.was_admin,
                },
            )
        for role in ended:
            if role.was_admin:
                await _left_without_administrator(connection, role=role, pseudonym=pseudonym)
    return Forgotten(roles_ended=len(ended), known=known)


async def _left_without_administrator(
    connection: AsyncConnection, *, role: queries.EndedRole, pseudonym: str
) -> None:
    """When the ended administrator role was the organization's last, say so (audit, event)."""
    if await administrator_count(connection, role.organization_id) > 0:
        return
    await audit.record(
        connection,
        actor=None,
        action="organization.without_administrator",
        subject_type="organization",
        subject_id=role.organization_id,
        organization_id=role.organization_id,
        reason=REASON,
        details={"pseudonym": pseudonym, "role_request_id": str(role.role_id)},
    )
    await emit(
        connection,
        WITHOUT_ADMINISTRATOR,
        subject=role.organization_id,
        message=registry_events.OrganizationWithoutAdministrator(
            organization_id=str(role.organization_id), role_request_id=str(role.role_id)
        ),
    )
