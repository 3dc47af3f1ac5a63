"""Device cookies (OWASP): a browser that signed in to an account gets a signed cookie naming a
random device nonce for that login; its wrong passwords then count in its own bucket."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

DEVICE_COOKIE = "__Host-gatehouse_device"
UNKNOWN_CLIENTS = "unknown"
MAX_COOKIE_LENGTH = 200


def _signature(key: bytes, nonce: str, email: str) -> str:
    # surrogatepass: a JSON string may hold a lone surrogate; it must not raise here.
    message = f"{nonce}:{email.strip().lower()}".encode("utf-8", "surrogatepass")
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def issue_device_cookie(key: bytes, *, email: str) -> str:
    nonce = secrets.token_urlsafe(16)
    return f"v1.{nonce}.{_signature(key, nonce, email)}"


def failure_bucket(key: bytes, *, cookie: str | None, email: str) -> str:
    """The bucket this attempt counts in: its own device's, or the unknown clients' one."""
    if not cookie or len(cookie) > MAX_COOKIE_LENGTH or not cookie.isascii():
        return UNKNOWN_CLIENTS  # issued cookies are ASCII; compare_digest refuses other text
    parts = cookie.split(".")
    if len(parts) != 3 or parts[0] != "v1":
        return UNKNOWN_CLIENTS
    if not hmac.compare_digest(_signature(key, parts[1], email), parts[2]):
        return UNKNOWN_CLIENTS  # a cookie for another login, or forged
    return f"device:{parts[1]}"
