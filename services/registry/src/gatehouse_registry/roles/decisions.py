"""Decisions on role requests: approve, reject, revoke, make or unmake an administrator, lift a
suspension (rules in roles.service's docstring).

Every decision locks the organization's row first, so two administrators acting at once are
serialised: "the last administrator" and "the first approved user" are never decided on stale
counts; the actor's roles are read only after that lock.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse.events.v1 import registry_events_pb2 as events
from gatehouse_common.db import Database
from gatehouse_registry.access import (
    Actor,
    OrganizationKind,
    Principal,
    RoleKind,
    check_multi_factor,
    load_principal,
    may_decide_role,
)
from gatehouse_registry.audit import service as audit
from gatehouse_registry.checks import optional_reason, required_reason
from gatehouse_registry.errors import (
    AlreadyDecidedError,
    NotFoundError,
    OrganizationNotValidError,
    PermissionDeniedError,
    Problems,
    RegistryError,
    SelfDecisionError,
)
from gatehouse_registry.events import emit
from gatehouse_registry.roles import queries
from gatehouse_registry.roles.errors import (
    AlreadyAdministratorError,
    ApproveOrRejectError,
    LastAdministratorError,
    NotAdministratorError,
    RoleNotApprovedError,
    RoleNotSuspendedError,
)
from gatehouse_registry.roles.models import Organization, RoleRequest, RoleStatus
from gatehouse_registry.roles.service import reload_role


async def _lock_organization_of(
    connection: AsyncConnection, actor: Actor, role_id: uuid.UUID
) -> tuple[Principal, RoleRequest, Organization]:
    """Lock the role's organization, serialising its decisions, and only then read the actor's
    roles: an administrator whose rights were removed a moment ago no longer counts."""
    check_multi_factor(actor)
    organization_id = await queries.organization_of_role(connection, role_id)
    if organization_id is None:
        raise NotFoundError(f"no role request {role_id}")
    organization = await queries.get_organization(connection, organization_id, lock=True)
    # Organizations are never deleted: it exists once the role naming it was found.
    assert organization is not None  # noqa: S101
    principal = await load_principal(connection, actor)
    principal.require_active()
    return principal, await reload_role(connection, role_id), organization


async def _begin_decision(
    connection: AsyncConnection, actor: Actor, role_id: uuid.UUID
) -> tuple[Principal, RoleRequest, Organization]:
    principal, role, organization = await _lock_organization_of(connection, actor, role_id)
    if role.user_id == principal.user_id:
        raise SelfDecisionError("nobody decides about their own role")
    if not await may_decide_role(connection, principal, role_id):
        raise PermissionDeniedError("this request is not yours to decide")
    return principal, role, organization


def _scope(role: RoleRequest, organization: Organization) -> list[uuid.UUID]:
    """The organizations whose administrators and authorities may read the decision's entry."""
    competent = [organization.competent_authority_id] if organization.competent_authority_id else []
    return [*competent, *role.responsible_authority_ids]


async def _record_decision(
    connection: AsyncConnection,
    *,
    principal: Principal,
    role: RoleRequest,
    scope: Sequence[uuid.UUID | None],
    event_type: str,
    message: Message,
    action: str,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    event_subject: uuid.UUID | None = None,
) -> None:
    """Emit a decision's outbox event and write its audit entry, in the caller's transaction:
    one never exists without the other. The event is about the role request unless
    `event_subject` says otherwise."""
    await emit(
        connection,
        event_type,
        subject=role.id if event_subject is None else event_subject,
        message=message,
    )
    await audit.record(
        connection,
        actor=principal,
        action=action,
        subject_type="role_request",
        subject_id=role.id,
        organization_id=role.organization_id,
        scope=scope,
        target_user_id=role.user_id,
        reason=reason,
        details=details,
    )


