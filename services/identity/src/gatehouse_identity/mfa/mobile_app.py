"""The mobile authenticator app ("EU Login App"): enrolment by QR code, PIN push with number
matching, and offline one-time passwords from a QR challenge.

PIN design — the app proves knowledge of the PIN each time; the PIN itself never travels after
the user types it (twice) on the enrolment page:
- identity keeps `pin_verifier = SHA-256(PIN)` encrypted at rest (it is OCRA's P input);
- a push approval carries `pin_proof = HMAC-SHA256(pin_verifier, signed message)`, so a proof is
  bound to one request and worthless for any other; a wrong proof counts as a wrong PIN;
- an offline one-time password is OCRA(device key, challenge, pin_verifier): a wrong PIN gives a
  wrong password, which also counts against the device.
Five wrong PINs in a row lock the device (identity.device.locked); the user enrols it again.
A four-digit PIN has only 10,000 values, so no hash would protect a stolen verifier; encryption
at rest and the lock do. The device key pair (Ed25519 or P-256) proves possession of the phone:
every registration, approval and denial is signed.

Messages signed by the device (UTF-8, lines joined by "\\n"):
  registration: gatehouse-register-v1, enrolment token, key type, public key (base64url)
  push answer:  gatehouse-push-v1, request id, challenge (base64url), decision, number
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlencode

import asyncpg
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from gatehouse.events.v1 import identity_events_pb2 as events
from gatehouse_common.db import Connection
from gatehouse_identity.accounts.sessions import Session
from gatehouse_identity.events import emit
from gatehouse_identity.mfa import factors, ocra, recovery_codes
from gatehouse_identity.mfa.crypto import sha256
from gatehouse_identity.mfa.errors import (
    AttemptEndedError,
    ChallengeExpiredError,
    ChallengePendingError,
    ChallengeUsedError,
    DeviceLockedError,
    DeviceUnknownError,
    InvalidFactorInputError,
    MethodUnavailableError,
    MfaError,
    NotFoundError,
    WrongCodeError,
)
from gatehouse_identity.mfa.levels import FactorKind
from gatehouse_identity.mfa.runtime import Db, MfaRuntime

PIN_LENGTH = 4
OTP_DIGITS = 8
CHALLENGE_DIGITS = 10
TOKEN_BYTES = 24
MAX_TOKEN_LENGTH = 64
KEY_TYPES = ("ed25519", "p256")
BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
# How long an approved push may wait for the browser to collect it.
APPROVAL_GRACE = timedelta(seconds=60)
MAX_REQUESTS_PER_WINDOW = 5
# Answered and expired challenges are kept this long (to answer "expired" rather than
# "unknown"), then deleted.
CHALLENGE_RETENTION = timedelta(hours=1)

KeyType = Literal["ed25519", "p256"]
Decision = Literal["approve", "deny"]


# --- encoding helpers shared with the reference app (tools/authenticator) --------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def from_b64url(value: str, *, field: str, max_bytes: int) -> bytes:
    if len(value) > (max_bytes * 4) // 3 + 4:
        raise InvalidFactorInputError(f"longer than {max_bytes} bytes", field=field)
    if not BASE64URL.fullmatch(value):
        raise InvalidFactorInputError("not base64url", field=field)
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as error:
        raise InvalidFactorInputError("not base64url", field=field) from error


def registration_message(token: str, key_type: str, public_key: bytes) -> bytes:
    return "\n".join(["gatehouse-register-v1", token, key_type, b64url(public_key)]).encode()


def push_message(request_id: uuid.UUID, challenge: bytes, decision: str, number: str) -> bytes:
    return "\n".join(
        ["gatehouse-push-v1", str(request_id), b64url(challenge), decision, number]
    ).encode()


def pin_proof(pin_verifier: bytes, message: bytes) -> bytes:
    return hmac.new(pin_verifier, message, "sha256").digest()


def check_pin(pin: str, *, field: str = "pin") -> str:
    if len(pin) != PIN_LENGTH or not pin.isascii() or not pin.isdigit():
        raise InvalidFactorInputError(f"the PIN has exactly {PIN_LENGTH} digits", field=field)
    return pin


def load_public_key(
    key_type: str, raw: bytes
) -> ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey:
    if key_type == "ed25519":
        if len(raw) != 32:
            raise InvalidFactorInputError(
                "an Ed25519 public key is 32 raw bytes", field="public_key"
            )
        return ed25519.Ed25519PublicKey.from_public_bytes(raw)
    if key_type == "p256":
        if len(raw) not in (33, 65):
            raise InvalidFactorInputError(
                "a P-256 public key is an X9.62 point (33 or 65 bytes)", field="public_key"
            )
        try:
            return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
        except ValueError as error:
            raise InvalidFactorInputError("not a point on P-256", field="public_key") from error
    raise InvalidFactorInputError("key_type must be ed25519 or p256", field="key_type")


def signature_valid(key_type: str, public_key: bytes, signature: bytes, message: bytes) -> bool:
    key = load_public_key(key_type, public_key)
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, message)
        else:
            key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True


# --- enrolment ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MobileEnrolment:
    factor_id: uuid.UUID
    payload: str
    expires_at: datetime


def enrolment_payload(*, server: str, token: str, account: str) -> str:
    return "gatehouse://enrol?" + urlencode(
        {"v": "1", "server": server, "token": token, "account": account}
    )


def otp_payload(*, server: str, user_id: uuid.UUID, challenge: str) -> str:
    return "gatehouse://otp?" + urlencode(
        {"v": "1", "server": server, "user": str(user_id), "challenge": challenge}
    )


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
        raise InvalidFactorInputError("the two PINs are not the same", field="pin_confirmation")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    factor_id = uuid.uuid4()
    expires_at = runtime.now() + timedelta(seconds=runtime.settings.mobile_enrolment_ttl_s)
    async with pool.acquire() as connection, connection.transaction():
        await factors.prune_pending(connection, user_id=user_id, now=runtime.now())
        await connection.execute(
            """INSERT INTO second_factors (id, user_id, method, name, status, pending_until,
                                           enrolled_by)
               VALUES ($1, $2, 'mobile_app', $3, 'pending', $4, $5)""",
            factor_id,
            user_id,
            name,
            expires_at,
            session_hash,
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


async def first_recovery_codes(
    pool: asyncpg.Pool, *, session: Session, factor_id: uuid.UUID
) -> list[str] | None:
    """The first set of recovery codes, once the app has finished the enrolment — only for
    the session that started it (the phone, not the browser, completed it)."""
    async with pool.acquire() as connection, connection.transaction():
        started_here = await connection.fetchval(
            """SELECT 1 FROM second_factors
                WHERE id = $1 AND user_id = $2 AND status = 'active' AND enrolled_by = $3""",
            factor_id,
            session.user_id,
            session.id_hash,
        )
        if not started_here:
            return None
        return await recovery_codes.issue_first_set(connection, user_id=session.user_id)


@dataclass(frozen=True)
class Registration:
    device_id: uuid.UUID
    user_id: uuid.UUID
    device_token: str
    ocra_key: bytes
    ocra_suite: str


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
        raise InvalidFactorInputError("not an enrolment token", field="enrolment_token")
    if key_type not in KEY_TYPES:
        raise InvalidFactorInputError("key_type must be ed25519 or p256", field="key_type")
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
            raise NotFoundError(
                "this enrolment QR code is unknown, used or expired: start again on the web page",
                field="enrolment_token",
            )
        if not signature_valid(key_type, raw_key, raw_signature, message):
            raise WrongCodeError("the signature does not match the public key", field="signature")
        verifier = runtime.box.decrypt(row["pin_verifier_encrypted"])
        pin_ok = hmac.compare_digest(pin_proof(verifier, message), proof)
        if pin_ok:
            device_token, ocra_key = await _complete_registration(
                connection, runtime, factor_id=row["id"], key_type=key_type, raw_key=raw_key
            )
    if not pin_ok:
        # Counted outside the transaction above, which must not commit anything else.
        left = await _wrong_enrolment_pin(pool, runtime, factor_id=row["id"])
        raise WrongCodeError(
            "wrong PIN: type the PIN chosen on the enrolment page"
            if left
            else "wrong PIN too many times: the enrolment is cancelled; start again",
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


async def _wrong_enrolment_pin(
    pool: asyncpg.Pool, runtime: MfaRuntime, *, factor_id: uuid.UUID
) -> int:
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


# --- PIN push ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PushRequest:
    id: uuid.UUID
    number: int
    expires_at: datetime


@dataclass(frozen=True)
class PendingRequest:
    id: uuid.UUID
    challenge: bytes
    created_at: datetime
    expires_at: datetime
    origin_ip: str | None
    origin_user_agent: str | None


async def _active_devices(db: Db, *, user_id: uuid.UUID) -> list[asyncpg.Record]:
    return await db.fetch(
        """SELECT f.id, f.name, d.key_type, d.public_key, d.pin_verifier_encrypted,
                  d.ocra_key_encrypted
             FROM second_factors f JOIN mobile_devices d ON d.factor_id = f.id
            WHERE f.user_id = $1 AND f.status = 'active'""",
        user_id,
    )


async def create_push(
    pool: asyncpg.Pool,
    runtime: MfaRuntime,
    *,
    session: Session,
    ip_address: str | None,
    user_agent: str | None,
) -> PushRequest:
    if not await _active_devices(pool, user_id=session.user_id):
        raise MethodUnavailableError(
            "no mobile device is registered (or it is locked)", field="method"
        )
    request_id = uuid.uuid4()
    number = 10 + secrets.randbelow(90)
    expires_at = runtime.now() + timedelta(seconds=runtime.settings.mobile_request_ttl_s)
    await _limit_challenges(pool, runtime, session=session, kind="push")
    await pool.execute(
        """INSERT INTO mfa_challenges (id, user_id, session_hash, kind, challenge, number,
                                       origin_ip, origin_user_agent, created_at, expires_at)
           VALUES ($1, $2, $3, 'push', $4, $5, $6, $7, $8, $9)""",
        request_id,
        session.user_id,
        session.id_hash,
        secrets.token_bytes(32),
        number,
        ip_address,
        (user_agent or "")[:300],
        runtime.now(),
        expires_at,
    )
    return PushRequest(id=request_id, number=number, expires_at=expires_at)


class TooManyRequestsError(MfaError):
    status_code = 429
    code = "too_many_requests"


async def _limit_challenges(
    pool: asyncpg.Pool, runtime: MfaRuntime, *, session: Session, kind: str
) -> None:
    """At most a few requests per sign-in attempt and lifetime: a flood of pushes is how
    "MFA fatigue" attacks wear users down. A new request replaces the attempt's earlier ones,
    so the app never shows two for one sign-in. Old rows of the user are cleared on the way."""
    now = runtime.now()
    window = timedelta(seconds=runtime.settings.mobile_request_ttl_s)
    recent = await pool.fetchval(
        """SELECT count(*) FROM mfa_challenges
            WHERE session_hash = $1 AND kind = $2 AND created_at > $3""",
        session.id_hash,
        kind,
        now - window,
    )
    if recent >= MAX_REQUESTS_PER_WINDOW:
        raise TooManyRequestsError("too many requests: wait a minute and try again", field="method")
    await pool.execute(
        """UPDATE mfa_challenges SET status = 'used'
            WHERE session_hash = $1 AND kind = $2 AND status = 'pending'""",
        session.id_hash,
        kind,
    )
    await pool.execute(
        "DELETE FROM mfa_challenges WHERE user_id = $1 AND expires_at < $2",
        session.user_id,
        now - CHALLENGE_RETENTION,
    )


async def _device_by_token(db: Db, *, device_token: str) -> asyncpg.Record:
    if not device_token or len(device_token) > MAX_TOKEN_LENGTH:
        raise DeviceUnknownError("unknown device: enrol it again", field="authorization")
    row = await db.fetchrow(
        """SELECT f.id, f.user_id, f.status FROM mobile_devices d
             JOIN second_factors f ON f.id = d.factor_id
            WHERE d.device_token_hash = $1""",
        sha256(device_token),
    )
    if row is None:
        raise DeviceUnknownError("unknown device: enrol it again", field="authorization")
    if row["status"] == "locked":
        raise DeviceLockedError("this device is locked after too many wrong PINs: enrol it again")
    return row


async def pending_requests(
    pool: asyncpg.Pool, runtime: MfaRuntime, *, device_token: str
) -> list[PendingRequest]:
    """What the app lists: pending requests of its user, with where they come from."""
    device = await _device_by_token(pool, device_token=device_token)
    rows = await pool.fetch(
        """SELECT id, challenge, created_at, expires_at, origin_ip, origin_user_agent
             FROM mfa_challenges
            WHERE user_id = $1 AND kind = 'push' AND status = 'pending' AND expires_at > $2
            ORDER BY created_at""",
        device["user_id"],
        runtime.now(),
    )
    return [
        PendingRequest(
            id=row["id"],
            challenge=bytes(row["challenge"]),
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            origin_ip=row["origin_ip"],
            origin_user_agent=row["origin_user_agent"],
        )
        for row in rows
    ]


async def answer_push(
    pool: asyncpg.Pool,
    runtime: MfaRuntime,
    *,
    request_id: uuid.UUID,
    device_token: str,
    decision: Decision,
    number: str,
    pin_proof_value: str | None,
    signature: str,
) -> str:
    """The app approves (PIN + the number shown in the browser) or denies a request, signed by
    its key. Returns the request's new status."""
    raw_signature = from_b64url(signature, field="signature", max_bytes=200)
    proof = (
        from_b64url(pin_proof_value, field="pin_proof", max_bytes=64) if pin_proof_value else None
    )
    if decision == "approve" and (len(number) != 2 or not number.isascii() or not number.isdigit()):
        raise InvalidFactorInputError(
            "type the two-digit number shown in the browser", field="number"
        )
    if decision == "approve" and proof is None:
        raise InvalidFactorInputError("an approval needs the PIN proof", field="pin_proof")
    device = await _device_by_token(pool, device_token=device_token)
    key_row = await pool.fetchrow(
        """SELECT key_type, public_key, pin_verifier_encrypted, ocra_key_encrypted
             FROM mobile_devices WHERE factor_id = $1""",
        device["id"],
    )
    request = await pool.fetchrow(
        """SELECT id, challenge, number, status, expires_at FROM mfa_challenges
            WHERE id = $1 AND user_id = $2 AND kind = 'push'""",
        request_id,
        device["user_id"],
    )
    if request is None or key_row is None:
        raise NotFoundError("no such request for this device", field="request_id")
    message = push_message(request_id, bytes(request["challenge"]), decision, number)
    if not signature_valid(
        key_row["key_type"], bytes(key_row["public_key"]), raw_signature, message
    ):
        raise WrongCodeError("the signature does not match this request", field="signature")
    if request["status"] != "pending":
        raise ChallengeUsedError("this request was already answered", field="request_id")
    if request["expires_at"] <= runtime.now():
        raise ChallengeExpiredError("this request has expired: sign in again", field="request_id")
    if decision == "deny":
        await _settle(
            pool, request_id=request_id, status="denied", device_id=device["id"], runtime=runtime
        )
        return "denied"
    verifier = runtime.box.decrypt(key_row["pin_verifier_encrypted"])
    assert proof is not None  # noqa: S101  (checked above for approvals)
    if not hmac.compare_digest(pin_proof(verifier, message), proof):
        left = await wrong_pin(pool, runtime, device_id=device["id"])
        if left == 0:
            raise DeviceLockedError(
                "wrong PIN too many times: this device is locked; enrol it again", field="pin"
            )
        raise WrongCodeError("wrong PIN", field="pin", attempts_left=left)
    await _right_pin(pool, runtime, device_id=device["id"], secrets_row=key_row)
    if not hmac.compare_digest(number, str(request["number"])):
        # Number matching: the user is approving a request they did not start (or mistyped).
        # The request is cancelled so that it cannot be approved by trying numbers.
        await _settle(
            pool, request_id=request_id, status="rejected", device_id=device["id"], runtime=runtime
        )
        raise WrongCodeError(
            "the number does not match the one shown in the browser; the request is cancelled",
            field="number",
        )
    return await _settle(
        pool, request_id=request_id, status="approved", device_id=device["id"], runtime=runtime
    )


