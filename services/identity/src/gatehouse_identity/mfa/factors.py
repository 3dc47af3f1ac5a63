"""The second factors a user has: listing, what they may use to sign in, what a sign-in needs,
renaming, removing, resetting them all, and the "always require multi-factor" option.

Policy (documented in the README of this package's API, `api.py`):
- A password sign-in asks for a second factor when the requested level needs one, when the user
  chose "Always require multi-factor authentication", or when the user has any second factor
  enrolled: someone who set up a second factor expects it to protect the account.
- Managing second factors needs a multi-factor session once the user has a usable one; a user
  with none (new, or whose only method is SMS after its sunset) may enrol with the password
  alone, which is how an SMS-only user is led to enrol another method.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from gatehouse.events.v1 import identity_events_pb2 as events
from gatehouse_common.db import Connection
from gatehouse_identity.accounts.sessions import AuthLevel, Session, level_satisfies
from gatehouse_identity.audit import service as audit
from gatehouse_identity.audit.service import AuditKind
from gatehouse_identity.events import emit
from gatehouse_identity.mfa import recovery_codes
from gatehouse_identity.mfa.errors import (
    InvalidFactorInputError,
    MethodUnavailableError,
    NotFoundError,
    StepUpRequiredError,
)
from gatehouse_identity.mfa.levels import (
    METHODS_OF_KIND,
    STRONG_KINDS,
    FactorKind,
    Method,
    effective_level,
    methods_reaching,
)
from gatehouse_identity.mfa.runtime import Db, MfaRuntime

MAX_NAME_LENGTH = 60

WIRE_METHOD = {
    FactorKind.TOTP: events.SECOND_FACTOR_METHOD_TOTP,
    FactorKind.MOBILE_APP: events.SECOND_FACTOR_METHOD_MOBILE_APP,
    FactorKind.WEBAUTHN: events.SECOND_FACTOR_METHOD_WEBAUTHN,
    FactorKind.SMS: events.SECOND_FACTOR_METHOD_SMS,
}
WIRE_SIGN_IN_METHOD: dict[Method, events.SecondFactorMethod.ValueType] = {
    Method.TOTP: events.SECOND_FACTOR_METHOD_TOTP,
    Method.MOBILE_APP_PUSH: events.SECOND_FACTOR_METHOD_MOBILE_APP,
    Method.MOBILE_APP_QR: events.SECOND_FACTOR_METHOD_MOBILE_APP,
    Method.WEBAUTHN: events.SECOND_FACTOR_METHOD_WEBAUTHN,
    Method.SMS: events.SECOND_FACTOR_METHOD_SMS,
    Method.RECOVERY_CODE: events.SECOND_FACTOR_METHOD_RECOVERY_CODE,
}

FACTOR_COLUMNS = (
    "id, user_id, method, name, status, created_at, confirmed_at, last_used_at, pending_until"
)


@dataclass(frozen=True)
class Factor:
    id: uuid.UUID
    user_id: uuid.UUID
    kind: FactorKind
    name: str
    status: str
    created_at: datetime
    confirmed_at: datetime | None
    last_used_at: datetime | None
    pending_until: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> Factor:
        return cls(
            id=row["id"],
            user_id=row["user_id"],
            kind=FactorKind(row["method"]),
            name=row["name"],
            status=row["status"],
            created_at=row["created_at"],
            confirmed_at=row["confirmed_at"],
            last_used_at=row["last_used_at"],
            pending_until=row["pending_until"],
        )


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


def check_name(name: str, *, field: str = "name") -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_NAME_LENGTH:
        raise InvalidFactorInputError(
            f"give a name of 1 to {MAX_NAME_LENGTH} characters", field=field
        )
    return cleaned


async def list_factors(
    db: Db, *, user_id: uuid.UUID, include_pending: bool = False
) -> list[Factor]:
    rows = await db.fetch(
        f"""SELECT {FACTOR_COLUMNS} FROM second_factors
             WHERE user_id = $1 AND ($2 OR status <> 'pending')
             ORDER BY created_at, id""",
        user_id,
        include_pending,
    )
    return [Factor.from_row(row) for row in rows]


async def get_factor(
    db: Db,
    *,
    user_id: uuid.UUID,
    factor_id: uuid.UUID,
    kind: FactorKind | None = None,
) -> Factor:
    row = await db.fetchrow(
        f"SELECT {FACTOR_COLUMNS} FROM second_factors WHERE id = $1 AND user_id = $2",
        factor_id,
        user_id,
    )
    if row is None or (kind is not None and row["method"] != kind):
        raise NotFoundError("no such second factor on this account", field="factor_id")
    return Factor.from_row(row)


async def usable_methods(db: Db, runtime: MfaRuntime, *, user_id: uuid.UUID) -> list[Method]:
    """Sign-in methods the user can use now, in the order they are offered."""
    kinds = {
        FactorKind(row["method"])
        for row in await db.fetch(
            "SELECT DISTINCT method FROM second_factors WHERE user_id = $1 AND status = 'active'",
            user_id,
        )
    }
    if not runtime.sms_allowed:
        kinds.discard(FactorKind.SMS)
    methods = [method for kind in FactorKind if kind in kinds for method in METHODS_OF_KIND[kind]]
    # Recovery codes stand in for a lost method; they are not a method of their own, so a user
    # whose only method was withdrawn (SMS) must enrol a new one instead.
    if methods and await recovery_codes.remaining(db, user_id=user_id) > 0:
        methods.append(Method.RECOVERY_CODE)
    return methods


async def has_enrolled_factor(db: Db, *, user_id: uuid.UUID) -> bool:
    return bool(
        await db.fetchval(
            """SELECT EXISTS (SELECT 1 FROM second_factors
                               WHERE user_id = $1 AND status <> 'pending')""",
            user_id,
        )
    )


async def always_require_mfa(db: Db, *, user_id: uuid.UUID) -> bool:
    return bool(await db.fetchval("SELECT always_require_mfa FROM users WHERE id = $1", user_id))


async def default_level(db: Db, *, user_id: uuid.UUID) -> str:
    """The level a sign-in reaches when nobody asks for one (see the module's policy)."""
    if await always_require_mfa(db, user_id=user_id) or await has_enrolled_factor(
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
    if not level_satisfies(level, AuthLevel.MULTI_FACTOR) and await always_require_mfa(
        db, user_id=user_id
    ):
        level = AuthLevel.MULTI_FACTOR
    have = effective_level(session, sms_allowed=runtime.sms_allowed)
    fresh_enough = not fresh or _recent(session.second_factor_at, runtime)
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


def _recent(moment: datetime | None, runtime: MfaRuntime) -> bool:
    if moment is None:
        return False
    return runtime.now() - moment <= timedelta(seconds=runtime.settings.fresh_second_factor_s)


async def require_manage_level(db: Db, runtime: MfaRuntime, *, session: Session) -> None:
    """Managing second factors needs multi-factor once the user has a usable method."""
    have = effective_level(session, sms_allowed=runtime.sms_allowed)
    if level_satisfies(have, AuthLevel.MULTI_FACTOR):
        return
    if await usable_methods(db, runtime, user_id=session.user_id):
        raise StepUpRequiredError(
            "confirm it is you with a second factor first", level=AuthLevel.MULTI_FACTOR
        )


async def activate(connection: Connection, *, factor_id: uuid.UUID, now: datetime) -> Factor:
    """Mark a pending enrolment confirmed and tell the user (event, in the same transaction)."""
    row = await connection.fetchrow(
        f"""UPDATE second_factors
               SET status = 'active', confirmed_at = $2, pending_until = NULL
             WHERE id = $1 AND status = 'pending'
         RETURNING {FACTOR_COLUMNS}""",
        factor_id,
        now,
    )
    if row is None:
        raise NotFoundError("this enrolment is no longer pending", field="factor_id")
    factor = Factor.from_row(row)
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


async def prune_pending(connection: Connection, *, user_id: uuid.UUID, now: datetime) -> None:
    """Forget the user's enrolments that were started and never finished."""
    await connection.execute(
        """DELETE FROM second_factors
            WHERE user_id = $1 AND status = 'pending' AND pending_until < $2""",
        user_id,
        now,
    )


async def rename(
    pool: asyncpg.Pool, *, user_id: uuid.UUID, factor_id: uuid.UUID, name: str
) -> Factor:
    row = await pool.fetchrow(
        f"""UPDATE second_factors SET name = $3 WHERE id = $1 AND user_id = $2
         RETURNING {FACTOR_COLUMNS}""",
        factor_id,
        user_id,
        check_name(name),
    )
    if row is None:
        raise NotFoundError("no such second factor on this account", field="factor_id")
    return Factor.from_row(row)


async def remove(
    pool: asyncpg.Pool, runtime: MfaRuntime, *, session: Session, factor_id: uuid.UUID
) -> Factor:
    """Remove one method. Removing the last strong one (app, authenticator, security key) needs
    a second factor proved in the last few minutes: a stolen session alone cannot strip the
    account down to SMS or the password."""
    async with pool.acquire() as connection, connection.transaction():
        # Serialise removals of one user's methods, so two parallel removals cannot both
        # believe the other method is still there.
        await connection.execute("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", session.user_id)
        factor = await get_factor(connection, user_id=session.user_id, factor_id=factor_id)
        if factor.status != "pending" and factor.kind in STRONG_KINDS:
            others = await connection.fetchval(
                """SELECT count(*) FROM second_factors
                    WHERE user_id = $1 AND id <> $2 AND status = 'active'
                      AND method = ANY($3::text[])""",
                session.user_id,
                factor_id,
                [kind.value for kind in STRONG_KINDS],
            )
            if not others and not _recent(session.second_factor_at, runtime):
                raise StepUpRequiredError(
                    "this is your last strong second factor: confirm it is you with a second "
                    "factor again before removing it",
                    level=AuthLevel.MULTI_FACTOR,
                    fresh=True,
                )
        await connection.execute("DELETE FROM second_factors WHERE id = $1", factor_id)
        if factor.status != "pending":
            await audit.record(
                connection,
                kind=AuditKind.SECOND_FACTOR_REMOVED,
                user_id=session.user_id,
                detail={"method": factor.kind.value, "factor_id": str(factor.id)},
            )
            await emit(
                connection,
                "identity.second_factor.removed",
                user_id=session.user_id,
                message=events.SecondFactorRemoved(
                    user_id=str(session.user_id),
                    factor_id=str(factor.id),
                    method=WIRE_METHOD[factor.kind],
                    name=factor.name,
                ),
            )
        if not await has_enrolled_factor(connection, user_id=session.user_id):
            # Recovery codes recover a method; with none left they would be a password of
            # their own. The next first enrolment issues a new set.
            await recovery_codes.delete_all(connection, user_id=session.user_id)
            await connection.execute(
                "UPDATE users SET always_require_mfa = false WHERE id = $1", session.user_id
            )
    return factor


async def reset_all(pool: asyncpg.Pool, *, user_id: uuid.UUID) -> int:
    """ "Reset all my devices": remove every method and recovery code, sign out everywhere, and
    publish identity.user.devices_reset (the registry suspends access until an administrator
    unsuspends it). Returns how many methods were removed."""
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", user_id)
        removed = await connection.fetchval(
            """WITH gone AS (DELETE FROM second_factors WHERE user_id = $1 RETURNING status)
               SELECT count(*) FILTER (WHERE status <> 'pending') FROM gone""",
            user_id,
        )
        await recovery_codes.delete_all(connection, user_id=user_id)
        await connection.execute("DELETE FROM mfa_challenges WHERE user_id = $1", user_id)
        await connection.execute("DELETE FROM totp_last_steps WHERE user_id = $1", user_id)
        await connection.execute(
            "UPDATE users SET always_require_mfa = false WHERE id = $1", user_id
        )
        await connection.execute("DELETE FROM sessions WHERE user_id = $1", user_id)
        await audit.record(
            connection,
            kind=AuditKind.DEVICES_RESET,
            user_id=user_id,
            detail={"removed_count": int(removed or 0)},
        )
        await emit(
            connection,
            "identity.user.devices_reset",
            user_id=user_id,
            message=events.UserDevicesReset(user_id=str(user_id), removed_count=removed or 0),
        )
    return int(removed or 0)


async def set_always_require_mfa(
    pool: asyncpg.Pool, runtime: MfaRuntime, *, user_id: uuid.UUID, enabled: bool
) -> None:
    if enabled and not await usable_methods(pool, runtime, user_id=user_id):
        raise MethodUnavailableError(
            "add a second factor before requiring one at every sign-in",
            field="always_require_mfa",
        )
    await pool.execute("UPDATE users SET always_require_mfa = $2 WHERE id = $1", user_id, enabled)
