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

from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.db import Database
from gatehouse_identity.levels import AuthLevel, level_satisfies
from gatehouse_identity.mfa import queries, sms
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
from gatehouse_identity.mfa.runtime import MfaRuntime
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


async def usable_methods(
    database: Database, runtime: MfaRuntime, *, user_id: uuid.UUID
) -> list[Method]:
    """Sign-in methods the user can use now, in the order they are offered."""
    async with database.connection() as connection:
        return await _usable_methods(connection, runtime, user_id=user_id)


async def _usable_methods(
    connection: AsyncConnection, runtime: MfaRuntime, *, user_id: uuid.UUID
) -> list[Method]:
    kinds = await queries.active_kinds(connection, user_id=user_id)
    if not runtime.sms_allowed:
        kinds.discard(FactorKind.SMS)
    methods = [method for kind in FactorKind if kind in kinds for method in METHODS_OF_KIND[kind]]
    # Recovery codes stand in for a lost method; they are not a method of their own, so a user
    # whose only method was withdrawn (SMS) must enrol a new one instead.
    if methods and await queries.remaining_recovery_codes(connection, user_id=user_id) > 0:
        methods.append(Method.RECOVERY_CODE)
    return methods


async def _default_level(connection: AsyncConnection, *, user_id: uuid.UUID) -> str:
    """The level a sign-in reaches when nobody asks for one (see the module's policy)."""
    if await queries.always_require_mfa(
        connection, user_id=user_id
    ) or await queries.has_enrolled_factor(connection, user_id=user_id):
        return AuthLevel.MULTI_FACTOR
    return AuthLevel.PASSWORD


async def requirement(
    database: Database,
    runtime: MfaRuntime,
    *,
    session: Session,
    requested_level: str | None,
    fresh: bool = False,
) -> Requirement:
    """What `session` must still prove to reach the requested level (or the user's default);
    `fresh` asks for a second factor again even if the session already has one."""
    user_id = session.user_id
    async with database.connection() as connection:
        level = requested_level or await _default_level(connection, user_id=user_id)
        if not level_satisfies(level, AuthLevel.MULTI_FACTOR) and await queries.always_require_mfa(
            connection, user_id=user_id
        ):
            level = AuthLevel.MULTI_FACTOR
        available = await _usable_methods(connection, runtime, user_id=user_id)
    have = effective_level(session, sms_allowed=runtime.sms_allowed)
    fresh_enough = not fresh or runtime.recently(session.second_factor_at)
    satisfied = level_satisfies(have, level) and fresh_enough
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


async def require_manage_level(
    database: Database, runtime: MfaRuntime, *, session: Session
) -> None:
    """Managing second factors needs multi-factor once the user has a usable method."""
    have = effective_level(session, sms_allowed=runtime.sms_allowed)
    if level_satisfies(have, AuthLevel.MULTI_FACTOR):
        return
    if await usable_methods(database, runtime, user_id=session.user_id):
        raise StepUpRequiredError(
            "confirm it is you with a second factor first", level=AuthLevel.MULTI_FACTOR
        )


async def set_always_require_mfa(
    database: Database, runtime: MfaRuntime, *, user_id: uuid.UUID, enabled: bool
) -> None:
    async with database.connection() as connection:
        if enabled and not await _usable_methods(connection, runtime, user_id=user_id):
            raise SecondFactorNeededError(
                "add a second factor before requiring one at every sign-in",
                field="always_require_mfa",
            )
        await queries.set_always_require(connection, user_id=user_id, enabled=enabled)


@dataclass(frozen=True)
class Overview:
    """My account → Security, and `GET /api/v1/me/second-factors`."""

    factors: list[Factor]
    recovery_codes_left: int
    always_require_mfa: bool
    sms_allowed: bool
    sms_sunset_date: str


async def overview(database: Database, runtime: MfaRuntime, *, user_id: uuid.UUID) -> Overview:
    async with database.connection() as connection:
        return Overview(
            factors=await queries.factors_of(connection, user_id=user_id, include_pending=False),
            recovery_codes_left=await queries.remaining_recovery_codes(connection, user_id=user_id),
            always_require_mfa=await queries.always_require_mfa(connection, user_id=user_id),
            sms_allowed=runtime.sms_allowed,
            sms_sunset_date=runtime.settings.sms_sunset_date.isoformat(),
        )


async def check_usable(
    database: Database,
    runtime: MfaRuntime,
    *,
    user_id: uuid.UUID,
    method: Method,
) -> None:
    """MethodUnavailableError (SmsWithdrawnError after the sunset) unless the user can sign in
    with `method` now."""
    if method in await usable_methods(database, runtime, user_id=user_id):
        return
    if method is Method.SMS and not runtime.sms_allowed:
        raise sms.sunset_error(runtime, field="method")
    raise MethodUnavailableError(
        f"{method.value} is not available for this account", field="method"
    )
