"""Random tokens and how they are kept: 256 random bits each, only their SHA-256 stored.

A fast hash is enough for values with that much entropy (no guessing attack is feasible), and it
lets a token be found by its hash in one index lookup.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 200
# Access tokens may be JWTs (access_tokens.py): about 900 characters, more with a binding.
MAX_ACCESS_TOKEN_LENGTH = 4096
# RFC 7636 §4.1: 43 to 128 characters of [A-Z a-z 0-9 - . _ ~].
PKCE_VERIFIER_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
)


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pkce_challenge(verifier: str) -> str:
    """S256: BASE64URL(SHA256(ASCII(code_verifier)))."""
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def is_valid_pkce_verifier(verifier: str) -> bool:
    return 43 <= len(verifier) <= 128 and set(verifier) <= PKCE_VERIFIER_CHARS


def is_valid_pkce_challenge(challenge: str) -> bool:
    # An S256 challenge is the base64url of 32 bytes: exactly 43 characters.
    return len(challenge) == 43 and set(challenge) <= PKCE_VERIFIER_CHARS


def pkce_matches(verifier: str, challenge: str) -> bool:
    return is_valid_pkce_verifier(verifier) and hmac.compare_digest(
        pkce_challenge(verifier), challenge
    )


def half_hash(value: str) -> str:
    """`at_hash`/`c_hash` for RS256: base64url of the left half of SHA-256 (OIDC Core 3.1.3.6)."""
    return b64url(hashlib.sha256(value.encode("ascii")).digest()[:16])


def session_sid(session_id_hash: bytes) -> str:
    """The `sid` claim for an identity session: derived from the stored hash, so it names the
    session without revealing anything that could resume it."""
    return b64url(hashlib.sha256(b"gatehouse-sid:" + session_id_hash).digest())
