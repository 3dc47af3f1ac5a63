"""The QR code payloads the app understands, parsed strictly: a malformed payload is refused
with a message saying what is wrong, before anything is sent anywhere.

  gatehouse://enrol?v=1&server=<https URL>&token=<enrolment token>&account=<e-mail>
  gatehouse://otp?v=1&server=<URL>&user=<user id>&challenge=<up to 10 digits>
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

MAX_PAYLOAD_LENGTH = 1000
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
CHALLENGE_PATTERN = re.compile(r"^[0-9]{4,10}$")


class PayloadError(ValueError):
    """Not a Gatehouse QR code, or a damaged one."""


@dataclass(frozen=True)
class EnrolmentPayload:
    server: str
    token: str
    account: str


@dataclass(frozen=True)
class OtpPayload:
    server: str
    user_id: uuid.UUID
    challenge: str


def _one(params: dict[str, list[str]], name: str) -> str:
    values = params.get(name)
    if not values or len(values) != 1 or not values[0]:
        raise PayloadError(f"the QR code has no single '{name}' value")
    return values[0]


def _server(value: str) -> str:
    try:
        parts = urlsplit(value)
    except ValueError as error:  # e.g. a broken IPv6 literal: still just a bad QR code
        raise PayloadError("the QR code names no valid server address") from error
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment:
        raise PayloadError("the QR code names no valid server address")
    return value.rstrip("/")


def parse_payload(text: str) -> EnrolmentPayload | OtpPayload:
    text = text.strip()
    if not text or len(text) > MAX_PAYLOAD_LENGTH:
        raise PayloadError("this is not a Gatehouse QR code (empty or too long)")
    try:
        parts = urlsplit(text)
    except ValueError as error:
        raise PayloadError("this is not a Gatehouse QR code") from error
    if parts.scheme != "gatehouse" or parts.netloc not in ("enrol", "otp") or parts.path:
        raise PayloadError("this is not a Gatehouse QR code")
    params = parse_qs(parts.query, keep_blank_values=True, strict_parsing=False)
    if _one(params, "v") != "1":
        raise PayloadError("this QR code needs a newer version of the app")
    server = _server(_one(params, "server"))
    if parts.netloc == "enrol":
        token = _one(params, "token")
        if not TOKEN_PATTERN.match(token):
            raise PayloadError("the enrolment token in the QR code is damaged")
        return EnrolmentPayload(server=server, token=token, account=_one(params, "account"))
    challenge = _one(params, "challenge")
    if not CHALLENGE_PATTERN.match(challenge):
        raise PayloadError("the challenge in the QR code is damaged")
    try:
        user_id = uuid.UUID(_one(params, "user"))
    except ValueError as error:
        raise PayloadError("the account in the QR code is damaged") from error
    return OtpPayload(server=server, user_id=user_id, challenge=challenge)
