"""Role requests and the decisions on them.

A user asks for a role in an organization (or "responsible for the load" for their operator);
the organization's administrators or its competent authority approve or reject it; the first
approved user becomes the administrator; administrators make others administrators too, but the
last one can never lose the rights; an approved role can be revoked (audited) but not un-approved.

Every decision locks the organization's row first, so two administrators acting at once are
serialised: "the last administrator" and "the first approved user" are never decided on stale
counts. The rule of who may decide is `access.DECIDABLE_BY_ACTOR_SQL`, used for single decisions
and for listing pending applications alike.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg
from google.protobuf.message import Message

from gatehouse.events.v1 import registry_events_pb2 as events
from gatehouse_common.db import Connection
from gatehouse_registry.access import (
    DECIDABLE_BY_ACTOR_SQL,
    Actor,
    OrganizationKind,
    Principal,
    RoleKind,
    check_multi_factor,
    decider_parameters,
    is_in_authority_scope,
    load_principal,
)
from gatehouse_registry.audit import service as audit
from gatehouse_registry.errors import (
    AlreadyDecidedError,
    ConflictError,
    DuplicateRequestError,
    InvalidInputError,
    LastAdministratorError,
    NotFoundError,
    OrganizationNotValidError,
    PermissionDeniedError,
    SelfDecisionError,
)
from gatehouse_registry.events import emit
from gatehouse_registry.roles.models import Application, RoleRequest, RoleStatus

MAX_RESPONSIBLE_AUTHORITIES = 20
MAX_PAGE_SIZE = 200
KIND_TO_WIRE = {
    RoleKind.MEMBER: events.ROLE_KIND_MEMBER,
    RoleKind.RESPONSIBLE_FOR_LOAD: events.ROLE_KIND_RESPONSIBLE_FOR_LOAD,
}

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


async def load_role(connection: Connection, role_id: uuid.UUID) -> RoleRequest | None:
    row = await connection.fetchrow(f"{ROLE_QUERY} WHERE r.id = $1", role_id)
    return _role(row) if row else None


def _clean(value: str | None, *, field: str, max_length: int) -> str | None:
    if value is None:
        return None
    cleaned = value.strip()
    if len(cleaned) > max_length:
        raise InvalidInputError(f"at most {max_length} characters", field=field)
    return cleaned or None


async def insert_role_request(
    connection: Connection,
    *,
    principal: Principal,
    organization_id: uuid.UUID,
    organization_kind: OrganizationKind,
    competent_authority_id: uuid.UUID | None,
    application: Application,
    kind: RoleKind = RoleKind.MEMBER,
    responsible_authority_ids: Sequence[uuid.UUID] = (),
) -> uuid.UUID:
    """Insert a pending request in the caller's transaction, with its event and audit entry."""
    role_id = uuid.uuid4()
    try:
        async with connection.transaction():  # a savepoint: the duplicate check must not abort
            await connection.execute(
                """INSERT INTO roles (id, user_id, organization_id, kind, status, message,
                                      contact_email, contact_phone)
                   VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7)""",
                role_id,
                principal.user_id,
                organization_id,
                kind.value,
                _clean(application.message, field="message", max_length=2000),
                _clean(application.email, field="email", max_length=254),
                _clean(application.phone, field="phone", max_length=40),
            )
    except asyncpg.UniqueViolationError as error:
        raise DuplicateRequestError(
            "you already asked for, or hold, this role in this organization"
        ) from error
    await connection.executemany(
        "INSERT INTO role_authorities (role_id, authority_id) VALUES ($1, $2)",
        [(role_id, authority_id) for authority_id in responsible_authority_ids],
    )
    await emit(
        connection,
        "registry.role_request.created",
        subject=role_id,
        message=events.RoleRequestCreated(
            role_request_id=str(role_id),
            user_id=str(principal.user_id),
            organization_id=str(organization_id),
            kind=KIND_TO_WIRE[kind],
        ),
    )
    await audit.record(
        connection,
        actor=principal,
        action="role_request.created",
        subject_type="role_request",
        subject_id=role_id,
        organization_id=organization_id,
        scope=[competent_authority_id, *responsible_authority_ids],
        target_user_id=principal.user_id,
        details={"kind": kind.value, "organization_kind": organization_kind.value},
    )
    return role_id


