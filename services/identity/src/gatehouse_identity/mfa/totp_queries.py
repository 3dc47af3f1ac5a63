"""The SQL of authenticator apps (totp.py): their encrypted secrets and the highest time step
accepted per user."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_identity.tables import second_factors, totp_authenticators, totp_last_steps


@dataclass(frozen=True)
class PendingSecret:
    secret_encrypted: bytes
    pending_until: datetime


@dataclass(frozen=True)
class ActiveSecret:
    factor_id: uuid.UUID
    secret_encrypted: bytes


async def add_authenticator(
    connection: AsyncConnection, *, factor_id: uuid.UUID, secret_encrypted: bytes
) -> None:
    await connection.execute(
        totp_authenticators.insert().values(factor_id=factor_id, secret_encrypted=secret_encrypted)
    )


async def pending_secret(
    connection: AsyncConnection,
    *,
    user_id: uuid.UUID,
    factor_id: uuid.UUID,
    now: datetime,
    lock: bool = False,
) -> PendingSecret | None:
    """The secret of the user's enrolment still pending at `now`; with `lock`, its factor row
    stays locked until the transaction ends (one confirmation at a time)."""
    statement = (
        select(totp_authenticators.c.secret_encrypted, second_factors.c.pending_until)
        .join_from(
            second_factors,
            totp_authenticators,
            totp_authenticators.c.factor_id == second_factors.c.id,
        )
        .where(
            second_factors.c.id == factor_id,
            second_factors.c.user_id == user_id,
            second_factors.c.status == "pending",
            second_factors.c.pending_until > now,
        )
    )
    if lock:
        statement = statement.with_for_update(of=second_factors)
    row = (await connection.execute(statement)).first()
    if row is None:
        return None
    return PendingSecret(
        secret_encrypted=bytes(row.secret_encrypted), pending_until=row.pending_until
    )


async def active_secrets(
    connection: AsyncConnection, *, user_id: uuid.UUID, method: str
) -> list[ActiveSecret]:
    rows = await connection.execute(
        select(second_factors.c.id, totp_authenticators.c.secret_encrypted)
        .join_from(
            second_factors,
            totp_authenticators,
            totp_authenticators.c.factor_id == second_factors.c.id,
        )
        .where(
            second_factors.c.user_id == user_id,
            second_factors.c.status == "active",
            second_factors.c.method == method,
        )
    )
    return [
        ActiveSecret(factor_id=row.id, secret_encrypted=bytes(row.secret_encrypted)) for row in rows
    ]


async def replace_secret(
    connection: AsyncConnection, *, factor_id: uuid.UUID, secret_encrypted: bytes
) -> None:
    await connection.execute(
        update(totp_authenticators)
        .where(totp_authenticators.c.factor_id == factor_id)
        .values(secret_encrypted=secret_encrypted)
    )


async def consume_step(connection: AsyncConnection, *, user_id: uuid.UUID, step: int) -> bool:
    """Record `step` as used; False when it (or a later one) already was. One conditional
    upsert: the row lock it takes makes parallel submissions of one code queue, and only the
    first finds the stored step lower."""
    steps = totp_last_steps
    new = insert(steps).values(user_id=user_id, last_step=step)
    accepted = await connection.scalar(
        new.on_conflict_do_update(
            index_elements=[steps.c.user_id],
            set_={"last_step": new.excluded.last_step},
            where=steps.c.last_step < new.excluded.last_step,
        ).returning(steps.c.last_step)
    )
    return accepted is not None
