"""Role requests and the decisions on them.

A user asks for a role in an organization (or "responsible for the load" for their operator);
the organization's administrators or its competent authority approve or reject it; the first
approved user becomes the administrator; administrators make others administrators too, but the
last one can never lose the rights; an approved role can be revoked (audited) but not un-approved.

Every decision locks the organization's row first, so two administrators acting at once are
serialised: "the last administrator" and "the first approved user" are never decided on stale
counts. The rule of who may decide is `access.DECIDABLE_BY_ACTOR_SQL`, used for single decisions
and for listing pending applications alike.

This module: asking for a role and reading requests; the decisions are in roles.decisions, the SQL
in roles.queries.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse.events.v1 import registry_events_pb2 as events
from gatehouse_common.db import Database
from gatehouse_registry.access import (
    Actor,
    OrganizationKind,
    Principal,
    RoleKind,
    load_principal,
    may_decide_role,
    may_see_organization_users,
)
from gatehouse_registry.audit import service as audit
from gatehouse_registry.checks import check_email, check_phone, clean_optional
from gatehouse_registry.errors import (
    NotFoundError,
    OrganizationNotValidError,
    OutOfRangeError,
    PermissionDeniedError,
    Problems,
    TooManyError,
    UnknownChoiceError,
)
from gatehouse_registry.events import emit
from gatehouse_registry.roles import queries
from gatehouse_registry.roles.errors import (
    DuplicateRequestError,
    NotAValidUserError,
    ResponsibleAuthoritiesMissingError,
    ResponsibleAuthoritiesNotAllowedError,
    ResponsibleForLoadOperatorOnlyError,
)
from gatehouse_registry.roles.models import Application, Organization, RoleRequest, RoleStatus

MAX_RESPONSIBLE_AUTHORITIES = 20
MAX_PAGE_SIZE = 200
MAX_PAGE = 10_000
# A user's roles in the organizations one decides for, and new operators in one's queue.
MAX_ROLES_OF_USER = 4000
MAX_AWAITING = 2000
KIND_TO_WIRE = {
    RoleKind.MEMBER: events.ROLE_KIND_MEMBER,
    RoleKind.RESPONSIBLE_FOR_LOAD: events.ROLE_KIND_RESPONSIBLE_FOR_LOAD,
}


def checked_application(application: Application, *, prefix: str = "") -> Application:
    """The application's message, e-mail and phone as stored (every problem at once); `prefix`
    names where they are in the caller's input (`application.` when creating an operator)."""
    problems = Problems()
    message = email = phone = None
    with problems.check():
        message = clean_optional(application.message, field=f"{prefix}message", max_length=2000)
    with problems.check():
        if application.email and application.email.strip():
            email = check_email(application.email, field=f"{prefix}email")
    with problems.check():
        if application.phone and application.phone.strip():
            phone = check_phone(application.phone, field=f"{prefix}phone")
    problems.raise_any()
    return Application(message=message, email=email, phone=phone)