async def approve_role_request(
    database: Database, *, actor: Actor, role_request_id: uuid.UUID, reason: str | None = None
) -> RoleRequest:
    """Approve a pending request. Refused while the organization is not valid; the first
    approved member of an organization without an administrator becomes its administrator."""
    reason = optional_reason(reason)
    async with database.transaction() as connection:
        principal, role, organization = await _begin_decision(connection, actor, role_request_id)
        if role.status is not RoleStatus.PENDING:
            raise AlreadyDecidedError(f"the request is already {role.status.value}")
        if organization.status != "valid":
            raise OrganizationNotValidError(
                "the organization must be validated by its competent authority first"
            )
        becomes_admin = (
            role.kind is RoleKind.MEMBER
            and await queries.administrator_count(connection, role.organization_id) == 0
        )
        await queries.approve(
            connection,
            role_request_id,
            is_admin=becomes_admin,
            decided_by=actor.user_id,
            reason=reason,
        )
        await _record_decision(
            connection,
            principal=principal,
            role=role,
            scope=_scope(role, organization),
            event_type="registry.role_request.approved",
            message=events.RoleRequestApproved(
                role_request_id=str(role_request_id),
                user_id=str(role.user_id),
                organization_id=str(role.organization_id),
                decided_by_user_id=str(actor.user_id),
                became_administrator=becomes_admin,
            ),
            action="role_request.approved",
            reason=reason,
            details={"kind": role.kind.value, "became_administrator": becomes_admin},
        )
        if becomes_admin:
            await audit.record(
                connection,
                actor=principal,
                action="admin.granted",
                subject_type="role_request",
                subject_id=role_request_id,
                organization_id=role.organization_id,
                scope=_scope(role, organization),
                target_user_id=role.user_id,
                reason="first approved user of the organization",
                details={"automatic": True},
            )
        return await reload_role(connection, role_request_id)


async def reject_role_request(
    database: Database, *, actor: Actor, role_request_id: uuid.UUID, reason: str
) -> RoleRequest:
    cleaned = required_reason(reason)
    async with database.transaction() as connection:
        principal, role, organization = await _begin_decision(connection, actor, role_request_id)
        if role.status is not RoleStatus.PENDING:
            raise AlreadyDecidedError(f"the request is already {role.status.value}")
        await _reject(
            connection,
            principal=principal,
            role=role,
            reason=cleaned,
            scope=_scope(role, organization),
        )
        return await reload_role(connection, role_request_id)


async def _reject(
    connection: AsyncConnection,
    *,
    principal: Principal,
    role: RoleRequest,
    reason: str,
    scope: Sequence[uuid.UUID | None],
) -> None:
    await queries.reject(connection, role.id, decided_by=principal.user_id, reason=reason)
    await _record_decision(
        connection,
        principal=principal,
        role=role,
        scope=scope,
        event_type="registry.role_request.rejected",
        message=events.RoleRequestRejected(
            role_request_id=str(role.id),
            user_id=str(role.user_id),
            organization_id=str(role.organization_id),
            decided_by_user_id=str(principal.user_id),
            reason=reason,
        ),
        action="role_request.rejected",
        reason=reason,
    )


async def reject_pending_requests_of(
    connection: AsyncConnection,
    *,
    principal: Principal,
    organization_id: uuid.UUID,
    reason: str,
    scope: Sequence[uuid.UUID | None],
) -> None:
    """Used when the organization itself is rejected: its pending requests go with it."""
    pending = await queries.roles_of_organization(
        connection, organization_id, status=RoleStatus.PENDING
    )
    for role in pending:
        await _reject(connection, principal=principal, role=role, reason=reason, scope=scope)


async def revoke_role(
    database: Database, *, actor: Actor, role_request_id: uuid.UUID, reason: str
) -> RoleRequest:
    """Take an approved role away (the approval screen cannot "un-tick" it; this is the separate,
    audited way). The last administrator's role can only be revoked by the competent authority,
    after which the next approved user becomes the administrator."""
    cleaned = required_reason(reason)
    async with database.transaction() as connection:
        principal, role, organization = await _begin_decision(connection, actor, role_request_id)
        if role.status is not RoleStatus.APPROVED:
            raise RoleNotApprovedError(
                f"only approved roles can be revoked (this is {role.status})"
            )
        as_authority = organization.competent_authority_id in principal.authority_ids
        if (
            role.is_admin
            and not as_authority
            and await queries.administrator_count(connection, role.organization_id) <= 1
        ):
            raise LastAdministratorError(
                "the last administrator cannot be revoked; make another user administrator first"
            )
        await queries.revoke(connection, role_request_id, revoked_by=actor.user_id, reason=cleaned)
        await _record_decision(
            connection,
            principal=principal,
            role=role,
            scope=_scope(role, organization),
            event_type="registry.role.revoked",
            message=events.RoleRevoked(
                role_request_id=str(role_request_id),
                user_id=str(role.user_id),
                organization_id=str(role.organization_id),
                decided_by_user_id=str(actor.user_id),
                reason=cleaned,
            ),
            action="role.revoked",
            reason=cleaned,
            details={"was_administrator": role.is_admin},
        )
        return await reload_role(connection, role_request_id)