async def request_role(
    pool: asyncpg.Pool,
    *,
    actor: Actor,
    organization_id: uuid.UUID,
    kind: RoleKind = RoleKind.MEMBER,
    application: Application,
    responsible_authority_ids: Sequence[uuid.UUID] = (),
) -> RoleRequest:
    """Ask for access to an existing organization, or for "responsible for the load" for an
    operator one is already a valid user of, naming the responsible authorities."""
    async with pool.acquire() as connection, connection.transaction():
        principal = await load_principal(connection, actor)
        principal.require_active()
        organization = await connection.fetchrow(
            "SELECT id, kind, status, competent_authority_id FROM organizations WHERE id = $1",
            organization_id,
        )
        if organization is None:
            raise NotFoundError(f"no organization {organization_id}", field="organization_id")
        if organization["status"] == "rejected":
            raise OrganizationNotValidError("the organization was rejected")
        authorities: list[uuid.UUID] = []
        if kind is RoleKind.RESPONSIBLE_FOR_LOAD:
            authorities = await _check_responsible_authorities(
                connection, principal, organization, responsible_authority_ids
            )
        elif responsible_authority_ids:
            raise InvalidInputError(
                "responsible authorities are named only for responsible_for_load",
                field="responsible_authority_ids",
            )
        role_id = await insert_role_request(
            connection,
            principal=principal,
            organization_id=organization_id,
            organization_kind=OrganizationKind(organization["kind"]),
            competent_authority_id=organization["competent_authority_id"],
            application=application,
            kind=kind,
            responsible_authority_ids=authorities,
        )
        role = await load_role(connection, role_id)
    assert role is not None  # noqa: S101  (inserted above, same transaction)
    return role


async def _check_responsible_authorities(
    connection: Connection,
    principal: Principal,
    organization: asyncpg.Record,
    authority_ids: Sequence[uuid.UUID],
) -> list[uuid.UUID]:
    if organization["kind"] != OrganizationKind.OPERATOR:
        raise InvalidInputError(
            "responsible for the load is a role in an operator", field="organization_id"
        )
    if organization["status"] != "valid":
        raise OrganizationNotValidError("the operator is not valid yet")
    if organization["id"] not in principal.member_of:
        raise PermissionDeniedError(
            "ask for responsible for the load once you are a valid user of the operator"
        )
    unique = list(dict.fromkeys(authority_ids))
    if not unique:
        raise InvalidInputError(
            "name at least one responsible authority (e.g. a border control post)",
            field="responsible_authority_ids",
        )
    if len(unique) > MAX_RESPONSIBLE_AUTHORITIES:
        raise InvalidInputError(
            f"at most {MAX_RESPONSIBLE_AUTHORITIES} authorities", field="responsible_authority_ids"
        )
    found = await connection.fetchval(
        """SELECT count(*) FROM organizations
            WHERE id = ANY($1::uuid[]) AND kind = 'authority' AND status = 'valid'""",
        unique,
    )
    if found != len(unique):
        raise InvalidInputError("unknown authority", field="responsible_authority_ids")
    return unique


async def list_my_requests(pool: asyncpg.Pool, *, actor: Actor) -> list[RoleRequest]:
    """The actor's own requests and roles, whatever their status (inactive users too: they
    need to see why nothing works)."""
    async with pool.acquire() as connection, connection.transaction():
        await load_principal(connection, actor)
        rows = await connection.fetch(
            f"{ROLE_QUERY} WHERE r.user_id = $1 ORDER BY r.requested_at DESC",
            actor.user_id,
        )
    return [_role(row) for row in rows]


