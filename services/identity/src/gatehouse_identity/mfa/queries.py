"""The SQL every second-factor method shares: the factors themselves (`second_factors`), the
user's second-factor settings, recovery codes, challenges in progress (`mfa_challenges`) and
the count of wrong answers. Rows become `Factor`s here. Each method's own tables are in its
query module (totp_queries.py, sms_queries.py, webauthn_queries.py, mobile_app/queries.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Column, delete, exists, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_identity.mfa.levels import FactorKind
from gatehouse_identity.mfa.models import Factor
from gatehouse_identity.tables import (
    mfa_challenges,
    mobile_devices,
    recovery_codes,
    second_factor_failure_bursts,
    second_factor_failures,
    second_factors,
    totp_authenticators,
    totp_last_steps,
    users,
)

FACTOR = (
    second_factors.c.id,
    second_factors.c.user_id,
    second_factors.c.method,
    second_factors.c.name,
    second_factors.c.status,
    second_factors.c.created_at,
    second_factors.c.confirmed_at,
    second_factors.c.last_used_at,
    second_factors.c.pending_until,
    second_factors.c.enrolled_by,
)


def factor(row: Any) -> Factor:
    """A `Factor` from a row holding the columns of FACTOR."""
    return Factor(
        id=row.id,
        user_id=row.user_id,
        kind=FactorKind(row.method),
        name=row.name,
        status=row.status,
        created_at=row.created_at,
        confirmed_at=row.confirmed_at,
        last_used_at=row.last_used_at,
        pending_until=row.pending_until,
        enrolled_by=bytes(row.enrolled_by) if row.enrolled_by is not None else None,
    )


# -------------------------------------------------------------------------------------- factors


async def factors_of(
    connection: AsyncConnection, *, user_id: uuid.UUID, include_pending: bool
) -> list[Factor]:
    statement = select(*FACTOR).where(second_factors.c.user_id == user_id)
    if not include_pending:
        statement = statement.where(second_factors.c.status != "pending")
    rows = await connection.execute(
        statement.order_by(second_factors.c.created_at, second_factors.c.id)
    )
    return [factor(row) for row in rows]


async def factor_of_user(
    connection: AsyncConnection, *, user_id: uuid.UUID, factor_id: uuid.UUID
) -> Factor | None:
    row = (
        await connection.execute(
            select(*FACTOR).where(
                second_factors.c.id == factor_id, second_factors.c.user_id == user_id
            )
        )
    ).first()
    return None if row is None else factor(row)


async def active_kinds(connection: AsyncConnection, *, user_id: uuid.UUID) -> set[FactorKind]:
    rows = await connection.execute(
        select(second_factors.c.method)
        .distinct()
        .where(second_factors.c.user_id == user_id, second_factors.c.status == "active")
    )
    return {FactorKind(row.method) for row in rows}


async def has_enrolled_factor(connection: AsyncConnection, *, user_id: uuid.UUID) -> bool:
    """Any factor past its enrolment (active or locked)."""
    enrolled = exists().where(
        second_factors.c.user_id == user_id, second_factors.c.status != "pending"
    )
    return bool(await connection.scalar(select(enrolled)))


async def count_other_active(
    connection: AsyncConnection,
    *,
    user_id: uuid.UUID,
    factor_id: uuid.UUID,
    kinds: Iterable[FactorKind],
) -> int:
    """The user's active factors of `kinds` other than `factor_id`."""
    count = await connection.scalar(
        select(func.count()).where(
            second_factors.c.user_id == user_id,
            second_factors.c.id != factor_id,
            second_factors.c.status == "active",
            second_factors.c.method.in_([kind.value for kind in kinds]),
        )
    )
    return int(count or 0)


async def add_pending(
    connection: AsyncConnection,
    *,
    factor_id: uuid.UUID,
    user_id: uuid.UUID,
    kind: FactorKind,
    name: str,
    pending_until: datetime | None,
    enrolled_by: bytes | None,
) -> None:
    await connection.execute(
        second_factors.insert().values(
            id=factor_id,
            user_id=user_id,
            method=kind.value,
            name=name,
            status="pending",
            pending_until=pending_until,
            enrolled_by=enrolled_by,
        )
    )


async def activate(
    connection: AsyncConnection, *, factor_id: uuid.UUID, now: datetime
) -> Factor | None:
    """The factor, confirmed now; None when it was not pending (any more)."""
    row = (
        await connection.execute(
            update(second_factors)
            .where(second_factors.c.id == factor_id, second_factors.c.status == "pending")
            .values(status="active", confirmed_at=now, pending_until=None)
            .returning(*FACTOR)
        )
    ).first()
    return None if row is None else factor(row)


async def mark_used(connection: AsyncConnection, *, factor_id: uuid.UUID, now: datetime) -> None:
    await connection.execute(
        update(second_factors).where(second_factors.c.id == factor_id).values(last_used_at=now)
    )