async def _begin_admin_change(
    connection: AsyncConnection, actor: Actor, role_id: uuid.UUID
) -> tuple[Principal, RoleRequest, Organization]:
    principal, role, organization = await _lock_organization_of(connection, actor, role_id)
    as_authority = (
        organization.kind is not OrganizationKind.AUTHORITY
        and organization.competent_authority_id in principal.authority_ids
    )
    if role.organization_id not in principal.admin_of and not as_authority:
        raise PermissionDeniedError("only the organization's administrators manage administrators")
    if role.kind is not RoleKind.MEMBER or role.status is not RoleStatus.APPROVED:
        raise RoleNotApprovedError("only approved users can be administrators")
    return principal, role, organization


async def grant_admin(
    database: Database, *, actor: Actor, role_request_id: uuid.UUID
) -> RoleRequest:
    """The blue person icon: make an approved user an administrator too (several allowed)."""
    return await _set_admin(database, actor=actor, role_request_id=role_request_id, admin=True)


async def remove_admin(
    database: Database, *, actor: Actor, role_request_id: uuid.UUID
) -> RoleRequest:
    """Take administrator rights away (one's own too), never from the last administrator."""
    return await _set_admin(database, actor=actor, role_request_id=role_request_id, admin=False)


async def _set_admin(
    database: Database, *, actor: Actor, role_request_id: uuid.UUID, admin: bool
) -> RoleRequest:
    async with database.transaction() as connection:
        principal, role, organization = await _begin_admin_change(
            connection, actor, role_request_id
        )
        if role.is_admin == admin:
            if admin:
                raise AlreadyAdministratorError("already an administrator")
            raise NotAdministratorError("not an administrator")
        if not admin and await queries.administrator_count(connection, role.organization_id) <= 1:
            raise LastAdministratorError(
                "the last administrator cannot lose the rights; make another user "
                "administrator first"
            )
        await queries.set_admin(connection, role_request_id, admin=admin)
        fields = {
            "role_request_id": str(role_request_id),
            "user_id": str(role.user_id),
            "organization_id": str(role.organization_id),
            "decided_by_user_id": str(actor.user_id),
        }
        await _record_decision(
            connection,
            principal=principal,
            role=role,
            scope=_scope(role, organization),
            event_type="registry.admin.granted" if admin else "registry.admin.removed",
            message=events.AdminGranted(**fields) if admin else events.AdminRemoved(**fields),
            action="admin.granted" if admin else "admin.removed",
        )
        return await reload_role(connection, role_request_id)


async def unsuspend_role(
    database: Database, *, actor: Actor, role_request_id: uuid.UUID, reason: str | None = None
) -> RoleRequest:
    """After identity reset the user's devices, a decider of the role lets it work again."""
    reason = optional_reason(reason)
    async with database.transaction() as connection:
        principal, role, organization = await _begin_decision(connection, actor, role_request_id)
        if role.status is not RoleStatus.APPROVED or not role.suspended:
            raise RoleNotSuspendedError("the role is not suspended")
        await queries.unsuspend(connection, role_request_id)
        await _record_decision(
            connection,
            principal=principal,
            role=role,
            scope=_scope(role, organization),
            event_type="registry.user.unsuspended",
            message=events.UserUnsuspended(
                user_id=str(role.user_id),
                role_request_id=str(role_request_id),
                organization_id=str(role.organization_id),
                decided_by_user_id=str(actor.user_id),
            ),
            action="role.unsuspended",
            reason=reason,
            event_subject=role.user_id,
        )
        return await reload_role(connection, role_request_id)


async def save_decisions(
    database: Database,
    *,
    actor: Actor,
    approve: Sequence[uuid.UUID],
    reject: Mapping[uuid.UUID, str | None],
) -> dict[uuid.UUID, RegistryError]:
    """*Save changes*: approve some requests and reject others with their reasons. Nothing is
    decided while a reason is missing or a request is both approved and rejected (fields
    `decisions[<id>]`, `decisions[<id>].reason`); then each decision is its own transaction, and
    the refused ones are returned with why."""
    problems = Problems()
    reasons: dict[uuid.UUID, str] = {}
    for role_id in approve:
        if role_id in reject:
            with problems.check():
                raise ApproveOrRejectError(
                    "approve or reject, not both", field=f"decisions[{role_id}]"
                )
    for role_id, reason in reject.items():
        with problems.check():
            reasons[role_id] = required_reason(reason, field=f"decisions[{role_id}].reason")
    problems.raise_any()
    refused: dict[uuid.UUID, RegistryError] = {}
    for role_id in approve:
        try:
            await approve_role_request(database, actor=actor, role_request_id=role_id)
        except RegistryError as error:
            refused[role_id] = error
    for role_id, reason in reasons.items():
        try:
            await reject_role_request(database, actor=actor, role_request_id=role_id, reason=reason)
        except RegistryError as error:
            refused[role_id] = error
    return refused
