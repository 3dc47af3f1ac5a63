"""The SQL of SMS codes (sms.py): the user's phone numbers and the codes sent to them (rows of
`mfa_challenges` of kind sms_enrolment and sms_sign_in, holding the code's keyed hash)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_identity.tables import mfa_challenges, phone_numbers, second_factors


@dataclass(frozen=True)
class NumberFactor:
    """The factor a user's number belongs to, and where its enrolment is."""

    factor_id: uuid.UUID
    status: str


@dataclass(frozen=True)
class PhoneNumber:
    id: uuid.UUID  # its factor's id
    name: str  # masked: +46 ••• •• 67
    e164: str


@dataclass(frozen=True)
class SentCode:
    """A code sent and not used yet: its keyed hash, until when, and to which number."""

    id: uuid.UUID
    challenge: bytes
    expires_at: datetime
    factor_id: uuid.UUID | None


async def factor_of_number(
    connection: AsyncConnection, *, user_id: uuid.UUID, e164: str
) -> NumberFactor | None:
    row = (
        await connection.execute(
            select(second_factors.c.id, second_factors.c.status)
            .join_from(
                phone_numbers, second_factors, second_factors.c.id == phone_numbers.c.factor_id
            )
            .where(phone_numbers.c.user_id == user_id, phone_numbers.c.e164 == e164)
        )
    ).first()
    return None if row is None else NumberFactor(factor_id=row.id, status=row.status)


async def add_number(
    connection: AsyncConnection, *, factor_id: uuid.UUID, user_id: uuid.UUID, e164: str
) -> None:
    await connection.execute(
        phone_numbers.insert().values(factor_id=factor_id, user_id=user_id, e164=e164)
    )


async def active_numbers(connection: AsyncConnection, *, user_id: uuid.UUID) -> list[PhoneNumber]:
    """The user's confirmed numbers, in the order they were added."""
    rows = await connection.execute(
        select(second_factors.c.id, second_factors.c.name, phone_numbers.c.e164)
        .join_from(second_factors, phone_numbers, phone_numbers.c.factor_id == second_factors.c.id)
        .where(second_factors.c.user_id == user_id, second_factors.c.status == "active")
        .order_by(second_factors.c.created_at)
    )
    return [PhoneNumber(id=row.id, name=row.name, e164=row.e164) for row in rows]


_SENT_CODE = (
    mfa_challenges.c.id,
    mfa_challenges.c.challenge,
    mfa_challenges.c.expires_at,
    mfa_challenges.c.factor_id,
)


def _sent_code(row: Any) -> SentCode:
    return SentCode(
        id=row.id,
        challenge=bytes(row.challenge),
        expires_at=row.expires_at,
        factor_id=row.factor_id,
    )


async def enrolment_code(
    connection: AsyncConnection, *, session_hash: bytes, factor_id: uuid.UUID
) -> SentCode | None:
    """The pending code this attempt was sent to confirm the number `factor_id`."""
    row = (
        await connection.execute(
            select(*_SENT_CODE).where(
                mfa_challenges.c.session_hash == session_hash,
                mfa_challenges.c.kind == "sms_enrolment",
                mfa_challenges.c.factor_id == factor_id,
                mfa_challenges.c.status == "pending",
            )
        )
    ).first()
    return None if row is None else _sent_code(row)


async def latest_sign_in_code(
    connection: AsyncConnection, *, session_hash: bytes
) -> SentCode | None:
    """The attempt's newest pending sign-in code, its row locked until the transaction ends
    (one answer per code)."""
    row = (
        await connection.execute(
            select(*_SENT_CODE)
            .where(
                mfa_challenges.c.session_hash == session_hash,
                mfa_challenges.c.kind == "sms_sign_in",
                mfa_challenges.c.status == "pending",
            )
            .order_by(mfa_challenges.c.created_at.desc())
            .limit(1)
            .with_for_update()
        )
    ).first()
    return None if row is None else _sent_code(row)


async def count_wrong_code(
    connection: AsyncConnection, *, challenge_id: uuid.UUID, limit: int
) -> int:
    """One more wrong code for this challenge, which is used up at `limit`; how many now. One
    statement, so parallel wrong codes each count."""
    wrong = await connection.scalar(
        update(mfa_challenges)
        .where(mfa_challenges.c.id == challenge_id)
        .values(
            wrong_attempts=mfa_challenges.c.wrong_attempts + 1,
            status=case(
                (mfa_challenges.c.wrong_attempts + 1 >= limit, "used"),
                else_=mfa_challenges.c.status,
            ),
        )
        .returning(mfa_challenges.c.wrong_attempts)
    )
    return int(wrong or 0)


async def spend_code(connection: AsyncConnection, *, challenge_id: uuid.UUID) -> bool:
    """Mark a pending code used; False when it was not pending (any more)."""
    spent = await connection.execute(
        update(mfa_challenges)
        .where(mfa_challenges.c.id == challenge_id, mfa_challenges.c.status == "pending")
        .values(status="used")
        .returning(mfa_challenges.c.id)
    )
    return spent.first() is not None


async def use_code(connection: AsyncConnection, *, challenge_id: uuid.UUID, now: datetime) -> None:
    await connection.execute(
        update(mfa_challenges)
        .where(mfa_challenges.c.id == challenge_id)
        .values(status="used", answered_at=now)
    )