async def rename(
    connection: AsyncConnection, *, user_id: uuid.UUID, factor_id: uuid.UUID, name: str
) -> Factor | None:
    row = (
        await connection.execute(
            update(second_factors)
            .where(second_factors.c.id == factor_id, second_factors.c.user_id == user_id)
            .values(name=name)
            .returning(*FACTOR)
        )
    ).first()
    return None if row is None else factor(row)


async def delete_factor(connection: AsyncConnection, *, factor_id: uuid.UUID) -> None:
    """The factor and, by ON DELETE CASCADE, its method's rows."""
    await connection.execute(delete(second_factors).where(second_factors.c.id == factor_id))


async def delete_pending(connection: AsyncConnection, *, factor_id: uuid.UUID) -> None:
    await connection.execute(
        delete(second_factors).where(
            second_factors.c.id == factor_id, second_factors.c.status == "pending"
        )
    )


async def prune_pending(connection: AsyncConnection, *, user_id: uuid.UUID, now: datetime) -> None:
    await connection.execute(
        delete(second_factors).where(
            second_factors.c.user_id == user_id,
            second_factors.c.status == "pending",
            second_factors.c.pending_until < now,
        )
    )


async def delete_all_factors(connection: AsyncConnection, *, user_id: uuid.UUID) -> int:
    """Delete every factor of the user; how many of them were past their enrolment."""
    gone = await connection.execute(
        delete(second_factors)
        .where(second_factors.c.user_id == user_id)
        .returning(second_factors.c.status)
    )
    return sum(1 for row in gone if row.status != "pending")


async def delete_user_challenges(connection: AsyncConnection, *, user_id: uuid.UUID) -> None:
    await connection.execute(delete(mfa_challenges).where(mfa_challenges.c.user_id == user_id))


async def delete_last_totp_step(connection: AsyncConnection, *, user_id: uuid.UUID) -> None:
    await connection.execute(delete(totp_last_steps).where(totp_last_steps.c.user_id == user_id))


# ---------------------------------------------------------------------- the user's settings


async def lock_user(connection: AsyncConnection, *, user_id: uuid.UUID) -> None:
    """Lock the user's row until the transaction ends: serialises changes to their factors."""
    await connection.execute(select(users.c.id).where(users.c.id == user_id).with_for_update())


async def always_require_mfa(connection: AsyncConnection, *, user_id: uuid.UUID) -> bool:
    return bool(
        await connection.scalar(select(users.c.always_require_mfa).where(users.c.id == user_id))
    )


async def set_always_require(
    connection: AsyncConnection, *, user_id: uuid.UUID, enabled: bool
) -> None:
    await connection.execute(
        update(users).where(users.c.id == user_id).values(always_require_mfa=enabled)
    )


# ------------------------------------------------------------------------------ recovery codes


async def has_recovery_codes(connection: AsyncConnection, *, user_id: uuid.UUID) -> bool:
    """Any code, used or not: the user has been given a set."""
    given = exists().where(recovery_codes.c.user_id == user_id)
    return bool(await connection.scalar(select(given)))


async def remaining_recovery_codes(connection: AsyncConnection, *, user_id: uuid.UUID) -> int:
    count = await connection.scalar(
        select(func.count()).where(
            recovery_codes.c.user_id == user_id, recovery_codes.c.used_at.is_(None)
        )
    )
    return int(count or 0)


async def delete_recovery_codes(connection: AsyncConnection, *, user_id: uuid.UUID) -> None:
    await connection.execute(delete(recovery_codes).where(recovery_codes.c.user_id == user_id))


async def add_recovery_codes(
    connection: AsyncConnection, *, user_id: uuid.UUID, code_hashes: Sequence[bytes]
) -> None:
    await connection.execute(
        recovery_codes.insert(),
        [{"user_id": user_id, "code_hash": code_hash} for code_hash in code_hashes],
    )


async def spend_recovery_code(
    connection: AsyncConnection, *, user_id: uuid.UUID, code_hash: bytes
) -> bool:
    """Mark an unused code used, in one statement (a code works once, even in parallel)."""
    spent = await connection.execute(
        update(recovery_codes)
        .where(
            recovery_codes.c.user_id == user_id,
            recovery_codes.c.code_hash == code_hash,
            recovery_codes.c.used_at.is_(None),
        )
        .values(used_at=func.now())
        .returning(recovery_codes.c.user_id)
    )
    return spent.first() is not None


# ----------------------------------------------------------------------- challenges in progress


