"""`python -m gatehouse_registry add-administrator`: operations staff make a user the administrator
of an organization — an authority's first administrator, whom nobody else could approve. Written
to the audit trail as done by the registry itself."""

from __future__ import annotations

import uuid

from gatehouse.events.v1 import registry_events_pb2 as events
from gatehouse_common.db import Database
from gatehouse_registry.access import RoleKind
from gatehouse_registry.access import queries as access
from gatehouse_registry.audit import service as audit
from gatehouse_registry.errors import ConflictError, NotFoundError
from gatehouse_registry.events import emit
from gatehouse_registry.roles import queries
from gatehouse_registry.roles.models import RoleStatus

REASON = "administration command"


async def add_administrator(
    database: Database,
    *,
    organization_code: str,
    user_id: uuid.UUID,
    full_name: str,
    email: str,
) -> uuid.UUID:
    """Make the user an approved administrator of the organization with that code (approving
    their pending request, if they have one); returns the role id. The user need not have signed
    in yet."""
    async with database.transaction() as connection:
        organization = await queries.organization_by_code(connection, organization_code)
        if organization is None:
            raise NotFoundError(f"no organization with code {organization_code!r}")
        await access.ensure_user(connection, user_id=user_id, full_name=full_name, email=email)
        existing = await queries.lock_live_role(
            connection, user_id=user_id, organization_id=organization.id, kind=RoleKind.MEMBER
        )
        if existing is not None and existing.status is RoleStatus.APPROVED:
            raise ConflictError("already a user of the organization; make them administrator there")
        role_id = existing.id if existing is not None else uuid.uuid4()
        if existing is None:
            await queries.insert_approved_administrator(
                connection,
                role_id=role_id,
                user_id=user_id,
                organization_id=organization.id,
                reason=REASON,
            )
        else:
            await queries.approve(
                connection, role_id, is_admin=True, decided_by=None, reason=REASON
            )
        await emit(
            connection,
            "registry.role_request.approved",
            subject=role_id,
            message=events.RoleRequestApproved(
                role_request_id=str(role_id),
                user_id=str(user_id),
                organization_id=str(organization.id),
                became_administrator=True,
            ),
        )
        await audit.record(
            connection,
            actor=None,
            action="admin.granted",
            subject_type="role_request",
            subject_id=role_id,
            organization_id=organization.id,
            scope=[organization.competent_authority_id],
            target_user_id=user_id,
            reason=REASON,
        )
    return role_id
