"""The second factors a user has (rows of `second_factors`): listing, finding, renaming, going
live after an enrolment, removing one, and resetting them all.

Removing is the same for every method: the method's own rows (secrets, credentials, numbers)
go with the factor (ON DELETE CASCADE), so methods need no removal code of their own.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse.events.v1 import identity_events_pb2 as events
from gatehouse_common.db import Database
from gatehouse_identity.audit import service as audit
from gatehouse_identity.audit.service import AuditKind
from gatehouse_identity.events import emit
from gatehouse_identity.levels import AuthLevel
from gatehouse_identity.mfa import queries, recovery_codes
from gatehouse_identity.mfa.errors import (
    EnrolmentExpiredError,
    FactorNameInvalidError,
    FactorNotFoundError,
    StepUpRequiredError,
)
from gatehouse_identity.mfa.levels import STRONG_KINDS, FactorKind
from gatehouse_identity.mfa.models import Factor
from gatehouse_identity.mfa.runtime import MfaRuntime
from gatehouse_identity.sessions.models import Session
from gatehouse_identity.sessions.service import end_user_sessions

MAX_NAME_LENGTH = 60

WIRE_METHOD = {
    FactorKind.TOTP: events.SECOND_FACTOR_METHOD_TOTP,
    FactorKind.MOBILE_APP: events.SECOND_FACTOR_METHOD_MOBILE_APP,
    FactorKind.WEBAUTHN: events.SECOND_FACTOR_METHOD_WEBAUTHN,
    FactorKind.SMS: events.SECOND_FACTOR_METHOD_SMS,
}


def check_name(name: str, *, field: str = "name") -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_NAME_LENGTH:
        raise FactorNameInvalidError(
            f"give a name of 1 to {MAX_NAME_LENGTH} characters",
            field=field,
            maximum=MAX_NAME_LENGTH,
        )
    return cleaned


async def get_factor(
    connection: AsyncConnection,
    *,
    user_id: uuid.UUID,
    factor_id: uuid.UUID,
    kind: FactorKind | None = None,
) -> Factor:
    found = await queries.factor_of_user(connection, user_id=user_id, factor_id=factor_id)
    if found is None or (kind is not None and found.kind != kind):
        raise FactorNotFoundError("no such second factor on this account", field="factor_id")
    return found


async def add_pending(
    connection: AsyncConnection,
    *,
    factor_id: uuid.UUID,
    user_id: uuid.UUID,
    kind: FactorKind,
    name: str,
    pending_until: datetime | None,
    enrolled_by: bytes | None = None,
) -> None:
    """An enrolment started: the factor exists, but is not used until it is confirmed."""
    await queries.add_pending(
        connection,
        factor_id=factor_id,
        user_id=user_id,
        kind=kind,
        name=name,
        pending_until=pending_until,
        enrolled_by=enrolled_by,
    )


async def activate(connection: AsyncConnection, *, factor_id: uuid.UUID, now: datetime) -> Factor:
    """Mark a pending enrolment confirmed and tell the user (event, in the same transaction)."""
    factor = await queries.activate(connection, factor_id=factor_id, now=now)
    if factor is None:
        raise EnrolmentExpiredError("this enrolment is no longer pending", field="factor_id")
    await audit.record(
        connection,
        kind=AuditKind.SECOND_FACTOR_ADDED,
        user_id=factor.user_id,
        detail={"method": factor.kind.value, "factor_id": str(factor.id)},
    )
    await emit(
        connection,
        "identity.second_factor.added",
        user_id=factor.user_id,
        message=events.SecondFactorAdded(
            user_id=str(factor.user_id),
            factor_id=str(factor.id),
            method=WIRE_METHOD[factor.kind],
            name=factor.name,
        ),
    )
    return factor


async def rename(
    database: Database, *, user_id: uuid.UUID, factor_id: uuid.UUID, name: str
) -> Factor:
    name = check_name(name)
    async with database.connection() as connection:
        factor = await queries.rename(connection, user_id=user_id, factor_id=factor_id, name=name)
    if factor is None:
        raise FactorNotFoundError("no such second factor on this account", field="factor_id")
    return factor


async def remove(
    database: Database, runtime: MfaRuntime, *, session: Session, factor_id: uuid.UUID
) -> Factor:
    """Remove one method. Removing the last strong one (app, authenticator, security key) needs
    a second factor proved in the last few minutes: a stolen session alone cannot strip the
    account down to SMS or the password."""
    async with database.transaction() as connection:
        # Serialise removals of one user's methods, so two parallel removals cannot both
        # believe the other method is still there.
        await queries.lock_user(connection, user_id=session.user_id)
        factor = await get_factor(connection, user_id=session.user_id, factor_id=factor_id)
        if factor.status != "pending" and factor.kind in STRONG_KINDS:
            others = await queries.count_other_active(
                connection, user_id=session.user_id, factor_id=factor_id, kinds=STRONG_KINDS
            )
            if not others and not runtime.recently(session.second_factor_at):
                raise StepUpRequiredError(
                    "this is your last strong second factor: confirm it is you with a second "
                    "factor again before removing it",
                    level=AuthLevel.MULTI_FACTOR,
                    fresh=True,
                )
        await queries.delete_factor(connection, factor_id=factor_id)
        if factor.status != "pending":
            await _removed(connection, factor=factor)
        if not await queries.has_enrolled_factor(connection, user_id=session.user_id):
            # Recovery codes recover a method; with none left they would be a password of
            # their own. The next first enrolment issues a new set.
            await recovery_codes.delete_all(connection, user_id=session.user_id)
            await queries.set_always_require(connection, user_id=session.user_id, enabled=False)
    return factor


async def _removed(connection: AsyncConnection, *, factor: Factor) -> None:
    await audit.record(
        connection,
        kind=AuditKind.SECOND_FACTOR_REMOVED,
        user_id=factor.user_id,
        detail={"method": factor.kind.value, "factor_id": str(factor.id)},
    )
    await emit(
        connection,
        "identity.second_factor.removed",
        user_id=factor.user_id,
        message=events.SecondFactorRemoved(
            user_id=str(factor.user_id),
            factor_id=str(factor.id),
            method=WIRE_METHOD[factor.kind],
            name=factor.name,
        ),
    )


async def reset_all(database: Database, *, user_id: uuid.UUID) -> int:
    """ "Reset all my devices": remove every method and recovery code, sign out everywhere, and
    publish identity.user.devices_reset (the registry suspends access until an administrator
    unsuspends it). Returns how many methods were removed."""
    async with database.transaction() as connection:
        await queries.lock_user(connection, user_id=user_id)
        removed = await queries.delete_all_factors(connection, user_id=user_id)
        await recovery_codes.delete_all(connection, user_id=user_id)
        await queries.delete_user_challenges(connection, user_id=user_id)
        await queries.delete_last_totp_step(connection, user_id=user_id)
        await queries.set_always_require(connection, user_id=user_id, enabled=False)
        await end_user_sessions(connection, user_id=user_id)
        await audit.record(
            connection,
            kind=AuditKind.DEVICES_RESET,
            user_id=user_id,
            detail={"removed_count": removed},
        )
        await emit(
            connection,
            "identity.user.devices_reset",
            user_id=user_id,
            message=events.UserDevicesReset(user_id=str(user_id), removed_count=removed),
        )
    return removed
