"""The authenticator app's logic: enrol, list and answer push requests, offline passwords.

Protocol (the server's side is gatehouse_identity.mfa.mobile_app):
- pin_verifier = SHA-256(PIN); pin_proof = HMAC-SHA256(pin_verifier, message). The PIN is not
  stored and not sent; a proof is bound to its message, so it is useless for anything else.
- every message the device sends is signed with its private key (Ed25519 or ECDSA P-256):
    registration: "gatehouse-register-v1\\n<token>\\n<key type>\\n<public key b64url>"
    push answer:  "gatehouse-push-v1\\n<request id>\\n<challenge b64url>\\n<decision>\\n<number>"
- offline password: OCRA(suite, ocra key, challenge, pin_verifier).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from gatehouse_authenticator.ocra import ocra, pin_hash
from gatehouse_authenticator.payloads import EnrolmentPayload, OtpPayload, parse_payload
from gatehouse_authenticator.store import Device, DeviceStore

KeyType = Literal["ed25519", "p256"]
PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey


class AuthenticatorError(Exception):
    """Something the user must act on (wrong PIN, unknown account, ...)."""


class ServerError(AuthenticatorError):
    """The server refused a request; `status` and `body` say why."""

    def __init__(self, status: int, body: Any) -> None:
        detail = body.get("detail") if isinstance(body, dict) else body
        super().__init__(f"the server answered {status}: {detail}")
        self.status = status
        self.body = body


@dataclass(frozen=True)
class PendingRequest:
    request_id: uuid.UUID
    challenge: bytes
    created_at: datetime
    expires_at: datetime
    origin_ip: str | None
    origin_browser: str | None
    service: str
    device: Device

    def describe(self) -> str:
        """Where the request comes from, as the app shows it before asking for the PIN."""
        return (
            f"{self.service}: sign-in of {self.device.account} from {self.origin_ip or 'unknown'}"
            f" ({self.origin_browser or 'unknown browser'}), expires {self.expires_at:%H:%M:%S}"
        )


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def from_b64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def check_pin(pin: str) -> str:
    if len(pin) != 4 or not pin.isascii() or not pin.isdigit():
        raise AuthenticatorError("the PIN has 4 digits")
    return pin


def pin_proof(pin: str, message: bytes) -> str:
    return b64url(hmac.new(pin_hash(check_pin(pin)), message, hashlib.sha256).digest())


def generate_key(key_type: KeyType) -> PrivateKey:
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    return ec.generate_private_key(ec.SECP256R1())


def public_key_bytes(key: PrivateKey) -> bytes:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
    return key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def sign(key: PrivateKey, message: bytes) -> str:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return b64url(key.sign(message))
    return b64url(key.sign(message, ec.ECDSA(hashes.SHA256())))


def load_private_key(device: Device) -> PrivateKey:
    key = serialization.load_pem_private_key(device.private_key_pem.encode(), password=None)
    if not isinstance(key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey):
        raise AuthenticatorError("the stored device key has an unsupported type")
    return key


def registration_message(token: str, key_type: str, public_key: bytes) -> bytes:
    return "\n".join(["gatehouse-register-v1", token, key_type, b64url(public_key)]).encode()


def push_message(request_id: uuid.UUID, challenge: bytes, decision: str, number: str) -> bytes:
    lines = ["gatehouse-push-v1", str(request_id), b64url(challenge), decision, number]
    return "\n".join(lines).encode()


class Authenticator:
    def __init__(
        self,
        store: DeviceStore | None = None,
        *,
        http: httpx.Client | None = None,
        key_type: KeyType = "ed25519",
    ) -> None:
        self.store = store or DeviceStore()
        self._http = http or httpx.Client(timeout=15)
        self.key_type = key_type

    # --- network ---------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        url: str,
        *,
        json: dict[str, Any] | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = self._http.request(method, url, json=json, headers=headers)
        except httpx.HTTPError as error:
            raise AuthenticatorError(f"cannot reach the server: {error}") from error
        try:
            body = response.json()
        except ValueError:
            body = response.text
        if response.status_code >= 400:
            raise ServerError(response.status_code, body)
        if not isinstance(body, dict):
            raise AuthenticatorError("the server's answer is not understood")
        return body

    # --- enrolment -----------------------------------------------------------------------------

    def enrol(self, payload_text: str, *, pin: str) -> Device:
        """Consume the enrolment QR code: new key pair, registration, PIN proof."""
        payload = parse_payload(payload_text)
        if not isinstance(payload, EnrolmentPayload):
            raise AuthenticatorError("this QR code is for signing in, not for adding a device")
        key = generate_key(self.key_type)
        public = public_key_bytes(key)
        message = registration_message(payload.token, self.key_type, public)
        body = self._call(
            "POST",
            f"{payload.server}/api/v1/mobile-app/registrations",
            json={
                "enrolment_token": payload.token,
                "key_type": self.key_type,
                "public_key": b64url(public),
                "pin_proof": pin_proof(pin, message),
                "signature": sign(key, message),
            },
        )
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        device = Device(
            device_id=uuid.UUID(body["device_id"]),
            user_id=uuid.UUID(body["user_id"]),
            server=payload.server,
            account=payload.account,
            device_token=body["device_token"],
            key_type=self.key_type,
            private_key_pem=pem,
            ocra_key=body["ocra_key"],
            ocra_suite=body["ocra_suite"],
        )
        self.store.add(device)
        return device

    # --- PIN push ------------------------------------------------------------------------------

    def pending_requests(self, device: Device | None = None) -> list[PendingRequest]:
        """Pending sign-in requests for every registered account (or one device)."""
        found = []
        for each in [device] if device else self.store.all():
            body = self._call(
                "GET", f"{each.server}/api/v1/mobile-app/requests", token=each.device_token
            )
            found += [
                PendingRequest(
                    request_id=uuid.UUID(item["request_id"]),
                    challenge=from_b64url(item["challenge"]),
                    created_at=datetime.fromisoformat(item["created_at"]),
                    expires_at=datetime.fromisoformat(item["expires_at"]),
                    origin_ip=item.get("origin_ip"),
                    origin_browser=item.get("origin_browser"),
                    service=item.get("service", ""),
                    device=each,
                )
                for item in body.get("requests", [])
            ]
        return found

    def approve(self, request: PendingRequest, *, pin: str, number: str) -> str:
        """Approve with the PIN and the number the browser shows (number matching)."""
        return self._answer(request, "approve", pin=pin, number=number)

    def deny(self, request: PendingRequest) -> str:
        return self._answer(request, "deny", pin=None, number="")

    def _answer(
        self, request: PendingRequest, decision: str, *, pin: str | None, number: str
    ) -> str:
        device = request.device
        message = push_message(request.request_id, request.challenge, decision, number)
        body = self._call(
            "POST",
            f"{device.server}/api/v1/mobile-app/requests/{request.request_id}/answer",
            token=device.device_token,
            json={
                "decision": decision,
                "number": number,
                "pin_proof": pin_proof(pin, message) if pin is not None else None,
                "signature": sign(load_private_key(device), message),
            },
        )
        return str(body["status"])

    # --- QR code, offline ------------------------------------------------------------------------

    def one_time_password(self, payload_text: str, *, pin: str) -> str:
        """The password for a sign-in QR code. Offline: nothing is sent anywhere."""
        payload = parse_payload(payload_text)
        if not isinstance(payload, OtpPayload):
            raise AuthenticatorError("this QR code is for adding a device, not for signing in")
        device = self.device_for(payload)
        inputs = device.ocra_suite.split(":")[-1].split("-")
        pin_algorithm = next((f[1:] for f in inputs if f.startswith("P")), "SHA256")
        return ocra(
            device.ocra_suite,
            from_b64url(device.ocra_key),
            payload.challenge,
            pin_digest=pin_hash(check_pin(pin), pin_algorithm),
        )

    def device_for(self, payload: OtpPayload) -> Device:
        for device in self.store.all():
            if device.server == payload.server and device.user_id == payload.user_id:
                return device
        raise AuthenticatorError("this app is not registered for that account")
