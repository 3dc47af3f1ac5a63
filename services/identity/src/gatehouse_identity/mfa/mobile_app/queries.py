"""The SQL of the mobile app: its devices (`mobile_devices`: keys, PIN verifier, tokens, the
count of wrong PINs) and its requests (rows of `mfa_challenges` of kind push and qr). Rows
become `Device`s, `PendingRequest`s and `PushRequestRow`s here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_identity.tables import mfa_challenges, mobile_devices, second_factors


@dataclass(frozen=True)
class Device:
    """A registered device and its secrets (encrypted: the SecretBox opens them)."""

    id: uuid.UUID  # its factor's id
    user_id: uuid.UUID
    name: str
    key_type: str
    public_key: bytes
    pin_verifier_encrypted: bytes
    ocra_key_encrypted: bytes


@dataclass(frozen=True)
class PendingRegistration:
    """An enrolment the app may register with its token: its factor, user and PIN verifier."""

    factor_id: uuid.UUID
    user_id: uuid.UUID
    pin_verifier_encrypted: bytes


@dataclass(frozen=True)
class LockedDevice:
    user_id: uuid.UUID
    name: str


@dataclass(frozen=True)
class PendingRequest:
    id: uuid.UUID
    challenge: bytes
    created_at: datetime
    expires_at: datetime
    origin_ip: str | None
    origin_user_agent: str | None


@dataclass(frozen=True)
class Request:
    """A push or QR request as the flows read it (the fields a kind does not use are None)."""

    challenge: bytes
    status: str
    expires_at: datetime
    number: int | None = None
    factor_id: uuid.UUID | None = None


def _devices() -> Select[Any]:
    return select(
        second_factors.c.id,
        second_factors.c.user_id,
        second_factors.c.name,
        second_factors.c.status,
        mobile_devices.c.key_type,
        mobile_devices.c.public_key,
        mobile_devices.c.pin_verifier_encrypted,
        mobile_devices.c.ocra_key_encrypted,
    ).join_from(second_factors, mobile_devices, mobile_devices.c.factor_id == second_factors.c.id)


def _device(row: Any) -> Device:
    return Device(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        key_type=row.key_type,
        public_key=bytes(row.public_key),
        pin_verifier_encrypted=bytes(row.pin_verifier_encrypted),
        ocra_key_encrypted=bytes(row.ocra_key_encrypted),
    )


# -------------------------------------------------------------------------------------- devices


async def active_devices(connection: AsyncConnection, *, user_id: uuid.UUID) -> list[Device]:
    rows = await connection.execute(
        _devices().where(second_factors.c.user_id == user_id, second_factors.c.status == "active")
    )
    return [_device(row) for row in rows]


async def device_by_token(
    connection: AsyncConnection, *, token_hash: bytes
) -> tuple[Device, str] | None:
    """The device whose token hashes to `token_hash`, and its factor's status."""
    row = (
        await connection.execute(_devices().where(mobile_devices.c.device_token_hash == token_hash))
    ).first()
    return None if row is None else (_device(row), row.status)


async def right_pin(
    connection: AsyncConnection,
    *,
    device_id: uuid.UUID,
    pin_verifier_encrypted: bytes | None,
    ocra_key_encrypted: bytes | None,
) -> None:
    """Reset the count of wrong PINs; replace the secrets given (None: keep it)."""
    devices = mobile_devices
    await connection.execute(
        update(devices)
        .where(devices.c.factor_id == device_id)
        .values(
            failed_pins=0,
            pin_verifier_encrypted=func.coalesce(
                pin_verifier_encrypted, devices.c.pin_verifier_encrypted
            ),
            ocra_key_encrypted=func.coalesce(ocra_key_encrypted, devices.c.ocra_key_encrypted),
        )
    )


async def count_wrong_pin(connection: AsyncConnection, *, device_id: uuid.UUID) -> int | None:
    """One more wrong PIN in a row, in one statement; how many now (None: no such device)."""
    failed = await connection.scalar(
        update(mobile_devices)
        .where(mobile_devices.c.factor_id == device_id)
        .values(failed_pins=mobile_devices.c.failed_pins + 1)
        .returning(mobile_devices.c.failed_pins)
    )
    return None if failed is None else int(failed)


async def lock_device(connection: AsyncConnection, *, device_id: uuid.UUID) -> LockedDevice | None:
    """Lock an active device; None when it was not active (locked by a parallel request)."""
    row = (
        await connection.execute(
            update(second_factors)
            .where(second_factors.c.id == device_id, second_factors.c.status == "active")
            .values(status="locked")
            .returning(second_factors.c.user_id, second_factors.c.name)
        )
    ).first()
    return None if row is None else LockedDevice(user_id=row.user_id, name=row.name)


# ------------------------------------------------------------------------------------ enrolment


async def add_enrolling_device(
    connection: AsyncConnection,
    *,
    factor_id: uuid.UUID,
    enrolment_token_hash: bytes,
    pin_verifier_encrypted: bytes,
) -> None:
    await connection.execute(
        mobile_devices.insert().values(
            factor_id=factor_id,
            enrolment_token_hash=enrolment_token_hash,
            pin_verifier_encrypted=pin_verifier_encrypted,
        )
    )


