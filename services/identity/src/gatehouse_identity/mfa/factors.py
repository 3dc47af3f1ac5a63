"""The second factors a user has (rows of `second_factors`): listing, finding, renaming, going
live after an enrolment, removing one, and resetting them all.

Removing is the same for every method: the method's own rows (secrets, credentials, numbers)
go with the factor (ON DELETE CASCADE), so methods need no removal code of their own.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from gatehouse.events.v1 import identity_events_pb2 as events
from gatehouse_common.db import Connection
from gatehouse_identity.audit import service as audit
from gatehouse_identity.audit.service import AuditKind
from gatehouse_identity.events import emit
from gatehouse_identity.levels import AuthLevel
from gatehouse_identity.mfa import recovery_codes
from gatehouse_identity.mfa.errors import (
    EnrolmentExpiredError,
    FactorNameInvalidError,
    FactorNotFoundError,
    StepUpRequiredError,
)
from gatehouse_identity.mfa.levels import STRONG_KINDS, FactorKind
from gatehouse_identity.mfa.models import FACTOR_COLUMNS, Factor
from gatehouse_identity.mfa.runtime import Db, MfaRuntime
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
        raise FactorNotFoundError("no such second factor on this account", field="factor_id")
    return Factor.from_row(row)


async def active_kinds(db: Db, *, user_id: uuid.UUID) -> set[FactorKind]:
    return {
        FactorKind(row["method"])
        for row in await db.fetch(
            "SELECT DISTINCT method FROM second_factors WHERE user_id = $1 AND status = 'active'",
            user_id,
        )
    }


async def has_enrolled_factor(db: Db, *, user_id: uuid.UUID) -> bool:
    return bool(
        await db.fetchval(
            """SELECT EXISTS (SELECT 1 FROM second_factors
                               WHERE user_id = $1 AND status <> 'pending')""",
            user_id,
        )
    )


async def add_pending(
    connection: Connection,
    *,
    factor_id: uuid.UUID,
    user_id: uuid.UUID,
    kind: FactorKind,
    name: str,
    pending_until: datetime | None,
    enrolled_by: bytes | None = None,
) -> None:
    """An enrolment started: the factor exists, but is not used until it is confirmed."""
    await connection.execute(
        """INSERT INTO second_factors (id, user_id, method, name, status, pending_until,
                                       enrolled_by)
           VALUES ($1, $2, $3, $4, 'pending', $5, $6)""",
        factor_id,
        user_id,
        kind.value,
        name,
        pending_until,
        enrolled_by,
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
        raise EnrolmentExpiredError("this enrolment is no longer pending", field="factor_id")
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


async def mark_used(db: Db, *, factor_id: uuid.UUID, now: datetime) -> None:
    await db.execute("UPDATE second_factors SET last_used_at = $2 WHERE id = $1", factor_id, now)


async def delete_pending(db: Db, *, factor_id: uuid.UUID) -> None:
    """Forget an enrolment that cannot finish (a failed send, a cancelled registration)."""
    await db.execute("DELETE FROM second_factors WHERE id = $1 AND status = 'pending'", factor_id)


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
        raise FactorNotFoundError("no such second factor on this account", field="factor_id")
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
        await _lock_user(connection, user_id=session.user_id)
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
            if not others and not runtime.recently(session.second_factor_at):
                raise StepUpRequiredError(
                    "this is your last strong second factor: confirm it is you with a second "
                    "factor again before removing it",
                    level=AuthLevel.MULTI_FACTOR,
                    fresh=True,
                )
        await connection.execute("DELETE FROM second_factors WHERE id = $1", factor_id)
        if factor.status != "pending":
            await _removed(connection, factor=factor)
        if not await has_enrolled_factor(connection, user_id=session.user_id):
            # Recovery codes recover a method; with none left they would be a password of
            # their own. The next first enrolment issues a new set.
            await recovery_codes.delete_all(connection, user_id=session.user_id)
            await set_always_require(connection, user_id=session.user_id, enabled=False)
    return factor


async def _removed(connection: Connection, *, factor: Factor) -> None:
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


async def reset_all(pool: asyncpg.Pool, *, user_id: uuid.UUID) -> int:
    """ "Reset all my devices": remove every method and recovery code, sign out everywhere, and
    publish identity.user.devices_reset (the registry suspends access until an administrator
    unsuspends it). Returns how many methods were removed."""
    async with pool.acquire() as connection, connection.transaction():
        await _lock_user(connection, user_id=user_id)
        removed = int(
            await connection.fetchval(
                """WITH gone AS (DELETE FROM second_factors WHERE user_id = $1 RETURNING status)
                   SELECT count(*) FILTER (WHERE status <> 'pending') FROM gone""",
                user_id,
            )
            or 0
        )
        await recovery_codes.delete_all(connection, user_id=user_id)
        await connection.execute("DELETE FROM mfa_challenges WHERE user_id = $1", user_id)
        await connection.execute("DELETE FROM totp_last_steps WHERE user_id = $1", user_id)
        await set_always_require(connection, user_id=user_id, enabled=False)
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


async def always_require_mfa(db: Db, *, user_id: uuid.UUID) -> bool:
    return bool(await db.fetchval("SELECT always_require_mfa FROM users WHERE id = $1", user_id))


async def set_always_require(db: Db, *, user_id: uuid.UUID, enabled: bool) -> None:
    await db.execute("UPDATE users SET always_require_mfa = $2 WHERE id = $1", user_id, enabled)


async def _lock_user(connection: Connection, *, user_id: uuid.UUID) -> None:
    await connection.execute("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", user_id)