async def insert_role_request(
    connection: AsyncConnection,
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
    application = checked_application(application)
    inserted = await queries.insert_pending_role(
        connection,
        role_id=role_id,
        user_id=principal.user_id,
        organization_id=organization_id,
        kind=kind,
        message=application.message,
        email=application.email,
        phone=application.phone,
        responsible_authority_ids=responsible_authority_ids,
    )
    if not inserted:
        raise DuplicateRequestError(
            "you already asked for, or hold, this role in this organization"
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


async def get_organization_to_join(
    database: Database, *, organization_id: uuid.UUID
) -> Organization:
    """The organization an application is for, as the *Send application for approval* dialog
    names it: an operator (a pending one too: its creator's colleagues may apply), or a valid
    organic control body, authority or other entity."""
    async with database.connection() as connection:
        organization = await queries.get_organization(connection, organization_id)
    if organization is None or (
        organization.kind is not OrganizationKind.OPERATOR and organization.status != "valid"
    ):
        raise NotFoundError(f"no organization {organization_id}", field="organization_id")
    return organization


async def request_role(
    database: Database,
    *,
    actor: Actor,
    organization_id: uuid.UUID,
    kind: RoleKind = RoleKind.MEMBER,
    application: Application,
    responsible_authority_ids: Sequence[uuid.UUID] = (),
) -> RoleRequest:
    """Ask for access to an existing organization, or for "responsible for the load" for an
    operator one is already a valid user of, naming the responsible authorities."""
    async with database.transaction() as connection:
        principal = await load_principal(connection, actor)
        principal.require_active()
        organization = await queries.get_organization(connection, organization_id)
        if organization is None:
            raise NotFoundError(f"no organization {organization_id}", field="organization_id")
        if organization.status == "rejected":
            raise OrganizationNotValidError("the organization was rejected")
        authorities: list[uuid.UUID] = []
        if kind is RoleKind.RESPONSIBLE_FOR_LOAD:
            authorities = await _check_responsible_authorities(
                connection, principal, organization, responsible_authority_ids
            )
        elif responsible_authority_ids:
            raise ResponsibleAuthoritiesNotAllowedError(
                "responsible authorities are named only for responsible_for_load",
                field="responsible_authority_ids",
            )
        role_id = await insert_role_request(
            connection,
            principal=principal,
            organization_id=organization_id,
            organization_kind=organization.kind,
            competent_authority_id=organization.competent_authority_id,
            application=application,
            kind=kind,
            responsible_authority_ids=authorities,
        )
        return await reload_role(connection, role_id)


async def _check_responsible_authorities(
    connection: AsyncConnection,
    principal: Principal,
    organization: Organization,
    authority_ids: Sequence[uuid.UUID],
) -> list[uuid.UUID]:
    if organization.kind is not OrganizationKind.OPERATOR:
        raise ResponsibleForLoadOperatorOnlyError(
            "responsible for the load is a role in an operator", field="organization_id"
        )
    if organization.status != "valid":
        raise OrganizationNotValidError("the operator is not valid yet")
    if organization.id not in principal.member_of:
        raise NotAValidUserError(
            "ask for responsible for the load once you are a valid user of the operator"
        )
    unique = list(dict.fromkeys(authority_ids))
    if not unique:
        raise ResponsibleAuthoritiesMissingError(
            "name at least one responsible authority (e.g. a border control post)",
            field="responsible_authority_ids",
        )
    if len(unique) > MAX_RESPONSIBLE_AUTHORITIES:
        raise TooManyError(field="responsible_authority_ids", maximum=MAX_RESPONSIBLE_AUTHORITIES)
    if await queries.count_valid_authorities(connection, unique) != len(unique):
        raise UnknownChoiceError("unknown authority", field="responsible_authority_ids")
    return unique


async def list_my_requests(database: Database, *, actor: Actor) -> list[RoleRequest]:
    """The actor's own requests and roles, whatever their status (inactive users too: they
    need to see why nothing works)."""
    async with database.transaction() as connection:
        await load_principal(connection, actor)
        return await queries.roles_of_user(connection, actor.user_id)


async def list_decidable_requests(
    database: Database,
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
        raise OutOfRangeError(field="page_size", minimum=1, maximum=MAX_PAGE_SIZE)
    if page < 1:
        raise OutOfRangeError(field="page", minimum=1, maximum=MAX_PAGE)
    async with database.transaction() as connection:
        principal = await load_principal(connection, actor)
        principal.require_active()
        if not principal.admin_of and not principal.authority_ids:
            raise PermissionDeniedError("only administrators and authorities decide requests")
        return await queries.decidable_roles(
            connection,
            principal,
            status=status,
            organization_id=organization_id,
            limit=page_size,
            offset=(page - 1) * page_size,
        )


async def list_decidable_requests_of_user(
    database: Database,
    *,
    actor: Actor,
    user_id: uuid.UUID,
    organization_id: uuid.UUID | None = None,
) -> list[RoleRequest]:
    """*Actors → Users → a user*: that user's requests and roles the actor may decide (in one
    organization, if given); refused when there is none."""
    async with database.transaction() as connection:
        principal = await load_principal(connection, actor)
        principal.require_active()
        found = await queries.decidable_roles(
            connection,
            principal,
            status=None,
            organization_id=organization_id,
            user_id=user_id,
            limit=MAX_ROLES_OF_USER,
        )
    if not found:
        raise PermissionDeniedError("no request of this user is yours to decide")
    return found


async def list_operators_awaiting_validation(
    database: Database, *, actor: Actor
) -> list[RoleRequest]:
    """*Operators to validate*: each new operator waiting for one of the actor's authorities,
    with the application its creator sent (the oldest first)."""
    async with database.transaction() as connection:
        principal = await load_principal(connection, actor)
        principal.require_active()
        if not principal.authority_ids:
            raise PermissionDeniedError("only authorities validate operators")
        applications = await queries.pending_operator_applications(
            connection, principal, limit=MAX_AWAITING
        )
    first: dict[uuid.UUID, RoleRequest] = {}
    for application in applications:
        first.setdefault(application.organization_id, application)
    return list(first.values())


async def get_role_request(
    database: Database, *, actor: Actor, role_request_id: uuid.UUID
) -> RoleRequest:
    """Visible to the requester, to whoever may decide it and to the organization's admins."""
    async with database.transaction() as connection:
        principal = await load_principal(connection, actor)
        role = await queries.load_role(connection, role_request_id)
        if role is None:
            raise NotFoundError(f"no role request {role_request_id}")
        if role.user_id != principal.user_id:
            principal.require_active()
            if role.organization_id not in principal.admin_of and not await may_decide_role(
                connection, principal, role_request_id
            ):
                raise PermissionDeniedError("not your request and not yours to decide")
    return role


async def reload_role(connection: AsyncConnection, role_id: uuid.UUID) -> RoleRequest:
    role = await queries.load_role(connection, role_id)
    # Roles are never deleted, and this one was just read or written in this transaction.
    assert role is not None  # noqa: S101
    return role


async def list_organization_users(
    database: Database,
    *,
    actor: Actor,
    organization_id: uuid.UUID,
    status: RoleStatus | None = None,
) -> list[RoleRequest]:
    """The organization's users and requests, for its administrators and the authorities that
    have it in scope."""
    async with database.transaction() as connection:
        principal = await load_principal(connection, actor)
        principal.require_active()
        organization = await queries.get_organization(connection, organization_id)
        if organization is None:
            raise NotFoundError(f"no organization {organization_id}")
        if not await may_see_organization_users(
            connection,
            principal,
            organization_id=organization_id,
            kind=organization.kind,
            competent_authority_id=organization.competent_authority_id,
        ):
            raise PermissionDeniedError("only the organization's administrators and authorities")
        return await queries.roles_of_organization(connection, organization_id, status=status)