async def add_challenge(
    connection: AsyncConnection,
    *,
    challenge_id: uuid.UUID,
    user_id: uuid.UUID,
    session_hash: bytes,
    kind: str,
    challenge: bytes,
    created_at: datetime,
    expires_at: datetime,
    factor_id: uuid.UUID | None,
    number: int | None,
    origin_ip: str | None,
    origin_user_agent: str | None,
) -> None:
    await connection.execute(
        mfa_challenges.insert().values(
            id=challenge_id,
            user_id=user_id,
            session_hash=session_hash,
            kind=kind,
            challenge=challenge,
            factor_id=factor_id,
            number=number,
            origin_ip=origin_ip,
            origin_user_agent=origin_user_agent,
            created_at=created_at,
            expires_at=expires_at,
        )
    )


async def count_recent_challenges(
    connection: AsyncConnection, *, session_hash: bytes, kind: str, since: datetime
) -> int:
    count = await connection.scalar(
        select(func.count()).where(
            mfa_challenges.c.session_hash == session_hash,
            mfa_challenges.c.kind == kind,
            mfa_challenges.c.created_at > since,
        )
    )
    return int(count or 0)


async def supersede_pending_challenges(
    connection: AsyncConnection, *, session_hash: bytes, kind: str
) -> None:
    await connection.execute(
        update(mfa_challenges)
        .where(
            mfa_challenges.c.session_hash == session_hash,
            mfa_challenges.c.kind == kind,
            mfa_challenges.c.status == "pending",
        )
        .values(status="used")
    )


async def delete_expired_challenges(
    connection: AsyncConnection, *, user_id: uuid.UUID, before: datetime
) -> None:
    await connection.execute(
        delete(mfa_challenges).where(
            mfa_challenges.c.user_id == user_id, mfa_challenges.c.expires_at < before
        )
    )


# ------------------------------------------------------------------- wrong answers, per attempt


async def count_failure(connection: AsyncConnection, *, session_hash: bytes, method: str) -> int:
    """One more wrong answer of this attempt with `method`; how many in a row now. One upsert,
    so parallel wrong answers each count."""
    failures = second_factor_failures
    new = insert(failures).values(session_hash=session_hash, method=method, failures=1)
    counted = await connection.scalar(
        new.on_conflict_do_update(
            index_elements=[failures.c.session_hash, failures.c.method],
            set_={"failures": failures.c.failures + 1, "updated_at": func.now()},
        ).returning(failures.c.failures)
    )
    return int(counted or 0)


async def delete_failures(connection: AsyncConnection, *, session_hash: bytes) -> None:
    await connection.execute(
        delete(second_factor_failures).where(second_factor_failures.c.session_hash == session_hash)
    )


async def delete_bursts_before(
    connection: AsyncConnection, *, user_id: uuid.UUID, before: datetime
) -> None:
    bursts = second_factor_failure_bursts
    await connection.execute(
        delete(bursts).where(bursts.c.user_id == user_id, bursts.c.created_at <= before)
    )


async def add_burst(
    connection: AsyncConnection, *, user_id: uuid.UUID, method: str, now: datetime, since: datetime
) -> int:
    """Record an ended attempt; how many the user has had since `since`, this one included.
    One statement: the insert is a data-modifying CTE, which the count does not see (+ 1)."""
    bursts = second_factor_failure_bursts
    added = (
        insert(bursts)
        .values(user_id=user_id, method=method, created_at=now)
        .returning(literal(1))
        .cte("added")
    )
    count = await connection.scalar(
        select(func.count() + 1)
        .select_from(bursts)
        .where(bursts.c.user_id == user_id, bursts.c.created_at > since)
        .add_cte(added)
    )
    return int(count or 0)


# ------------------------------------------------------------------ secrets encrypted at rest

# (key column, encrypted column) of every secret encrypted with the SecretBox.
ENCRYPTED_COLUMNS: tuple[tuple[Column[Any], Column[Any]], ...] = (
    (totp_authenticators.c.factor_id, totp_authenticators.c.secret_encrypted),
    (mobile_devices.c.factor_id, mobile_devices.c.pin_verifier_encrypted),
    (mobile_devices.c.factor_id, mobile_devices.c.ocra_key_encrypted),
)


async def encrypted_batch(
    connection: AsyncConnection,
    *,
    key: Column[Any],
    column: Column[Any],
    after: uuid.UUID | None,
    size: int,
) -> list[tuple[uuid.UUID, bytes]]:
    """(key, encrypted value) of up to `size` rows holding a value, in key order after `after`."""
    statement = select(key, column).where(column.is_not(None))
    if after is not None:
        statement = statement.where(key > after)
    rows = await connection.execute(statement.order_by(key).limit(size))
    return [(row[0], bytes(row[1])) for row in rows]


async def replace_encrypted(
    connection: AsyncConnection,
    *,
    key: Column[Any],
    column: Column[Any],
    key_value: uuid.UUID,
    old: bytes,
    new: bytes,
) -> None:
    """Compare-and-set: rewritten only while it still holds `old`."""
    table = key.table
    await connection.execute(
        update(table).where(key == key_value, column == old).values({column.name: new})
    )