async def list_decidable_requests(
    pool: asyncpg.Pool,
    *,
    actor: Actor,
    status: RoleStatus | None = RoleStatus.PENDING,
    organization_id: uuid.UUID | None = None,
    page: int = 1,
    page_size: int = 50,
) -> list[RoleRequest]:
    """ "Users → Search pending applications": the requests the actor may decide (or, with another
    status, has the right to decide now: approved roles to revoke or to make administrators)."""
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInputError(f"between 1 and {MAX_PAGE_SIZE}", field="page_size")
    if page < 1:
        raise InvalidInputError("pages start at 1", field="page")
    async with pool.acquire() as connection, connection.transaction():
        principal = await load_principal(connection, actor)
        principal.require_active()
        if not principal.admin_of and not principal.authority_ids:
            raise PermissionDeniedError("only administrators and authorities decide requests")
        rows = await connection.fetch(
            f"""{ROLE_QUERY}
                WHERE {DECIDABLE_BY_ACTOR_SQL}
                  AND ($4::text IS NULL OR r.status = $4)
                  AND ($5::uuid IS NULL OR r.organization_id = $5)
                ORDER BY r.requested_at, r.id
                LIMIT $6 OFFSET $7""",
            *decider_parameters(principal),
            status.value if status else None,
            organization_id,
            page_size,
            (page - 1) * page_size,
        )
    return [_role(row) for row in rows]


async def _may_decide(connection: Connection, principal: Principal, role_id: uuid.UUID) -> bool:
    return bool(
        await connection.fetchval(
            f"""SELECT EXISTS (
                    SELECT 1 FROM roles r JOIN organizations o ON o.id = r.organization_id
                     WHERE r.id = $4 AND {DECIDABLE_BY_ACTOR_SQL})""",
            *decider_parameters(principal),
            role_id,
        )
    )


async def get_role_request(
    pool: asyncpg.Pool, *, actor: Actor, role_request_id: uuid.UUID
) -> RoleRequest:
    """Visible to the requester, to whoever may decide it and to the organization's admins."""
    async with pool.acquire() as connection, connection.transaction():
        principal = await load_principal(connection, actor)
        role = await load_role(connection, role_request_id)
        if role is None:
            raise NotFoundError(f"no role request {role_request_id}")
        if role.user_id != principal.user_id:
            principal.require_active()
            if role.organization_id not in principal.admin_of and not await _may_decide(
                connection, principal, role_request_id
            ):
                raise PermissionDeniedError("not your request and not yours to decide")
    return role


async def _lock_organization_of(
    connection: Connection, actor: Actor, role_id: uuid.UUID
) -> tuple[Principal, RoleRequest, asyncpg.Record]:
    """Lock the role's organization, serialising its decisions, and only then read the actor's
    roles: an administrator whose rights were removed a moment ago no longer counts."""
    check_multi_factor(actor)
    organization_id = await connection.fetchval(
        "SELECT organization_id FROM roles WHERE id = $1", role_id
    )
    if organization_id is None:
        raise NotFoundError(f"no role request {role_id}")
    organization = await connection.fetchrow(
        """SELECT id, kind, status, competent_authority_id FROM organizations
            WHERE id = $1 FOR UPDATE""",
        organization_id,
    )
    principal = await load_principal(connection, actor)
    principal.require_active()
    role = await load_role(connection, role_id)
    # Roles and organizations are never deleted: both exist once the role id was found.
    assert role is not None  # noqa: S101
    assert organization is not None  # noqa: S101
    return principal, role, organization


async def _begin_decision(
    connection: Connection, actor: Actor, role_id: uuid.UUID
) -> tuple[Principal, RoleRequest, asyncpg.Record]:
    principal, role, organization = await _lock_organization_of(connection, actor, role_id)
    if role.user_id == principal.user_id:
        raise SelfDecisionError("nobody decides about their own role")
    if not await _may_decide(connection, principal, role_id):
        raise PermissionDeniedError("this request is not yours to decide")
    return principal, role, organization


def _scope(role: RoleRequest, organization: asyncpg.Record) -> list[uuid.UUID]:
    return [
        *(
            [organization["competent_authority_id"]]
            if organization["competent_authority_id"]
            else []
        ),
        *role.responsible_authority_ids,
    ]


async def _administrator_count(connection: Connection, organization_id: uuid.UUID) -> int:
    count: int = await connection.fetchval(
        """SELECT count(*) FROM roles
            WHERE organization_id = $1 AND status = 'approved' AND is_admin""",
        organization_id,
    )
    return count