async def _settle(
    pool: asyncpg.Pool,
    *,
    request_id: uuid.UUID,
    status: str,
    device_id: uuid.UUID,
    runtime: MfaRuntime,
) -> str:
    """Answer a pending request once: a replayed or parallel second answer finds it settled."""
    settled = await pool.fetchval(
        """UPDATE mfa_challenges SET status = $2, factor_id = $3, answered_at = $4
            WHERE id = $1 AND status = 'pending' AND expires_at > $4
        RETURNING status""",
        request_id,
        status,
        device_id,
        runtime.now(),
    )
    if settled is None:
        raise ChallengeUsedError(
            "this request was already answered or has expired", field="request_id"
        )
    return str(settled)


async def _right_pin(
    db: Db, runtime: MfaRuntime, *, device_id: uuid.UUID, secrets_row: asyncpg.Record
) -> None:
    """The PIN was right: reset the count of wrong ones, and re-encrypt the device's secrets
    with the newest key if an older one still protects them (key rotation)."""
    pin = runtime.box.rotated(secrets_row["pin_verifier_encrypted"])
    key = runtime.box.rotated(secrets_row["ocra_key_encrypted"])
    await db.execute(
        """UPDATE mobile_devices
              SET failed_pins = 0,
                  pin_verifier_encrypted = COALESCE($2, pin_verifier_encrypted),
                  ocra_key_encrypted = COALESCE($3, ocra_key_encrypted)
            WHERE factor_id = $1""",
        device_id,
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


async def challenge_status(
    db: Db,
    runtime: MfaRuntime,
    *,
    session: Session,
    challenge_id: uuid.UUID,
) -> str:
    """What the waiting browser polls: pending, approved, denied, rejected, used or expired."""
    row = await db.fetchrow(
        """SELECT status, expires_at FROM mfa_challenges
            WHERE id = $1 AND session_hash = $2 AND kind IN ('push', 'qr')""",
        challenge_id,
        session.id_hash,
    )
    if row is None:
        raise NotFoundError("no such request in this sign-in", field="challenge_id")
    if row["status"] == "pending" and row["expires_at"] <= runtime.now():
        return "expired"
    return str(row["status"])


async def complete_push(
    connection: Connection,
    runtime: MfaRuntime,
    *,
    session: Session,
    challenge_id: uuid.UUID,
) -> tuple[str, ...]:
    """The browser collects an approval: used once, by the session that asked for it."""
    row = await connection.fetchrow(
        """SELECT status, expires_at, factor_id FROM mfa_challenges
            WHERE id = $1 AND session_hash = $2 AND kind = 'push' FOR UPDATE""",
        challenge_id,
        session.id_hash,
    )
    if row is None:
        raise NotFoundError("no such request in this sign-in", field="challenge_id")
    status, now = row["status"], runtime.now()
    if status == "pending":
        if row["expires_at"] <= now:
            raise ChallengeExpiredError("the request expired: send a new one", field="challenge_id")
        raise ChallengePendingError("not approved on the device yet", field="challenge_id")
    if status == "used":
        raise ChallengeUsedError("this approval was already used", field="challenge_id")
    if status == "denied":
        raise AttemptEndedError("the request was denied on the device", field="challenge_id")
    if status == "rejected":
        raise WrongCodeError(
            "the number typed in the app did not match: send a new request", field="challenge_id"
        )
    if row["expires_at"] + APPROVAL_GRACE <= now:
        raise ChallengeExpiredError(
            "the approval expired: send a new request", field="challenge_id"
        )
    await connection.execute(
        "UPDATE mfa_challenges SET status = 'used' WHERE id = $1", challenge_id
    )
    await connection.execute(
        "UPDATE second_factors SET last_used_at = $2 WHERE id = $1", row["factor_id"], now
    )
    return ("swk", "pin")


# --- QR code, offline one-time password -------------------------------------------------------


@dataclass(frozen=True)
class QrChallenge:
    id: uuid.UUID
    payload: str
    expires_at: datetime


async def create_qr(pool: asyncpg.Pool, runtime: MfaRuntime, *, session: Session) -> QrChallenge:
    if not await _active_devices(pool, user_id=session.user_id):
        raise MethodUnavailableError(
            "no mobile device is registered (or it is locked)", field="method"
        )
    challenge_id = uuid.uuid4()
    question = "".join(str(secrets.randbelow(10)) for _ in range(CHALLENGE_DIGITS))
    await _limit_challenges(pool, runtime, session=session, kind="qr")
    expires_at = runtime.now() + timedelta(seconds=runtime.settings.mobile_request_ttl_s)
    await pool.execute(
        """INSERT INTO mfa_challenges (id, user_id, session_hash, kind, challenge, created_at,
                                       expires_at)
           VALUES ($1, $2, $3, 'qr', $4, $5, $6)""",
        challenge_id,
        session.user_id,
        session.id_hash,
        question.encode(),
        runtime.now(),
        expires_at,
    )
    payload = otp_payload(
        server=runtime.settings.public_url, user_id=session.user_id, challenge=question
    )
    return QrChallenge(id=challenge_id, payload=payload, expires_at=expires_at)


async def pending_qr(
    pool: asyncpg.Pool, runtime: MfaRuntime, *, session: Session, challenge_id: uuid.UUID
) -> QrChallenge | None:
    """A QR challenge of this sign-in that can still be answered (to show it again after a
    mistyped password, rather than making the user scan a new one)."""
    row = await pool.fetchrow(
        """SELECT challenge, expires_at FROM mfa_challenges
            WHERE id = $1 AND session_hash = $2 AND kind = 'qr' AND status = 'pending'
              AND expires_at > $3""",
        challenge_id,
        session.id_hash,
        runtime.now(),
    )
    if row is None:
        return None
    payload = otp_payload(
        server=runtime.settings.public_url,
        user_id=session.user_id,
        challenge=bytes(row["challenge"]).decode(),
    )
    return QrChallenge(id=challenge_id, payload=payload, expires_at=row["expires_at"])


def check_otp(code: str) -> str:
    compact = "".join(code.split()).replace("-", "")
    if len(compact) != OTP_DIGITS or not compact.isascii() or not compact.isdigit():
        raise InvalidFactorInputError(
            f"the one-time password from the app has {OTP_DIGITS} digits", field="code"
        )
    return compact


async def verify_qr(
    connection: Connection,
    runtime: MfaRuntime,
    *,
    session: Session,
    challenge_id: uuid.UUID,
    code: str,
) -> tuple[str, ...]:
    code = check_otp(code)
    row = await connection.fetchrow(
        """SELECT challenge, status, expires_at FROM mfa_challenges
            WHERE id = $1 AND session_hash = $2 AND kind = 'qr' FOR UPDATE""",
        challenge_id,
        session.id_hash,
    )
    if row is None:
        raise NotFoundError("no such QR code in this sign-in", field="challenge_id")
    if row["status"] != "pending":
        raise ChallengeUsedError(
            "this QR code was already used: show a new one", field="challenge_id"
        )
    if row["expires_at"] <= runtime.now():
        raise ChallengeExpiredError(
            "this QR code has expired: show a new one", field="challenge_id"
        )
    question = bytes(row["challenge"]).decode()
    for device in await _active_devices(connection, user_id=session.user_id):
        expected = ocra.ocra(
            ocra.APP_SUITE,
            runtime.box.decrypt(device["ocra_key_encrypted"]),
            question=question,
            pin_digest_value=runtime.box.decrypt(device["pin_verifier_encrypted"]),
        )
        if hmac.compare_digest(expected, code):
            await connection.execute(
                """UPDATE mfa_challenges SET status = 'used', answered_at = $2, factor_id = $3
                    WHERE id = $1""",
                challenge_id,
                runtime.now(),
                device["id"],
            )
            await _right_pin(connection, runtime, device_id=device["id"], secrets_row=device)
            await connection.execute(
                "UPDATE second_factors SET last_used_at = $2 WHERE id = $1",
                device["id"],
                runtime.now(),
            )
            return ("otp", "pin")
    raise WrongCodeError(
        "the one-time password is wrong (check the PIN typed in the app)", field="code"
    )


async def wrong_qr_password(pool: asyncpg.Pool, runtime: MfaRuntime, *, user_id: uuid.UUID) -> None:
    """A wrong app password most likely means a wrong PIN in the app: count it on each of the
    user's devices, so guessing PINs through QR codes also ends in a lock."""
    for device in await _active_devices(pool, user_id=user_id):
        await wrong_pin(pool, runtime, device_id=device["id"])
