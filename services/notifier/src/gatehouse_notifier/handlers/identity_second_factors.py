"""E-mails about a user's second factors (events `identity.second_factor.*`, `identity.device.*`,
`identity.user.devices_reset`, `identity.recovery_code.used`).

Each tells the user what changed, so that a change made by someone else is noticed. SMS codes are
not sent through the notifier: identity sends them itself (see identity's mfa/sms_senders.py).
"""

from __future__ import annotations

from gatehouse.events.v1 import identity_events_pb2 as ev
from gatehouse_notifier.directory import LinkPurpose
from gatehouse_notifier.handlers.base import Draft, HandlerContext, draft_for_user, handles

# The template variable `method`; the templates name each method in their language.
METHODS: dict[int, str] = {
    ev.SECOND_FACTOR_METHOD_TOTP: "totp",
    ev.SECOND_FACTOR_METHOD_MOBILE_APP: "mobile_app",
    ev.SECOND_FACTOR_METHOD_WEBAUTHN: "webauthn",
    ev.SECOND_FACTOR_METHOD_SMS: "sms",
    ev.SECOND_FACTOR_METHOD_RECOVERY_CODE: "recovery_code",
}
# Fewer recovery codes left than this: the message urges the user to make new ones.
FEW_RECOVERY_CODES = 3


def method_name(method: int) -> str:
    return METHODS.get(int(method), "unknown")


@handles("identity.second_factor.added")
async def second_factor_added(context: HandlerContext, event: ev.SecondFactorAdded) -> list[Draft]:
    draft = await draft_for_user(
        context,
        user_id=event.user_id,
        template="second_factor_added",
        variables={"method": method_name(event.method), "factor_name": event.name},
    )
    return [draft]


@handles("identity.second_factor.removed")
async def second_factor_removed(
    context: HandlerContext, event: ev.SecondFactorRemoved
) -> list[Draft]:
    draft = await draft_for_user(
        context,
        user_id=event.user_id,
        template="second_factor_removed",
        variables={"method": method_name(event.method), "factor_name": event.name},
    )
    return [draft]


@handles("identity.second_factor.failures_repeated")
async def second_factor_failures_repeated(
    context: HandlerContext, event: ev.SecondFactorFailuresRepeated
) -> list[Draft]:
    draft = await draft_for_user(
        context,
        user_id=event.user_id,
        template="second_factor_failures",
        variables={"method": method_name(event.method), "bursts": event.bursts},
    )
    return [draft]


@handles("identity.device.locked")
async def device_locked(context: HandlerContext, event: ev.DeviceLocked) -> list[Draft]:
    draft = await draft_for_user(
        context,
        user_id=event.user_id,
        template="device_locked",
        variables={"device_name": event.name, "failed_pins": event.failed_pins},
    )
    return [draft]


@handles("identity.user.devices_reset")
async def devices_reset(context: HandlerContext, event: ev.UserDevicesReset) -> list[Draft]:
    if event.sign_in_reported:
        # "This wasn't me": nothing was removed, the account is blocked; a link to unblock it.
        reported = await draft_for_user(
            context,
            user_id=event.user_id,
            template="sign_in_reported",
            link_purpose=LinkPurpose.RESET,
        )
        return [reported]
    draft = await draft_for_user(
        context,
        user_id=event.user_id,
        template="devices_reset",
        variables={"removed_count": event.removed_count},
    )
    return [draft]


@handles("identity.recovery_code.used")
async def recovery_code_used(context: HandlerContext, event: ev.RecoveryCodeUsed) -> list[Draft]:
    draft = await draft_for_user(
        context,
        user_id=event.user_id,
        template="recovery_code_used",
        variables={"remaining": event.remaining, "few_left": event.remaining < FEW_RECOVERY_CODES},
    )
    return [draft]
