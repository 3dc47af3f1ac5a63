"""Signing keys for ID tokens, logout tokens and JWT access tokens, and the JWKS that publishes
them.

Two sources, chosen by settings:

- **Files** (`OIDC_SIGNING_KEY_FILES`): PEM RSA private keys; the first signs, the others are only
  published so tokens they signed still verify. Rotation is an operator's job: put the new file
  first, keep the old one listed until its tokens have expired, restart.
- **Database** (default): RSA keys generated here, the private half encrypted with Fernet
  (`OIDC_KEY_ENCRYPTION_KEYS`, or a key derived from SECRET_KEY) in `oidc_signing_keys`. Each key
  signs for `OIDC_KEY_ROTATION_S`; its successor is generated and published
  `OIDC_KEY_PUBLISH_LEAD_S` before it starts signing, and a retired key stays in the JWKS until
  every token it signed has expired. Replicas agree through an advisory lock.

Keys are cached in memory for a few seconds, so a rotation reaches every replica quickly.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.db import Database
from gatehouse_identity.oidc import key_queries as queries
from gatehouse_identity.settings import OidcSettings

logger = logging.getLogger(__name__)

ALGORITHM = "RS256"
RSA_KEY_BITS = 2048
CACHE_TTL_S = 5.0
CLOCK_SKEW = timedelta(seconds=5)
# Keys stay published this much longer than the longest-lived token they signed.
PUBLISH_MARGIN = timedelta(minutes=10)
LOGOUT_TOKEN_TTL = timedelta(minutes=2)
ADVISORY_LOCK_KEY = 0x6F696463  # "oidc": serialises key generation across replicas


class NoSigningKeyError(RuntimeError):
    pass


@dataclass(frozen=True)
class KeyRecord:
    kid: str
    key: RSAKey
    sign_from: datetime
    sign_until: datetime
    publish_until: datetime


def key_encryption(secret_key: str, configured: str) -> MultiFernet:
    """The Fernet keys that protect private keys at rest (newest first)."""
    keys = [part.strip() for part in configured.split(",") if part.strip()]
    if not keys:
        derived = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=None,
            info=b"gatehouse-identity oidc signing keys",
        ).derive(secret_key.encode())
        keys = [base64.urlsafe_b64encode(derived).decode()]
    return MultiFernet([Fernet(key) for key in keys])


def generate_key() -> RSAKey:
    key = RSAKey.generate_key(RSA_KEY_BITS, auto_kid=True)
    return RSAKey.import_key(
        key.as_dict(private=True) | {"use": "sig", "alg": ALGORITHM, "kid": key.thumbprint()}
    )


def public_jwk(key: RSAKey) -> dict[str, Any]:
    return {**key.as_dict(private=False), "use": "sig", "alg": ALGORITHM, "kid": key.kid}


class KeyStore:
    def __init__(self, database: Database, settings: OidcSettings, *, secret_key: str) -> None:
        self._database = database
        self._settings = settings
        configured = settings.oidc_key_encryption_keys
        self._fernet = key_encryption(
            secret_key, configured.get_secret_value() if configured else ""
        )
        self._records: list[KeyRecord] = []
        self._loaded_at = -CACHE_TTL_S
        self._lock = asyncio.Lock()

    @property
    def token_lifetime(self) -> timedelta:
        """The longest a token signed by one of these keys stays valid (ID, logout and JWT
        access tokens)."""
        settings = self._settings
        return timedelta(
            seconds=max(
                settings.oidc_id_token_ttl_s,
                settings.oidc_access_token_ttl_s,
                LOGOUT_TOKEN_TTL.total_seconds(),
            )
        )

    async def records(self) -> list[KeyRecord]:
        if time.monotonic() - self._loaded_at > CACHE_TTL_S:
            async with self._lock:
                if time.monotonic() - self._loaded_at > CACHE_TTL_S:
                    self._records = await self._load()
                    self._loaded_at = time.monotonic()
        return self._records

    async def signing_key(self) -> RSAKey:
        records = await self.records()
        # The database's clock set sign_from; allow for this host's clock being a little behind.
        now = datetime.now(UTC) + CLOCK_SKEW
        candidates = [r for r in records if r.sign_from <= now < r.sign_until + CLOCK_SKEW]
        if not candidates:
            raise NoSigningKeyError("no signing key is current")
        return max(candidates, key=lambda record: record.sign_from).key

    async def jwks(self) -> dict[str, Any]:
        now = datetime.now(UTC)
        published = [r for r in await self.records() if r.publish_until > now]
        return {"keys": [public_jwk(record.key) for record in published]}

    async def verification_keys(self) -> KeySet:
        now = datetime.now(UTC)
        return KeySet([record.key for record in await self.records() if record.publish_until > now])

    async def sign(self, claims: dict[str, Any], *, typ: str = "JWT") -> str:
        key = await self.signing_key()
        return jwt.encode({"alg": ALGORITHM, "kid": key.kid, "typ": typ}, claims, key)

    async def decode(self, token: str) -> jwt.Token:
        """Signature check only (claims are the caller's business); raises JoseError."""
        keys = await self.verification_keys()
        return jwt.decode(token, keys, algorithms=[ALGORITHM])

    # --- loading and rotation --------------------------------------------------------------

    async def _load(self) -> list[KeyRecord]:
        files = [part.strip() for part in self._settings.oidc_signing_key_files.split(",")]
        files = [name for name in files if name]
        if files:
            return _records_from_files(files)
        return await self.ensure_database_keys()

    async def ensure_database_keys(self, *, rotate_now: bool = False) -> list[KeyRecord]:
        """Make sure a key signs now and its successor is published in time; return all keys
        still published. `rotate_now` retires the current key at once (an operator's choice,
        e.g. after a suspected leak: tokens it signed stay verifiable until they expire)."""
        rotation = timedelta(seconds=self._settings.oidc_key_rotation_s)
        lead = timedelta(seconds=self._settings.oidc_key_publish_lead_s)
        async with self._database.transaction() as connection:
            now = await queries.lock_rotation(connection, key=ADVISORY_LOCK_KEY)
            records = await self._database_records(connection, now)
            current = _current(records, now)
            if rotate_now and current is not None:
                await self._retire(connection, current.kid, now)
                await queries.delete_keys_signing_after(connection, when=now)
                current = None
            if current is None:
                await self._insert(connection, sign_from=now, sign_until=now + rotation)
            else:
                successor = [r for r in records if r.sign_from >= current.sign_until]
                if not successor and current.sign_until - now <= lead:
                    await self._insert(
                        connection,
                        sign_from=current.sign_until,
                        sign_until=current.sign_until + rotation,
                    )
            await queries.delete_keys_published_until_before(
                connection, when=now - timedelta(days=1)
            )
            records = await self._database_records(connection, now)
        self._records, self._loaded_at = records, time.monotonic()
        return records

    async def _database_records(
        self, connection: AsyncConnection, now: datetime
    ) -> list[KeyRecord]:
        records = []
        for stored in await queries.published_keys(connection, now=now):
            try:
                private = self._fernet.decrypt(stored.private_jwk_encrypted)
            except InvalidToken:
                # The encryption key changed without keeping the old one: this key is lost.
                logger.error("signing key cannot be decrypted", extra={"kid": stored.kid})  # noqa: TRY400
                continue
            records.append(
                KeyRecord(
                    kid=stored.kid,
                    key=RSAKey.import_key(json.loads(private)),
                    sign_from=stored.sign_from,
                    sign_until=stored.sign_until,
                    publish_until=stored.publish_until,
                )
            )
        return records

    async def _insert(
        self, connection: AsyncConnection, *, sign_from: datetime, sign_until: datetime
    ) -> None:
        key = await asyncio.to_thread(generate_key)
        encrypted = self._fernet.encrypt(json.dumps(key.as_dict(private=True)).encode())
        await queries.insert_key(
            connection,
            kid=key.kid or "",
            alg=ALGORITHM,
            public_jwk=public_jwk(key),
            private_jwk_encrypted=encrypted,
            sign_from=sign_from,
            sign_until=sign_until,
            publish_until=sign_until + self.token_lifetime + PUBLISH_MARGIN,
        )
        logger.info("signing key generated", extra={"kid": key.kid, "sign_from": str(sign_from)})

    async def _retire(self, connection: AsyncConnection, kid: str, now: datetime) -> None:
        await queries.retire_key(
            connection,
            kid=kid,
            sign_until=now,
            publish_until=now + self.token_lifetime + PUBLISH_MARGIN,
        )


def _current(records: list[KeyRecord], now: datetime) -> KeyRecord | None:
    current = [r for r in records if r.sign_from <= now < r.sign_until]
    return max(current, key=lambda record: record.sign_from) if current else None


def _records_from_files(paths: list[str]) -> list[KeyRecord]:
    # Far enough for "always", near enough that adding a margin cannot overflow.
    forever = datetime(9000, 1, 1, tzinfo=UTC)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    records = []
    for index, name in enumerate(paths):
        try:
            pem = Path(name).read_bytes()
            loaded = RSAKey.import_key(pem)
        except (OSError, ValueError, JoseError) as error:
            raise NoSigningKeyError(
                f"OIDC_SIGNING_KEY_FILES: cannot read {name}: {error}"
            ) from error
        if not loaded.is_private:
            raise NoSigningKeyError(f"OIDC_SIGNING_KEY_FILES: {name} holds no private key")
        key = RSAKey.import_key(
            loaded.as_dict(private=True)
            | {"use": "sig", "alg": ALGORITHM, "kid": loaded.thumbprint()}
        )
        signs = index == 0
        records.append(
            KeyRecord(
                kid=key.kid or "",
                key=key,
                sign_from=epoch if signs else forever,
                sign_until=forever,
                publish_until=forever,
            )
        )
    return records
