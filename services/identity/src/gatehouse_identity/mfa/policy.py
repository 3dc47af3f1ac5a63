"""What a sign-in needs and who may manage second factors (the policy, decided here):

- A password sign-in asks for a second factor when the requested level needs one, when the user
  chose "Always require multi-factor authentication", or when the user has any second factor
  enrolled: someone who set up a second factor expects it to protect the account.
- Step-up asks only for what is missing; `fresh` asks for a second factor again even when the
  session already has one.
- Managing second factors needs a multi-factor session once the user has a usable one; a user
  with none (new, or whose only method is SMS after its sunset) may enrol with the password
  alone, which is how an SMS-only user is led to enrol another method.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg

from gatehouse_identity.levels import AuthLevel, level_satisfies
from gatehouse_identity.mfa import factors, recovery_codes, sms
from gatehouse_identity.mfa.errors import (
    MethodUnavailableError,
    SecondFactorNeededError,
    StepUpRequiredError,
)
from gatehouse_identity.mfa.levels import (
    METHODS_OF_KIND,
    FactorKind,
    Method,
    effective_level,
    methods_reaching,
)
from gatehouse_identity.mfa.models import Factor
from gatehouse_identity.mfa.runtime import Db, MfaRuntime
from gatehouse_identity.sessions.models import Session


@dataclass(frozen=True)
class Requirement:
    """What a session must still do before it reaches `level`."""

    level: str
    # The session is already there.
    satisfied: bool
    # Methods that would get it there (only the missing factor).
    methods: list[Method]
    # Nothing the user has can get it there: enrol a method first.
    enrolment_required: bool
    # SMS is offered and the sunset is coming: show this date with it.
    sms_sunset_warning: str | None


async def usable_methods(db: Db, runtime: MfaRuntime, *, user_id: uuid.UUID) -> list[Method]:
    """Sign-in methods the user can use now, in the order they are offered."""
    kinds = await factors.active_kinds(db, user_id=user_id)
    if not runtime.sms_allowed:
        kinds.discard(FactorKind.SMS)
    methods = [method for kind in FactorKind if kind in kinds for method in METHODS_OF_KIND[kind]]
    # Recovery codes stand in for a lost method; they are not a method of their own, so a user
    # whose only method was withdrawn (SMS) must enrol a new one instead.
    if methods and await recovery_codes.remaining(db, user_id=user_id) > 0:
        methods.append(Method.RECOVERY_CODE)
    return methods


async def default_level(db: Db, *, user_id: uuid.UUID) -> str:
    """The level a sign-in reaches when nobody asks for one (see the module's policy)."""
    if await factors.always_require_mfa(db, user_id=user_id) or await factors.has_enrolled_factor(
        db, user_id=user_id
    ):
        return AuthLevel.MULTI_FACTOR
    return AuthLevel.PASSWORD


async def requirement(
    db: Db,
    runtime: MfaRuntime,
    *,
    session: Session,
    requested_level: str | None,
    fresh: bool = False,
) -> Requirement:
    """What `session` must still prove to reach the requested level (or the user's default);
    `fresh` asks for a second factor again even if the session already has one."""
    user_id = session.user_id
    level = requested_level or await default_level(db, user_id=user_id)
    if not level_satisfies(level, AuthLevel.MULTI_FACTOR) and await factors.always_require_mfa(
        db, user_id=user_id
    ):
        level = AuthLevel.MULTI_FACTOR
    have = effective_level(session, sms_allowed=runtime.sms_allowed)
    fresh_enough = not fresh or runtime.recently(session.second_factor_at)
    satisfied = level_satisfies(have, level) and fresh_enough
    available = await usable_methods(db, runtime, user_id=user_id)
    start_from = AuthLevel.PASSWORD if not fresh_enough else have
    methods = [] if satisfied else methods_reaching(level, available, have=start_from)
    warning = (
        runtime.settings.sms_sunset_date.isoformat()
        if Method.SMS in methods and runtime.sms_allowed
        else None
    )
    return Requirement(
        level=level,
        satisfied=satisfied,
        methods=methods,
        enrolment_required=not satisfied and not methods,
        sms_sunset_warning=warning,
    )


async def require_manage_level(db: Db, runtime: MfaRuntime, *, session: Session) -> None:
    """Managing second factors needs multi-factor once the user has a usable method."""
    have = effective_level(session, sms_allowed=runtime.sms_allowed)
    if level_satisfies(have, AuthLevel.MULTI_FACTOR):
        return
    if await usable_methods(db, runtime, user_id=session.user_id):
        raise StepUpRequiredError(
            "confirm it is you with a second factor first", level=AuthLevel.MULTI_FACTOR
        )


async def set_always_require_mfa(
    pool: asyncpg.Pool, runtime: MfaRuntime, *, user_id: uuid.UUID, enabled: bool
) -> None:
    if enabled and not await usable_methods(pool, runtime, user_id=user_id):
        raise SecondFactorNeededError(
            "add a second factor before requiring one at every sign-in",
            field="always_require_mfa",
        )
    await factors.set_always_require(pool, user_id=user_id, enabled=enabled)


@dataclass(frozen=True)
class Overview:
    """My account → Security, and `GET /api/v1/me/second-factors`."""

    factors: list[Factor]
    recovery_codes_left: int
    always_require_mfa: bool
    sms_allowed: bool
    sms_sunset_date: str


async def overview(pool: asyncpg.Pool, runtime: MfaRuntime, *, user_id: uuid.UUID) -> Overview:
    return Overview(
        factors=await factors.list_factors(pool, user_id=user_id),
        recovery_codes_left=await recovery_codes.remaining(pool, user_id=user_id),
        always_require_mfa=await factors.always_require_mfa(pool, user_id=user_id),
        sms_allowed=runtime.sms_allowed,
        sms_sunset_date=runtime.settings.sms_sunset_date.isoformat(),
    )


async def check_usable(db: Db, runtime: MfaRuntime, *, user_id: uuid.UUID, method: Method) -> None:
    """MethodUnavailableError (SmsWithdrawnError after the sunset) unless the user can sign in
    with `method` now."""
    if method in await usable_methods(db, runtime, user_id=user_id):
        return
    if method is Method.SMS and not runtime.sms_allowed:
        raise sms.sunset_error(runtime, field="method")
    raise MethodUnavailableError(
        f"{method.value} is not available for this account", field="method"
    )
