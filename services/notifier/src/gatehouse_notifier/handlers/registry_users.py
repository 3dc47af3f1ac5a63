"""E-mails about a user's standing in the registry (events `registry.user.*`): inactivity,
reactivation and suspension after identity reset the user's devices."""

from __future__ import annotations

from collections import defaultdict

from gatehouse.events.v1 import registry_events_pb2 as ev
from gatehouse_notifier.handlers.base import (
    Draft,
    HandlerContext,
    Sender,
    draft_for_user,
    drafts_for_users,
    handles,
)
from gatehouse_notifier.handlers.registry_support import known, person


@handles("registry.user.inactivity_warned")
async def inactivity_warned(context: HandlerContext, event: ev.UserInactivityWarned) -> list[Draft]:
    inactive_at = (
        event.inactive_time.ToDatetime(tzinfo=context.event.time.tzinfo)
        if event.HasField("inactive_time")
        else None
    )
    draft = await draft_for_user(
        context,
        user_id=event.user_id,
        template="inactivity_warning",
        sender=Sender.REGISTRY,
        variables={"inactive_at": inactive_at},
    )
    return [draft]


@handles("registry.user.inactivated")
async def inactivated(context: HandlerContext, event: ev.UserInactivated) -> list[Draft]:
    last_sign_in = (
        event.last_sign_in_time.ToDatetime(tzinfo=context.event.time.tzinfo)
        if event.HasField("last_sign_in_time")
        else None
    )
    draft = await draft_for_user(
        context,
        user_id=event.user_id,
        template="user_inactivated",
        sender=Sender.REGISTRY,
        variables={"last_sign_in_at": last_sign_in},
    )
    return [draft]


@handles("registry.user.reactivation_requested")
async def reactivation_requested(
    context: HandlerContext, event: ev.UserReactivationRequested
) -> list[Draft]:
    deciders = await known(
        context,
        context.registry.reactivation_deciders(event.user_id),
        "ListReactivationDeciders",
    )
    if not deciders:
        return []
    user = await person(context, event.user_id)
    return await drafts_for_users(
        context,
        user_ids=[decider for decider in deciders if decider != event.user_id],
        template="reactivation_requested",
        variables={
            "requester_name": user["name"],
            "requester_email": user["email"],
            "request_message": event.message,
            "registry_url": context.urls.registry_user(event.user_id),
        },
    )


@handles("registry.user.reactivated")
async def reactivated(context: HandlerContext, event: ev.UserReactivated) -> list[Draft]:
    draft = await draft_for_user(
        context, user_id=event.user_id, template="user_reactivated", sender=Sender.REGISTRY
    )
    return [draft]


@handles("registry.user.suspended")
async def suspended(context: HandlerContext, event: ev.UserSuspended) -> list[Draft]:
    """The user learns which roles stopped working; whoever can unsuspend each role is asked to
    review it (one message per reviewer, naming every organization they decide for)."""
    organizations: list[str] = []
    to_review: defaultdict[str, list[str]] = defaultdict(list)
    for role_request_id in dict.fromkeys(event.role_request_ids):
        role = await known(
            context, context.registry.get_role_request(role_request_id), "GetRoleRequest"
        )
        if role is None:
            continue
        organizations.append(role.organization_name)
        for decider in await context.registry.role_request_deciders(role_request_id):
            if decider != event.user_id:
                to_review[decider].append(role.organization_name)
    if not organizations:
        return []
    user_draft = await draft_for_user(
        context,
        user_id=event.user_id,
        template="user_suspended",
        sender=Sender.REGISTRY,
        variables={"organizations": sorted(set(organizations))},
    )
    user = await person(context, event.user_id)
    reviewer_drafts = await drafts_for_users(
        context,
        user_ids=sorted(to_review),
        template="suspension_to_review",
        variables={
            "suspended_name": user["name"],
            "suspended_email": user["email"],
            "registry_url": context.urls.registry_user(event.user_id),
        },
        per_user={
            decider: {"organizations": sorted(set(names))} for decider, names in to_review.items()
        },
    )
    return [user_draft, *reviewer_drafts]
