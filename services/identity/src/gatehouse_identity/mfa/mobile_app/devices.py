"""Registered devices: finding them (by user, by the app's device token), and the PIN count —
five wrong PINs in a row lock the device (identity.device.locked); a right one resets the count
and re-encrypts the device's secrets with the newest key (key rotation)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg

from gatehouse.events.v1 import identity_events_pb2 as events
from gatehouse_identity.events import emit
from gatehouse_identity.mfa.crypto import sha256
from gatehouse_identity.mfa.errors import DeviceLockedError, DeviceUnknownError
from gatehouse_identity.mfa.runtime import Db, MfaRuntime

MAX_TOKEN_LENGTH = 64


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


DEVICE_COLUMNS = """f.id, f.user_id, f.name, d.key_type, d.public_key, d.pin_verifier_encrypted,
                    d.ocra_key_encrypted"""


def _device(row: asyncpg.Record) -> Device:
    return Device(
        id=row["id"],
        user_id=row["user_id"],
        name=row["name"],
        key_type=row["key_type"],
        public_key=bytes(row["public_key"]),
        pin_verifier_encrypted=bytes(row["pin_verifier_encrypted"]),
        ocra_key_encrypted=bytes(row["ocra_key_encrypted"]),
    )


async def active_devices(db: Db, *, user_id: uuid.UUID) -> list[Device]:
    rows = await db.fetch(
        f"""SELECT {DEVICE_COLUMNS}
              FROM second_factors f JOIN mobile_devices d ON d.factor_id = f.id
             WHERE f.user_id = $1 AND f.status = 'active'""",
        user_id,
    )
    return [_device(row) for row in rows]


async def device_by_token(db: Db, *, device_token: str) -> Device:
    """The device the app's token names; DeviceUnknownError or DeviceLockedError."""
    if not device_token or len(device_token) > MAX_TOKEN_LENGTH:
        raise DeviceUnknownError("unknown device: enrol it again", field="authorization")
    row = await db.fetchrow(
        f"""SELECT {DEVICE_COLUMNS}, f.status
              FROM mobile_devices d JOIN second_factors f ON f.id = d.factor_id
             WHERE d.device_token_hash = $1""",
        sha256(device_token),
    )
    if row is None:
        raise DeviceUnknownError("unknown device: enrol it again", field="authorization")
    if row["status"] == "locked":
        raise DeviceLockedError("this device is locked after too many wrong PINs: enrol it again")
    return _device(row)


async def right_pin(db: Db, runtime: MfaRuntime, *, device: Device) -> None:
    """The PIN was right: reset the count of wrong ones, and re-encrypt the device's secrets
    with the newest key if an older one still protects them (key rotation)."""
    pin = runtime.box.rotated(device.pin_verifier_encrypted)
    key = runtime.box.rotated(device.ocra_key_encrypted)
    await db.execute(
        """UPDATE mobile_devices
              SET failed_pins = 0,
                  pin_verifier_encrypted = COALESCE($2, pin_verifier_encrypted),
                  ocra_key_encrypted = COALESCE($3, ocra_key_encrypted)
            WHERE factor_id = $1""",
        device.id,
        pin,
        key,
    )


async def wrong_pin(pool: asyncpg.Pool, runtime: MfaRuntime, *, device_id: uuid.UUID) -> int:
    """Count a wrong PIN; lock the device at the limit. Returns the tries left."""
    limit = runtime.settings.max_pin_failures
    async with pool.acquire() as connection, connection.transaction():
        failed = await connection.fetchval(
            """UPDATE mobile_devices SET failed_pins = failed_pins + 1
                WHERE factor_id = $1 RETURNING failed_pins""",
            device_id,
        )
        if failed is None:
            return 0
        if failed < limit:
            return int(limit - failed)
        locked = await connection.fetchrow(
            """UPDATE second_factors SET status = 'locked' WHERE id = $1 AND status = 'active'
            RETURNING user_id, name""",
            device_id,
        )
        if locked is not None:
            await emit(
                connection,
                "identity.device.locked",
                user_id=locked["user_id"],
                message=events.DeviceLocked(
                    user_id=str(locked["user_id"]),
                    device_id=str(device_id),
                    name=locked["name"],
                    failed_pins=failed,
                ),
            )
    return 0


async def wrong_enrolment_pin(
    pool: asyncpg.Pool, runtime: MfaRuntime, *, factor_id: uuid.UUID
) -> int:
    """A wrong PIN proof while the app registers; at the limit the enrolment is deleted.
    Returns the tries left."""
    limit = runtime.settings.max_pin_failures
    failed = await pool.fetchval(
        """UPDATE mobile_devices SET failed_pins = failed_pins + 1
            WHERE factor_id = $1 RETURNING failed_pins""",
        factor_id,
    )
    if failed is None or failed >= limit:
        await pool.execute(
            "DELETE FROM second_factors WHERE id = $1 AND status = 'pending'", factor_id
        )
        return 0
    return int(limit - failed)
