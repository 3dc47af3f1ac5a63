"""Adding a device: the browser starts it (a name and the PIN, typed twice), the app scans the
QR code and registers its public key with a proof of the PIN (`register_device`), and the
browser, which polls `enrolment_status`, finishes it (`ENROLMENT.confirm`)."""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from gatehouse_common.db import Connection
from gatehouse_identity.accounts.models import User
from gatehouse_identity.mfa import factors
from gatehouse_identity.mfa.crypto import sha256
from gatehouse_identity.mfa.errors import (
    AppRequestMalformedError,
    AppSignatureInvalidError,
    EnrolmentCancelledError,
    EnrolmentExpiredError,
    EnrolmentTokenUnknownError,
    PinsDifferError,
    PinWrongError,
)
from gatehouse_identity.mfa.levels import FactorKind
from gatehouse_identity.mfa.methods import EnrolmentProof, EnrolmentRequest
from gatehouse_identity.mfa.mobile_app import ocra
from gatehouse_identity.mfa.mobile_app.devices import MAX_TOKEN_LENGTH, wrong_enrolment_pin
from gatehouse_identity.mfa.mobile_app.wire import (
    KEY_TYPES,
    check_pin,
    enrolment_payload,
    from_b64url,
    load_public_key,
    pin_proof,
    registration_message,
    signature_valid,
)
from gatehouse_identity.mfa.models import Factor
from gatehouse_identity.mfa.runtime import MfaRuntime
from gatehouse_identity.sessions.models import Session

TOKEN_BYTES = 24


@dataclass(frozen=True)
class MobileEnrolment:
    factor_id: uuid.UUID
    payload: str
    expires_at: datetime


@dataclass(frozen=True)
class Registration:
    device_id: uuid.UUID
    user_id: uuid.UUID
    device_token: str
    ocra_key: bytes
    ocra_suite: str


async def start_enrolment(
    pool: asyncpg.Pool,
    runtime: MfaRuntime,
    *,
    user_id: uuid.UUID,
    session_hash: bytes,
    account: str,
    name: str,
    pin: str,
    pin_confirmation: str,
) -> MobileEnrolment:
    name = factors.check_name(name)
    check_pin(pin)
    if pin_confirmation != pin:
        raise PinsDifferError("the two PINs are not the same", field="pin_confirmation")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    factor_id = uuid.uuid4()
    expires_at = runtime.now() + timedelta(seconds=runtime.settings.mobile_enrolment_ttl_s)
    async with pool.acquire() as connection, connection.transaction():
        await factors.prune_pending(connection, user_id=user_id, now=runtime.now())
        await factors.add_pending(
            connection,
            factor_id=factor_id,
            user_id=user_id,
            kind=FactorKind.MOBILE_APP,
            name=name,
            pending_until=expires_at,
            enrolled_by=session_hash,
        )
        await connection.execute(
            """INSERT INTO mobile_devices (factor_id, enrolment_token_hash, pin_verifier_encrypted)
               VALUES ($1, $2, $3)""",
            factor_id,
            sha256(token),
            runtime.box.encrypt(ocra.pin_hash(pin)),
        )
    payload = enrolment_payload(server=runtime.settings.public_url, token=token, account=account)
    return MobileEnrolment(factor_id=factor_id, payload=payload, expires_at=expires_at)


async def enrolment_status(
    pool: asyncpg.Pool, runtime: MfaRuntime, *, user_id: uuid.UUID, factor_id: uuid.UUID
) -> str:
    """pending, active, locked or expired: what the enrolment page polls."""
    factor = await factors.get_factor(
        pool, user_id=user_id, factor_id=factor_id, kind=FactorKind.MOBILE_APP
    )
    if (
        factor.status == "pending"
        and factor.pending_until
        and factor.pending_until <= runtime.now()
    ):
        return "expired"
    return factor.status


