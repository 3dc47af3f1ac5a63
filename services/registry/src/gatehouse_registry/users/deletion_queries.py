"""The SQL of forgetting a user identity deleted (deletion.py): their roles ended, what they
wrote in their applications erased, their copy of identity's data and their sessions replaced by
the pseudonym, their name in the audit trail replaced by it too."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_registry.roles.models import RoleStatus
from gatehouse_registry.tables import audit_log, auth_sessions, roles, users


@dataclass(frozen=True)
class EndedRole:
    role_id: uuid.UUID
    organization_id: uuid.UUID
    was: RoleStatus
    was_admin: bool


async def end_roles(
    connection: AsyncConnection, *, user_id: uuid.UUID, reason: str
) -> list[EndedRole]:
    """Approved roles revoked (no longer administrator), pending requests rejected, by the
    registry itself; rejected and revoked ones stay as they are."""
    before = (
        select(roles.c.id, roles.c.status, roles.c.is_admin)
        .where(
            roles.c.user_id == user_id,
            roles.c.status.in_([RoleStatus.APPROVED.value, RoleStatus.PENDING.value]),
        )
        .with_for_update()
    )
    found = {row.id: row for row in await connection.execute(before)}
    ended = []
    for row_id, row in found.items():
        approved = row.status == RoleStatus.APPROVED.value
        values = (
            {
                "status": RoleStatus.REVOKED.value,
                "is_admin": False,
                "revoked_by": None,
                "revoked_at": func.now(),
                "revoke_reason": reason,
            }
            if approved
            else {
                "status": RoleStatus.REJECTED.value,
                "decided_by": None,
                "decided_at": func.now(),
                "decision_reason": reason,
            }
        )
        organization_id = await connection.scalar(
            update(roles)
            .where(roles.c.id == row_id)
            .values(values)
            .returning(roles.c.organization_id)
        )
        ended.append(
            EndedRole(
                role_id=row_id,
                organization_id=organization_id,
                was=RoleStatus(row.status),
                was_admin=bool(row.is_admin),
            )
        )
    return ended


async def erase_applications(connection: AsyncConnection, *, user_id: uuid.UUID) -> None:
    """What the user wrote when applying (message, contact e-mail and phone)."""
    await connection.execute(
        update(roles)
        .where(roles.c.user_id == user_id)
        .values(message=None, contact_email=None, contact_phone=None)
    )


async def pseudonymise_user(
    connection: AsyncConnection, *, user_id: uuid.UUID, pseudonym: str
) -> bool:
    """The registry's copy of identity's data becomes the pseudonym (no address); the user is
    inactive, so the inactivity job never writes to them. False when the registry never knew
    the user."""
    found = await connection.scalar(
        update(users)
        .where(users.c.id == user_id)
        .values(
            full_name=pseudonym,
            email="",
            status="inactive",
            inactivated_at=func.coalesce(users.c.inactivated_at, func.now()),
            reactivation_requested_at=None,
            reactivation_message=None,
            updated_at=func.now(),
        )
        .returning(users.c.id)
    )
    return found is not None


async def end_sessions(connection: AsyncConnection, *, user_id: uuid.UUID) -> None:
    """The user's registry sessions, with the name, address and ID token they held."""
    await connection.execute(delete(auth_sessions).where(auth_sessions.c.user_id == user_id))


# The audit trail is append-only (a trigger refuses UPDATE, DELETE, TRUNCATE); its one exception
# is this: the name of a deleted user as the actor of entries, replaced by their pseudonym, in a
# transaction that says which user it pseudonymises (tables.py, the audit_log trigger).
_PSEUDONYMISING = text("SELECT set_config('gatehouse.pseudonymising', :user_id, true)")


async def pseudonymise_audit_trail(
    connection: AsyncConnection, *, user_id: uuid.UUID, pseudonym: str
) -> int:
    await connection.execute(_PSEUDONYMISING, {"user_id": str(user_id)})
    result = await connection.execute(
        update(audit_log)
        .where(audit_log.c.actor_user_id == user_id, audit_log.c.actor_name != pseudonym)
        .values(actor_name=pseudonym)
    )
    await connection.execute(_PSEUDONYMISING, {"user_id": ""})
    return int(result.rowcount or 0)
