"""E-mails about a user's own account (events `identity.user.*`)."""

from __future__ import annotations

from gatehouse.events.v1 import identity_events_pb2 as ev
from gatehouse_notifier.directory import LinkPurpose, Recipient
from gatehouse_notifier.handlers.base import (
    Draft,
    HandlerContext,
    Sender,
    abandoned,
    common_values,
    draft_for_user,
    handles,
)
from gatehouse_notifier.messages import FAREWELL_TEMPLATE


@handles("identity.user.created")
async def user_created(context: HandlerContext, event: ev.UserCreated) -> list[Draft]:
    draft = await draft_for_user(
        context, user_id=event.user_id, template="account_created", link_purpose=LinkPurpose.SET
    )
    return [draft]


@handles("identity.user.registration_repeated")
async def registration_repeated(
    context: HandlerContext, event: ev.UserRegistrationRepeated
) -> list[Draft]:
    return [await draft_for_user(context, user_id=event.user_id, template="registration_repeated")]


@handles("identity.user.password_reset_requested")
async def password_reset_requested(
    context: HandlerContext, event: ev.UserPasswordResetRequested
) -> list[Draft]:
    draft = await draft_for_user(
        context, user_id=event.user_id, template="password_reset", link_purpose=LinkPurpose.RESET
    )
    return [draft]


@handles("identity.user.locked")
async def user_locked(context: HandlerContext, event: ev.UserLocked) -> list[Draft]:
    draft = await draft_for_user(
        context,
        user_id=event.user_id,
        template="account_blocked",
        link_purpose=LinkPurpose.RESET,
        variables={
            "failed_attempts": event.failed_attempts or 5,
            "unknown_clients_only": event.unknown_clients_only,
        },
    )
    return [draft]


@handles("identity.user.password_set")
async def password_set(context: HandlerContext, event: ev.UserPasswordSet) -> list[Draft]:
    # The first password is the user finishing sign-up: they know, there is nothing to warn about.
    if not event.replaced:
        return []
    return [await draft_for_user(context, user_id=event.user_id, template="password_changed")]


@handles("identity.user.password_changed")
async def password_changed(context: HandlerContext, event: ev.UserPasswordChanged) -> list[Draft]:
    return [await draft_for_user(context, user_id=event.user_id, template="password_changed")]


@handles("identity.user.new_device_signed_in")
async def new_device_signed_in(
    context: HandlerContext, event: ev.UserNewDeviceSignedIn
) -> list[Draft]:
    """When, from which network, which browser, and a "This wasn't me" link (identity issues
    it for this event's notice)."""
    draft = await draft_for_user(
        context,
        user_id=event.user_id,
        template="new_device_sign_in",
        link_purpose=LinkPurpose.SIGN_IN_REPORT,
        variables={"network": event.network, "browser": event.browser},
    )
    return [draft]


@handles("identity.user.deleted")
async def user_deleted(context: HandlerContext, event: ev.UserDeleted) -> list[Draft]:
    """No e-mail (the final one comes from identity.user.farewell_requested, written with this
    event): the user's finished messages forget their address, name and body."""
    await context.memory.forget_recipient(event.user_id)
    return []


@handles("identity.user.farewell_requested")
async def farewell_requested(
    context: HandlerContext, event: ev.UserFarewellRequested
) -> list[Draft]:
    """ "Your account was deleted": to the address the event carries, in its language. Identity
    erased the account with this event, so there is nobody to look up (the only e-mail whose
    recipient comes from the event: see identity's accounts/deletion.py)."""
    if not event.email:
        reason = "the deleted account had no e-mail address"
        return [abandoned(FAREWELL_TEMPLATE, event.user_id, reason, sender=Sender.IDENTITY)]
    recipient = Recipient(
        user_id=event.user_id,
        email=event.email,
        first_name="",
        last_name="",
        language=event.email_language or "en",
    )
    values = {**common_values(context, recipient), "pseudonym": event.pseudonym}
    return [
        Draft(
            template=FAREWELL_TEMPLATE,
            user_id=event.user_id,
            recipient=recipient,
            variables=values,
        )
    ]
