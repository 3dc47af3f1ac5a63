"""Adding a device: the browser starts it (a name and the PIN, typed twice), the app scans the
QR code and registers its public key with a proof of the PIN (`register_device`), and the
browser, which polls `enrolment_status`, finishes it (`ENROLMENT.confirm`)."""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.db import Database
from gatehouse_identity.accounts.models import User
from gatehouse_identity.mfa import factors
from gatehouse_identity.mfa import queries as factor_rows
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
from gatehouse_identity.mfa.mobile_app import ocra, queries
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
    database: Database,
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
    async with database.transaction() as connection:
        await factor_rows.prune_pending(connection, user_id=user_id, now=runtime.now())
        await factors.add_pending(
            connection,
            factor_id=factor_id,
            user_id=user_id,
            kind=FactorKind.MOBILE_APP,
            name=name,
            pending_until=expires_at,
            enrolled_by=session_hash,
        )
        await queries.add_enrolling_device(
            connection,
            factor_id=factor_id,
            enrolment_token_hash=sha256(token),
            pin_verifier_encrypted=runtime.box.encrypt(ocra.pin_hash(pin)),
        )
    payload = enrolment_payload(server=runtime.settings.public_url, token=token, account=account)
    return MobileEnrolment(factor_id=factor_id, payload=payload, expires_at=expires_at)


async def enrolment_status(
    database: Database, runtime: MfaRuntime, *, user_id: uuid.UUID, factor_id: uuid.UUID
) -> str:
    """pending, active, locked or expired: what the enrolment page polls."""
    async with database.connection() as connection:
        factor = await factors.get_factor(
            connection, user_id=user_id, factor_id=factor_id, kind=FactorKind.MOBILE_APP
        )
    if (
        factor.status == "pending"
        and factor.pending_until
        and factor.pending_until <= runtime.now()
    ):
        return "expired"
    return factor.status


async def register_device(
    database: Database,
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
    async with database.transaction() as connection:
        pending = await queries.pending_registration(
            connection, enrolment_token_hash=sha256(enrolment_token), now=runtime.now()
        )
        if pending is None:
            raise EnrolmentTokenUnknownError(
                "this enrolment QR code is unknown, used or expired: start again on the web page",
                field="enrolment_token",
            )
        if not signature_valid(key_type, raw_key, raw_signature, message):
            raise AppSignatureInvalidError(
                "the signature does not match the public key", field="signature"
            )
        verifier = runtime.box.decrypt(pending.pin_verifier_encrypted)
        pin_ok = hmac.compare_digest(pin_proof(verifier, message), proof)
        if pin_ok:
            device_token, ocra_key = await _complete_registration(
                connection, runtime, factor_id=pending.factor_id, key_type=key_type, raw_key=raw_key
            )
    if not pin_ok:
        # Counted outside the transaction above, which must not commit anything else.
        left = await wrong_enrolment_pin(database, runtime, factor_id=pending.factor_id)
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
        device_id=pending.factor_id,
        user_id=pending.user_id,
        device_token=device_token,
        ocra_key=ocra_key,
        ocra_suite=ocra.APP_SUITE,
    )


async def _complete_registration(
    connection: AsyncConnection,
    runtime: MfaRuntime,
    *,
    factor_id: uuid.UUID,
    key_type: str,
    raw_key: bytes,
) -> tuple[str, bytes]:
    device_token = secrets.token_urlsafe(32)
    ocra_key = secrets.token_bytes(32)
    await queries.register_device(
        connection,
        factor_id=factor_id,
        key_type=key_type,
        public_key=raw_key,
        ocra_key_encrypted=runtime.box.encrypt(ocra_key),
        device_token_hash=sha256(device_token),
        now=runtime.now(),
    )
    await factors.activate(connection, factor_id=factor_id, now=runtime.now())
    return device_token, ocra_key


class MobileAppEnrolment:
    kind = FactorKind.MOBILE_APP

    async def enrol(
        self,
        database: Database,
        runtime: MfaRuntime,
        *,
        session: Session,
        user: User,
        request: EnrolmentRequest,
    ) -> MobileEnrolment:
        return await start_enrolment(
            database,
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
        database: Database,
        runtime: MfaRuntime,  # noqa: ARG002  (the interface's: the phone already confirmed)
        *,
        session: Session,
        proof: EnrolmentProof,
    ) -> Factor:
        """The app registered itself (register_device): the browser confirms the device is
        live. EnrolmentExpiredError while it is not (still pending, or gone)."""
        async with database.connection() as connection:
            factor = await factors.get_factor(
                connection,
                user_id=session.user_id,
                factor_id=proof.needed("factor_id"),
                kind=self.kind,
            )
        if factor.status != "active":
            raise EnrolmentExpiredError(
                "the app has not finished this enrolment", field="factor_id"
            )
        return factor


ENROLMENT = MobileAppEnrolment()