async def _record_decision(
    connection: Connection,
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
    pool: asyncpg.Pool, *, actor: Actor, role_request_id: uuid.UUID, reason: str | None = None
) -> RoleRequest:
    """Approve a pending request. Refused while the organization is not valid; the first
    approved member of an organization without an administrator becomes its administrator."""
    reason = _clean(reason, field="reason", max_length=1000)
    async with pool.acquire() as connection, connection.transaction():
        principal, role, organization = await _begin_decision(connection, actor, role_request_id)
        if role.status is not RoleStatus.PENDING:
            raise AlreadyDecidedError(f"the request is already {role.status.value}")
        if organization["status"] != "valid":
            raise OrganizationNotValidError(
                "the organization must be validated by its competent authority first"
            )
        becomes_admin = (
            role.kind is RoleKind.MEMBER
            and await _administrator_count(connection, role.organization_id) == 0
        )
        await connection.execute(
            """UPDATE roles SET status = 'approved', is_admin = $2, decided_by = $3,
                                decided_at = now(), decision_reason = $4
                WHERE id = $1""",
            role_request_id,
            becomes_admin,
            actor.user_id,
            reason,
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
        approved = await load_role(connection, role_request_id)
    assert approved is not None  # noqa: S101
    return approved


async def reject_role_request(
    pool: asyncpg.Pool, *, actor: Actor, role_request_id: uuid.UUID, reason: str
) -> RoleRequest:
    cleaned = _clean(reason, field="reason", max_length=1000)
    if not cleaned:
        raise InvalidInputError("say why the request is rejected", field="reason")
    reason = cleaned
    async with pool.acquire() as connection, connection.transaction():
        principal, role, organization = await _begin_decision(connection, actor, role_request_id)
        if role.status is not RoleStatus.PENDING:
            raise AlreadyDecidedError(f"the request is already {role.status.value}")
        await _reject(
            connection,
            principal=principal,
            role=role,
            reason=reason,
            scope=_scope(role, organization),
        )
        rejected = await load_role(connection, role_request_id)
    assert rejected is not None  # noqa: S101
    return rejected


async def _reject(
    connection: Connection,
    *,
    principal: Principal,
    role: RoleRequest,
    reason: str,
    scope: Sequence[uuid.UUID | None],
) -> None:
    await connection.execute(
        """UPDATE roles SET status = 'rejected', decided_by = $2, decided_at = now(),
                            decision_reason = $3
            WHERE id = $1""",
        role.id,
        principal.user_id,
        reason,
    )
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
    connection: Connection,
    *,
    principal: Principal,
    organization_id: uuid.UUID,
    reason: str,
    scope: Sequence[uuid.UUID | None],
) -> None:
    """Used when the organization itself is rejected: its pending requests go with it."""
    rows = await connection.fetch(
        f"{ROLE_QUERY} WHERE r.organization_id = $1 AND r.status = 'pending'",
        organization_id,
    )
    for row in rows:
        await _reject(connection, principal=principal, role=_role(row), reason=reason, scope=scope)


async def revoke_role(
    pool: asyncpg.Pool, *, actor: Actor, role_request_id: uuid.UUID, reason: str
) -> RoleRequest:
    """Take an approved role away (the approval screen cannot "un-tick" it; this is the separate,
    audited way). The last administrator's role can only be revoked by the competent authority,
    after which the next approved user becomes the administrator."""
    cleaned = _clean(reason, field="reason", max_length=1000)
    if not cleaned:
        raise InvalidInputError("say why the role is revoked", field="reason")
    reason = cleaned
    async with pool.acquire() as connection, connection.transaction():
        principal, role, organization = await _begin_decision(connection, actor, role_request_id)
        if role.status is not RoleStatus.APPROVED:
            raise ConflictError(f"only approved roles can be revoked (this is {role.status})")
        as_authority = organization["competent_authority_id"] in principal.authority_ids
        if (
            role.is_admin
            and not as_authority
            and await _administrator_count(connection, role.organization_id) <= 1
        ):
            raise LastAdministratorError(
                "the last administrator cannot be revoked; make another user administrator first"
            )
        await connection.execute(
            """UPDATE roles SET status = 'revoked', is_admin = false, revoked_by = $2,
                                revoked_at = now(), revoke_reason = $3
                WHERE id = $1""",
            role_request_id,
            actor.user_id,
            reason,
        )
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
                reason=reason,
            ),
            action="role.revoked",
            reason=reason,
            details={"was_administrator": role.is_admin},
        )
        revoked = await load_role(connection, role_request_id)
    assert revoked is not None  # noqa: S101
    return revoked