async def pending_registration(
    connection: AsyncConnection, *, enrolment_token_hash: bytes, now: datetime
) -> PendingRegistration | None:
    """The pending enrolment the token names, its factor row locked until the transaction ends
    (one registration per token)."""
    row = (
        await connection.execute(
            select(
                second_factors.c.id,
                second_factors.c.user_id,
                mobile_devices.c.pin_verifier_encrypted,
            )
            .join_from(
                mobile_devices, second_factors, second_factors.c.id == mobile_devices.c.factor_id
            )
            .where(
                mobile_devices.c.enrolment_token_hash == enrolment_token_hash,
                second_factors.c.status == "pending",
                second_factors.c.pending_until > now,
            )
            .with_for_update(of=second_factors)
        )
    ).first()
    if row is None:
        return None
    return PendingRegistration(
        factor_id=row.id,
        user_id=row.user_id,
        pin_verifier_encrypted=bytes(row.pin_verifier_encrypted),
    )


async def register_device(
    connection: AsyncConnection,
    *,
    factor_id: uuid.UUID,
    key_type: str,
    public_key: bytes,
    ocra_key_encrypted: bytes,
    device_token_hash: bytes,
    now: datetime,
) -> None:
    """The app's key and tokens; the enrolment token is spent."""
    await connection.execute(
        update(mobile_devices)
        .where(mobile_devices.c.factor_id == factor_id)
        .values(
            enrolment_token_hash=None,
            key_type=key_type,
            public_key=public_key,
            ocra_key_encrypted=ocra_key_encrypted,
            device_token_hash=device_token_hash,
            registered_at=now,
            failed_pins=0,
        )
    )


# ------------------------------------------------------------------------------------- requests


async def pending_requests(
    connection: AsyncConnection, *, user_id: uuid.UUID, now: datetime
) -> list[PendingRequest]:
    challenges = mfa_challenges
    rows = await connection.execute(
        select(
            challenges.c.id,
            challenges.c.challenge,
            challenges.c.created_at,
            challenges.c.expires_at,
            challenges.c.origin_ip,
            challenges.c.origin_user_agent,
        )
        .where(
            challenges.c.user_id == user_id,
            challenges.c.kind == "push",
            challenges.c.status == "pending",
            challenges.c.expires_at > now,
        )
        .order_by(challenges.c.created_at)
    )
    return [
        PendingRequest(
            id=row.id,
            challenge=bytes(row.challenge),
            created_at=row.created_at,
            expires_at=row.expires_at,
            origin_ip=row.origin_ip,
            origin_user_agent=row.origin_user_agent,
        )
        for row in rows
    ]


def _request(row: Any) -> Request:
    return Request(
        challenge=bytes(row.challenge),
        status=row.status,
        expires_at=row.expires_at,
        number=row.number,
        factor_id=row.factor_id,
    )


_REQUEST = (
    mfa_challenges.c.challenge,
    mfa_challenges.c.status,
    mfa_challenges.c.expires_at,
    mfa_challenges.c.number,
    mfa_challenges.c.factor_id,
)


async def push_request_of_user(
    connection: AsyncConnection, *, request_id: uuid.UUID, user_id: uuid.UUID
) -> Request | None:
    """A push request of this user, as the app answering it sees it."""
    row = (
        await connection.execute(
            select(*_REQUEST).where(
                mfa_challenges.c.id == request_id,
                mfa_challenges.c.user_id == user_id,
                mfa_challenges.c.kind == "push",
            )
        )
    ).first()
    return None if row is None else _request(row)


async def request_of_session(
    connection: AsyncConnection,
    *,
    request_id: uuid.UUID,
    session_hash: bytes,
    kinds: tuple[str, ...],
    lock: bool = False,
) -> Request | None:
    """A request of one of `kinds` this sign-in attempt started; with `lock`, its row stays
    locked until the transaction ends (one answer per request)."""
    statement = select(*_REQUEST).where(
        mfa_challenges.c.id == request_id,
        mfa_challenges.c.session_hash == session_hash,
        mfa_challenges.c.kind.in_(kinds),
    )
    if lock:
        statement = statement.with_for_update()
    row = (await connection.execute(statement)).first()
    return None if row is None else _request(row)


async def pending_qr(
    connection: AsyncConnection, *, request_id: uuid.UUID, session_hash: bytes, now: datetime
) -> Request | None:
    """A QR request of this attempt that can still be answered."""
    row = (
        await connection.execute(
            select(*_REQUEST).where(
                mfa_challenges.c.id == request_id,
                mfa_challenges.c.session_hash == session_hash,
                mfa_challenges.c.kind == "qr",
                mfa_challenges.c.status == "pending",
                mfa_challenges.c.expires_at > now,
            )
        )
    ).first()
    return None if row is None else _request(row)


async def settle(
    connection: AsyncConnection,
    *,
    request_id: uuid.UUID,
    status: str,
    device_id: uuid.UUID,
    now: datetime,
) -> str | None:
    """Answer a pending, unexpired request, in one statement (a replayed or parallel second
    answer finds it settled); its new status, None when it was not pending."""
    settled = await connection.scalar(
        update(mfa_challenges)
        .where(
            mfa_challenges.c.id == request_id,
            mfa_challenges.c.status == "pending",
            mfa_challenges.c.expires_at > now,
        )
        .values(status=status, factor_id=device_id, answered_at=now)
        .returning(mfa_challenges.c.status)
    )
    return None if settled is None else str(settled)


async def use_request(
    connection: AsyncConnection,
    *,
    request_id: uuid.UUID,
    answered_at: datetime | None = None,
    device_id: uuid.UUID | None = None,
) -> None:
    """Mark a request used (and, for a QR code, when and by which device it was answered)."""
    values: dict[str, Any] = {"status": "used"}
    if answered_at is not None:
        values["answered_at"] = answered_at
    if device_id is not None:
        values["factor_id"] = device_id
    await connection.execute(
        update(mfa_challenges).where(mfa_challenges.c.id == request_id).values(values)
    )