async def register_device(
    pool: asyncpg.Pool,
    runtime: MfaRuntime,
    *,
    enrolment_token: str,
    key_type: str,
    public_key: str,
    pin_proof_value: str,
    signature: str,
) -> Registration:
    """The app's side of enrolment: register its public key, prove the PIN and the key."""
    if not enrolment_token or len(enrolment_token) > MAX_TOKEN_LENGTH:
        raise AppRequestMalformedError("not an enrolment token", field="enrolment_token")
    if key_type not in KEY_TYPES:
        raise AppRequestMalformedError("key_type must be ed25519 or p256", field="key_type")
    raw_key = from_b64url(public_key, field="public_key", max_bytes=200)
    load_public_key(key_type, raw_key)
    raw_signature = from_b64url(signature, field="signature", max_bytes=200)
    proof = from_b64url(pin_proof_value, field="pin_proof", max_bytes=64)
    message = registration_message(enrolment_token, key_type, raw_key)
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(
            """SELECT f.id, f.user_id, d.pin_verifier_encrypted FROM mobile_devices d
                 JOIN second_factors f ON f.id = d.factor_id
                WHERE d.enrolment_token_hash = $1 AND f.status = 'pending' AND f.pending_until > $2
                  FOR UPDATE OF f""",
            sha256(enrolment_token),
            runtime.now(),
        )
        if row is None:
            raise EnrolmentTokenUnknownError(
                "this enrolment QR code is unknown, used or expired: start again on the web page",
                field="enrolment_token",
            )
        if not signature_valid(key_type, raw_key, raw_signature, message):
            raise AppSignatureInvalidError(
                "the signature does not match the public key", field="signature"
            )
        verifier = runtime.box.decrypt(row["pin_verifier_encrypted"])
        pin_ok = hmac.compare_digest(pin_proof(verifier, message), proof)
        if pin_ok:
            device_token, ocra_key = await _complete_registration(
                connection, runtime, factor_id=row["id"], key_type=key_type, raw_key=raw_key
            )
    if not pin_ok:
        # Counted outside the transaction above, which must not commit anything else.
        left = await wrong_enrolment_pin(pool, runtime, factor_id=row["id"])
        if not left:
            raise EnrolmentCancelledError(
                "wrong PIN too many times: the enrolment is cancelled; start again",
                field="pin_proof",
                attempts_left=0,
            )
        raise PinWrongError(
            "wrong PIN: type the PIN chosen on the enrolment page",
            field="pin_proof",
            attempts_left=left,
        )
    return Registration(
        device_id=row["id"],
        user_id=row["user_id"],
        device_token=device_token,
        ocra_key=ocra_key,
        ocra_suite=ocra.APP_SUITE,
    )


async def _complete_registration(
    connection: Connection,
    runtime: MfaRuntime,
    *,
    factor_id: uuid.UUID,
    key_type: str,
    raw_key: bytes,
) -> tuple[str, bytes]:
    device_token = secrets.token_urlsafe(32)
    ocra_key = secrets.token_bytes(32)
    await connection.execute(
        """UPDATE mobile_devices
              SET enrolment_token_hash = NULL, key_type = $2, public_key = $3,
                  ocra_key_encrypted = $4, device_token_hash = $5, registered_at = $6,
                  failed_pins = 0
            WHERE factor_id = $1""",
        factor_id,
        key_type,
        raw_key,
        runtime.box.encrypt(ocra_key),
        sha256(device_token),
        runtime.now(),
    )
    await factors.activate(connection, factor_id=factor_id, now=runtime.now())
    return device_token, ocra_key


class MobileAppEnrolment:
    kind = FactorKind.MOBILE_APP

    async def enrol(
        self,
        pool: asyncpg.Pool,
        runtime: MfaRuntime,
        *,
        session: Session,
        user: User,
        request: EnrolmentRequest,
    ) -> MobileEnrolment:
        return await start_enrolment(
            pool,
            runtime,
            user_id=session.user_id,
            session_hash=session.id_hash,
            account=user.email,
            name=request.needed("name"),
            pin=request.needed("pin"),
            pin_confirmation=request.needed("pin_confirmation"),
        )

    async def confirm(
        self,
        pool: asyncpg.Pool,
        runtime: MfaRuntime,  # noqa: ARG002  (the interface's: the phone already confirmed)
        *,
        session: Session,
        proof: EnrolmentProof,
    ) -> Factor:
        """The app registered itself (register_device): the browser confirms the device is
        live. EnrolmentExpiredError while it is not (still pending, or gone)."""
        factor = await factors.get_factor(
            pool, user_id=session.user_id, factor_id=proof.needed("factor_id"), kind=self.kind
        )
        if factor.status != "active":
            raise EnrolmentExpiredError(
                "the app has not finished this enrolment", field="factor_id"
            )
        return factor


ENROLMENT = MobileAppEnrolment()