async def _begin_admin_change(
    connection: Connection, actor: Actor, role_id: uuid.UUID
) -> tuple[Principal, RoleRequest, asyncpg.Record]:
    principal, role, organization = await _lock_organization_of(connection, actor, role_id)
    organization_id = role.organization_id
    as_authority = (
        organization["kind"] != OrganizationKind.AUTHORITY
        and organization["competent_authority_id"] in principal.authority_ids
    )
    if organization_id not in principal.admin_of and not as_authority:
        raise PermissionDeniedError("only the organization's administrators manage administrators")
    if role.kind is not RoleKind.MEMBER or role.status is not RoleStatus.APPROVED:
        raise ConflictError("only approved users can be administrators")
    return principal, role, organization


async def grant_admin(
    pool: asyncpg.Pool, *, actor: Actor, role_request_id: uuid.UUID
) -> RoleRequest:
    """The blue person icon: make an approved user an administrator too (several allowed)."""
    return await _set_admin(pool, actor=actor, role_request_id=role_request_id, admin=True)


async def remove_admin(
    pool: asyncpg.Pool, *, actor: Actor, role_request_id: uuid.UUID
) -> RoleRequest:
    """Take administrator rights away (one's own too), never from the last administrator."""
    return await _set_admin(pool, actor=actor, role_request_id=role_request_id, admin=False)


async def _set_admin(
    pool: asyncpg.Pool, *, actor: Actor, role_request_id: uuid.UUID, admin: bool
) -> RoleRequest:
    async with pool.acquire() as connection, connection.transaction():
        principal, role, organization = await _begin_admin_change(
            connection, actor, role_request_id
        )
        if role.is_admin == admin:
            raise ConflictError("already an administrator" if admin else "not an administrator")
        if not admin and await _administrator_count(connection, role.organization_id) <= 1:
            raise LastAdministratorError(
                "the last administrator cannot lose the rights; make another user "
                "administrator first"
            )
        await connection.execute(
            "UPDATE roles SET is_admin = $2 WHERE id = $1", role_request_id, admin
        )
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
        changed = await load_role(connection, role_request_id)
    assert changed is not None  # noqa: S101
    return changed


async def unsuspend_role(
    pool: asyncpg.Pool, *, actor: Actor, role_request_id: uuid.UUID, reason: str | None = None
) -> RoleRequest:
    """After identity reset the user's devices, a decider of the role lets it work again."""
    reason = _clean(reason, field="reason", max_length=1000)
    async with pool.acquire() as connection, connection.transaction():
        principal, role, organization = await _begin_decision(connection, actor, role_request_id)
        if role.status is not RoleStatus.APPROVED or not role.suspended:
            raise ConflictError("the role is not suspended")
        await connection.execute(
            "UPDATE roles SET suspended_at = NULL WHERE id = $1", role_request_id
        )
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
        unsuspended = await load_role(connection, role_request_id)
    assert unsuspended is not None  # noqa: S101
    return unsuspended


async def list_organization_users(
    pool: asyncpg.Pool,
    *,
    actor: Actor,
    organization_id: uuid.UUID,
    status: RoleStatus | None = None,
) -> list[RoleRequest]:
    """The organization's users and requests, for its administrators and the authorities that
    have it in scope."""
    async with pool.acquire() as connection, connection.transaction():
        principal = await load_principal(connection, actor)
        principal.require_active()
        organization = await connection.fetchrow(
            "SELECT id, kind, competent_authority_id FROM organizations WHERE id = $1",
            organization_id,
        )
        if organization is None:
            raise NotFoundError(f"no organization {organization_id}")
        allowed = (
            organization_id in principal.admin_of
            or organization_id in principal.authority_ids
            or organization["competent_authority_id"] in principal.authority_ids
            or (
                organization["kind"] == OrganizationKind.OPERATOR
                and await is_in_authority_scope(connection, principal, organization_id)
            )
        )
        if not allowed:
            raise PermissionDeniedError("only the organization's administrators and authorities")
        rows = await connection.fetch(
            f"""{ROLE_QUERY} WHERE r.organization_id = $1
                  AND ($2::text IS NULL OR r.status = $2)
                ORDER BY r.requested_at, r.id""",
            organization_id,
            status.value if status else None,
        )
    return [_role(row) for row in rows]
