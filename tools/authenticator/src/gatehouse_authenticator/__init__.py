"""Reference authenticator app for Gatehouse: plays the phone's part.

- `Authenticator.enrol(payload, pin)`: consume the enrolment QR code, create a key pair,
  register the public key and prove the PIN.
- `Authenticator.pending_requests()`, `.approve(request, pin=..., number=...)`, `.deny(...)`:
  PIN push with number matching; every answer is signed by the device key.
- `Authenticator.one_time_password(payload, pin)`: offline OCRA (RFC 6287) password from the QR
  challenge shown in the browser; needs no network.
"""

from gatehouse_authenticator.app import (
    Authenticator,
    AuthenticatorError,
    PendingRequest,
    ServerError,
)
from gatehouse_authenticator.payloads import (
    EnrolmentPayload,
    OtpPayload,
    PayloadError,
    parse_payload,
)
from gatehouse_authenticator.store import Device, DeviceStore

__all__ = [
    "Authenticator",
    "AuthenticatorError",
    "Device",
    "DeviceStore",
    "EnrolmentPayload",
    "OtpPayload",
    "PayloadError",
    "PendingRequest",
    "ServerError",
    "parse_payload",
]
