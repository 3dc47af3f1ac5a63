"""The app's wire format, shared with the reference app (tools/authenticator): base64url, the
messages the device signs, the PIN proof, public keys and the QR payloads. Malformed input is an
AppRequestMalformedError naming the field (never a 500)."""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import uuid
from typing import Literal
from urllib.parse import urlencode

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from gatehouse_identity.mfa.errors import AppRequestMalformedError, PinMalformedError

PIN_LENGTH = 4
KEY_TYPES = ("ed25519", "p256")
BASE64URL = re.compile(r"[A-Za-z0-9_-]*")

KeyType = Literal["ed25519", "p256"]
Decision = Literal["approve", "deny"]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def from_b64url(value: str, *, field: str, max_bytes: int) -> bytes:
    if len(value) > (max_bytes * 4) // 3 + 4:
        raise AppRequestMalformedError(f"longer than {max_bytes} bytes", field=field)
    if not BASE64URL.fullmatch(value):
        raise AppRequestMalformedError("not base64url", field=field)
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as error:
        raise AppRequestMalformedError("not base64url", field=field) from error


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
        raise PinMalformedError(
            f"the PIN has exactly {PIN_LENGTH} digits", field=field, digits=PIN_LENGTH
        )
    return pin


def load_public_key(
    key_type: str, raw: bytes
) -> ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey:
    if key_type == "ed25519":
        if len(raw) != 32:
            raise AppRequestMalformedError(
                "an Ed25519 public key is 32 raw bytes", field="public_key"
            )
        return ed25519.Ed25519PublicKey.from_public_bytes(raw)
    if key_type == "p256":
        if len(raw) not in (33, 65):
            raise AppRequestMalformedError(
                "a P-256 public key is an X9.62 point (33 or 65 bytes)", field="public_key"
            )
        try:
            return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
        except ValueError as error:
            raise AppRequestMalformedError("not a point on P-256", field="public_key") from error
    raise AppRequestMalformedError("key_type must be ed25519 or p256", field="key_type")


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


def enrolment_payload(*, server: str, token: str, account: str) -> str:
    return "gatehouse://enrol?" + urlencode(
        {"v": "1", "server": server, "token": token, "account": account}
    )


def otp_payload(*, server: str, user_id: uuid.UUID, challenge: str) -> str:
    return "gatehouse://otp?" + urlencode(
        {"v": "1", "server": server, "user": str(user_id), "challenge": challenge}
    )
