"""Secrets at rest and one-time codes: MultiFernet encryption with rotatable keys, and hashing.

TOTP secrets, device OCRA keys and PIN verifiers must be readable by identity (it recomputes
codes), so they are encrypted, not hashed. One-time codes (SMS, recovery codes, tokens) only
need comparing, so only a hash is kept.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class SecretBoxError(Exception):
    """A stored secret could not be decrypted with any configured key."""


def derived_key(secret_key: str) -> bytes:
    """A Fernet key derived from SECRET_KEY, used when no explicit keys are configured (and
    always kept last for decryption, so moving to explicit keys loses nothing)."""
    raw = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"gatehouse second-factor secrets"
    ).derive(secret_key.encode())
    return base64.urlsafe_b64encode(raw)


class SecretBox:
    """Encrypts with the newest key; decrypts with any of them."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is needed")
        try:
            self._fernets = [Fernet(key) for key in keys]
        except ValueError as error:
            raise ValueError(
                "SECOND_FACTOR_ENCRYPTION_KEYS: each key must be 32 url-safe base64-encoded bytes"
                " (Fernet.generate_key())"
            ) from error
        self._multi = MultiFernet(self._fernets)

    @classmethod
    def from_settings(cls, configured: str, secret_key: str) -> SecretBox:
        keys = [part.strip().encode() for part in configured.split(",") if part.strip()]
        fallback = derived_key(secret_key)
        if fallback not in keys:
            keys.append(fallback)
        return cls(keys)

    def encrypt(self, plaintext: bytes) -> bytes:
        return self._multi.encrypt(plaintext)

    def decrypt(self, token: bytes) -> bytes:
        try:
            return self._multi.decrypt(bytes(token))
        except InvalidToken as error:
            raise SecretBoxError("no configured key decrypts this secret") from error

    def rotated(self, token: bytes) -> bytes | None:
        """The secret re-encrypted with the newest key, or None if it already is."""
        try:
            self._fernets[0].decrypt(bytes(token))
        except InvalidToken:
            try:
                return self._multi.rotate(bytes(token))
            except InvalidToken as error:
                raise SecretBoxError("no configured key decrypts this secret") from error
        return None


def sha256(value: bytes | str) -> bytes:
    data = value.encode() if isinstance(value, str) else value
    return hashlib.sha256(data).digest()


def keyed_hash(key: bytes, value: str) -> bytes:
    """HMAC-SHA256: short codes (6 digits) are hashed with a server key, so a copy of the table
    alone does not give them away by enumerating a million candidates."""
    return hmac.new(key, value.encode(), hashlib.sha256).digest()


def same(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)
