"""E-mails about role requests and roles in the registry (events `registry.role_request.*`,
`registry.role.revoked`, `registry.admin.*`).

The requester's own messages name the organization as the registry knows it now; a request the
registry no longer knows is recorded as abandoned, not retried.
"""

from __future__ import annotations

from gatehouse.events.v1 import registry_events_pb2 as ev
from gatehouse_notifier.handlers.base import (
    Draft,
    HandlerContext,
    Sender,
    abandoned,
    draft_for_user,
    drafts_for_users,
    handles,
)
from gatehouse_notifier.handlers.registry_support import known, person, role_request_recipients
from gatehouse_notifier.registry import OrganizationKind, RoleStatus


@handles("registry.role_request.created")
async def role_request_created(
    context: HandlerContext, event: ev.RoleRequestCreated
) -> list[Draft]:
    role = await known(
        context, context.registry.get_role_request(event.role_request_id), "GetRoleRequest"
    )
    if role is None or role.status is not RoleStatus.PENDING:
        # Decided (or gone) before this event was handled: nobody needs to act any more.
        return []
    await context.memory.track_role_request(
        role_request_id=role.role_request_id, requested_at=context.event.time
    )
    recipients = await role_request_recipients(context, role)
    requester = await person(context, role.user_id)
    deciders = await drafts_for_users(
        context,
        user_ids=[user for user in recipients if user != role.user_id],
        template="role_requested",
        variables={
            "requester_name": requester["name"],
            "requester_email": requester["email"],
            "organization_name": role.organization_name,
            "role_kind": role.kind.value,
            "application_message": role.application_message,
            "contact_email": role.contact_email,
            "contact_phone": role.contact_phone,
            "registry_url": context.urls.registry_user(role.user_id),
        },
    )
    receipt = await draft_for_user(
        context,
        user_id=role.user_id,
        template="role_request_received",
        sender=Sender.REGISTRY,
        variables={
            "organization_name": role.organization_name,
            "role_kind": role.kind.value,
            "application_message": role.application_message,
            "deciders_told": bool(deciders),
            "registry_url": context.urls.registry_profile,
        },
    )
    return [receipt, *deciders]


async def _to_requester(
    context: HandlerContext,
    *,
    user_id: str,
    role_request_id: str,
    template: str,
    variables: dict[str, object] | None = None,
) -> list[Draft]:
    role = await known(
        context, context.registry.get_role_request(role_request_id), "GetRoleRequest"
    )
    if role is None:
        reason = f"the registry does not know role request {role_request_id}"
        return [abandoned(template, user_id, reason, Sender.REGISTRY)]
    draft = await draft_for_user(
        context,
        user_id=user_id,
        template=template,
        sender=Sender.REGISTRY,
        variables={
            "organization_name": role.organization_name,
            "role_kind": role.kind.value,
            "registry_url": context.urls.registry_profile,
            **(variables or {}),
        },
    )
    return [draft]


@handles("registry.role_request.approved")
async def role_request_approved(
    context: HandlerContext, event: ev.RoleRequestApproved
) -> list[Draft]:
    await context.memory.untrack_role_request(event.role_request_id)
    role = await known(
        context, context.registry.get_role_request(event.role_request_id), "GetRoleRequest"
    )
    # An authority's first user: what was created while it had nobody (announced to nobody, the
    # notifier logged "nobody to tell") waits on its work list, so say so and link there.
    first_at_authority = (
        event.became_administrator
        and role is not None
        and role.organization_kind is OrganizationKind.AUTHORITY
    )
    variables: dict[str, object] = {
        "became_administrator": event.became_administrator,
        "first_at_authority": first_at_authority,
    }
    if first_at_authority:
        variables["registry_url"] = context.urls.registry_work_list
    return await _to_requester(
        context,
        user_id=event.user_id,
        role_request_id=event.role_request_id,
        template="role_approved",
        variables=variables,
    )


@handles("registry.role_request.rejected")
async def role_request_rejected(
    context: HandlerContext, event: ev.RoleRequestRejected
) -> list[Draft]:
    await context.memory.untrack_role_request(event.role_request_id)
    return await _to_requester(
        context,
        user_id=event.user_id,
        role_request_id=event.role_request_id,
        template="role_rejected",
        variables={"reason": event.reason},
    )


@handles("registry.role.revoked")
async def role_revoked(context: HandlerContext, event: ev.RoleRevoked) -> list[Draft]:
    return await _to_requester(
        context,
        user_id=event.user_id,
        role_request_id=event.role_request_id,
        template="role_revoked",
        variables={"reason": event.reason},
    )


@handles("registry.admin.granted")
async def admin_granted(context: HandlerContext, event: ev.AdminGranted) -> list[Draft]:
    return await _to_requester(
        context,
        user_id=event.user_id,
        role_request_id=event.role_request_id,
        template="admin_granted",
    )


@handles("registry.admin.removed")
async def admin_removed(context: HandlerContext, event: ev.AdminRemoved) -> list[Draft]:
    return await _to_requester(
        context,
        user_id=event.user_id,
        role_request_id=event.role_request_id,
        template="admin_removed",
    )


@handles("registry.user.unsuspended")
async def user_unsuspended(context: HandlerContext, event: ev.UserUnsuspended) -> list[Draft]:
    return await _to_requester(
        context,
        user_id=event.user_id,
        role_request_id=event.role_request_id,
        template="user_unsuspended",
    )


@handles("registry.organization.without_administrator")
async def organization_without_administrator(
    context: HandlerContext, event: ev.OrganizationWithoutAdministrator
) -> list[Draft]:
    """The last administrator deleted their account: those who may decide their ended role
    (the organization's competent authority, authorities above it) are asked to appoint one."""
    role = await known(
        context, context.registry.get_role_request(event.role_request_id), "GetRoleRequest"
    )
    if role is None:
        return []
    deciders = await context.registry.role_request_deciders(event.role_request_id)
    page = (
        context.urls.registry_operator(role.organization_id)
        if role.organization_kind is OrganizationKind.OPERATOR
        else context.urls.registry_work_list
    )
    return await drafts_for_users(
        context,
        user_ids=[user for user in deciders if user != role.user_id],
        template="organization_without_administrator",
        variables={"organization_name": role.organization_name, "registry_url": page},
    )
