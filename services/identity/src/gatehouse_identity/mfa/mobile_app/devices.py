"""Registered devices: finding them (by user, by the app's device token), and the PIN count —
five wrong PINs in a row lock the device (identity.device.locked); a right one resets the count
and re-encrypts the device's secrets with the newest key (key rotation)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse.events.v1 import identity_events_pb2 as events
from gatehouse_common.db import Database
from gatehouse_identity.events import emit
from gatehouse_identity.mfa import queries as factor_rows
from gatehouse_identity.mfa.crypto import sha256
from gatehouse_identity.mfa.errors import DeviceLockedError, DeviceUnknownError
from gatehouse_identity.mfa.mobile_app import queries
from gatehouse_identity.mfa.mobile_app.queries import Device
from gatehouse_identity.mfa.runtime import MfaRuntime

__all__ = [
    "MAX_TOKEN_LENGTH",
    "Device",
    "active_devices",
    "device_by_token",
    "right_pin",
    "wrong_enrolment_pin",
    "wrong_pin",
]

MAX_TOKEN_LENGTH = 64


async def active_devices(connection: AsyncConnection, *, user_id: uuid.UUID) -> list[Device]:
    return await queries.active_devices(connection, user_id=user_id)


async def device_by_token(database: Database, *, device_token: str) -> Device:
    """The device the app's token names; DeviceUnknownError or DeviceLockedError."""
    if not device_token or len(device_token) > MAX_TOKEN_LENGTH:
        raise DeviceUnknownError("unknown device: enrol it again", field="authorization")
    async with database.connection() as connection:
        found = await queries.device_by_token(connection, token_hash=sha256(device_token))
    if found is None:
        raise DeviceUnknownError("unknown device: enrol it again", field="authorization")
    device, status = found
    if status == "locked":
        raise DeviceLockedError("this device is locked after too many wrong PINs: enrol it again")
    return device


async def right_pin(connection: AsyncConnection, runtime: MfaRuntime, *, device: Device) -> None:
    """The PIN was right: reset the count of wrong ones, and re-encrypt the device's secrets
    with the newest key if an older one still protects them (key rotation)."""
    await queries.right_pin(
        connection,
        device_id=device.id,
        pin_verifier_encrypted=runtime.box.rotated(device.pin_verifier_encrypted),
        ocra_key_encrypted=runtime.box.rotated(device.ocra_key_encrypted),
    )


async def wrong_pin(database: Database, runtime: MfaRuntime, *, device_id: uuid.UUID) -> int:
    """Count a wrong PIN; lock the device at the limit. Returns the tries left."""
    limit = runtime.settings.max_pin_failures
    async with database.transaction() as connection:
        failed = await queries.count_wrong_pin(connection, device_id=device_id)
        if failed is None:
            return 0
        if failed < limit:
            return int(limit - failed)
        locked = await queries.lock_device(connection, device_id=device_id)
        if locked is not None:
            await emit(
                connection,
                "identity.device.locked",
                user_id=locked.user_id,
                message=events.DeviceLocked(
                    user_id=str(locked.user_id),
                    device_id=str(device_id),
                    name=locked.name,
                    failed_pins=failed,
                ),
            )
    return 0


async def wrong_enrolment_pin(
    database: Database, runtime: MfaRuntime, *, factor_id: uuid.UUID
) -> int:
    """A wrong PIN proof while the app registers; at the limit the enrolment is deleted.
    Returns the tries left."""
    limit = runtime.settings.max_pin_failures
    async with database.connection() as connection:
        failed = await queries.count_wrong_pin(connection, device_id=factor_id)
        if failed is None or failed >= limit:
            await factor_rows.delete_pending(connection, factor_id=factor_id)
            return 0
    return int(limit - failed)
