"""Signing keys for ID tokens, logout tokens and JWT access tokens, and the JWKS that publishes
them.

Two algorithms, one key of each signing at a time:

- **RS256** (RSA-2048) signs ID tokens and logout tokens: every OpenID Connect relying party
  must accept it (OIDC Core 15.1), so it stays their default.
- **ES256** (P-256) signs JWT access tokens, which only our own resource servers read. It is the
  algorithm FAPI 2.0 asks for (RS256 is not on its list), and an ECDSA signature costs a small
  fraction of an RSA one — the RS256 signature was most of the CPU a client-credentials token
  took (issue 19's bench). `sign(..., algorithms=ACCESS_TOKEN_ALGORITHMS)` falls back to RS256
  when no ES256 key is configured (a files deployment with RSA keys only keeps working).

Two sources, chosen by settings:

- **Files** (`OIDC_SIGNING_KEY_FILES`): PEM private keys, RSA or EC P-256; per algorithm the
  first file signs, the others are only published so tokens they signed still verify. Rotation is
  an operator's job: put the new file first, keep the old one listed until its tokens have
  expired, restart.
- **Database** (default): keys of both algorithms generated here, the private half encrypted
  with Fernet (`OIDC_KEY_ENCRYPTION_KEYS`, or a key derived from SECRET_KEY) in
  `oidc_signing_keys`. Each key signs for `OIDC_KEY_ROTATION_S`; its successor is generated and
  published `OIDC_KEY_PUBLISH_LEAD_S` before it starts signing, and a retired key stays in the
  JWKS until every token it signed has expired. Each algorithm rotates on its own schedule, so a
  database made before ES256 existed gets its first ES256 key on the next check. Replicas agree
  through an advisory lock.

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
from joserfc.jwk import ECKey, KeySet, RSAKey
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.db import Database
from gatehouse_identity.oidc import key_queries as queries
from gatehouse_identity.settings import OidcSettings

logger = logging.getLogger(__name__)

# ID and logout tokens (and what discovery announces for ID tokens).
ALGORITHM = "RS256"
# JWT access tokens: the first algorithm with a current key signs.
ACCESS_TOKEN_ALGORITHMS = ("ES256", ALGORITHM)
# Every algorithm keys are kept for; a token in any other (none, HS256, …) never verifies.
ALGORITHMS = (ALGORITHM, "ES256")
RSA_KEY_BITS = 2048
EC_CURVE = "P-256"
CACHE_TTL_S = 5.0
CLOCK_SKEW = timedelta(seconds=5)
# Keys stay published this much longer than the longest-lived token they signed.
PUBLISH_MARGIN = timedelta(minutes=10)
LOGOUT_TOKEN_TTL = timedelta(minutes=2)
ADVISORY_LOCK_KEY = 0x6F696463  # "oidc": serialises key generation across replicas


class NoSigningKeyError(RuntimeError):
    pass


SigningKey = RSAKey | ECKey


@dataclass(frozen=True)
class KeyRecord:
    kid: str
    alg: str
    key: SigningKey
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
    """An RS256 key (ID and logout tokens)."""
    key = RSAKey.generate_key(RSA_KEY_BITS, auto_kid=True)
    return RSAKey.import_key(_labelled(key.as_dict(private=True), ALGORITHM, key.thumbprint()))


def generate_ec_key() -> ECKey:
    """An ES256 key (JWT access tokens)."""
    key = ECKey.generate_key(EC_CURVE, auto_kid=True)
    return ECKey.import_key(_labelled(key.as_dict(private=True), "ES256", key.thumbprint()))


def _generate(alg: str) -> SigningKey:
    return generate_ec_key() if alg == "ES256" else generate_key()


def _labelled(jwk: dict[str, Any], alg: str, kid: str) -> dict[str, Any]:
    # `alg` in the JWK: a verifier that honours it never tries the key with another algorithm.
    return jwk | {"use": "sig", "alg": alg, "kid": kid}


def _import(jwk: dict[str, Any]) -> SigningKey:
    return ECKey.import_key(jwk) if jwk.get("kty") == "EC" else RSAKey.import_key(jwk)


def algorithm_of(key: SigningKey) -> str:
    return "ES256" if isinstance(key, ECKey) else ALGORITHM


def public_jwk(key: SigningKey) -> dict[str, Any]:
    return {**key.as_dict(private=False), "use": "sig", "alg": algorithm_of(key), "kid": key.kid}


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

    async def signing_key(self, algorithms: tuple[str, ...] = (ALGORITHM,)) -> KeyRecord:
        """The current key of the first of `algorithms` that has one."""
        records = await self.records()
        # The database's clock set sign_from; allow for this host's clock being a little behind.
        now = datetime.now(UTC) + CLOCK_SKEW
        for alg in algorithms:
            candidates = [
                r
                for r in records
                if r.alg == alg and r.sign_from <= now < r.sign_until + CLOCK_SKEW
            ]
            if candidates:
                return max(candidates, key=lambda record: record.sign_from)
        raise NoSigningKeyError(f"no {' or '.join(algorithms)} signing key is current")

    async def jwks(self) -> dict[str, Any]:
        now = datetime.now(UTC)
        published = [r for r in await self.records() if r.publish_until > now]
        return {"keys": [public_jwk(record.key) for record in published]}

    async def verification_keys(self) -> KeySet:
        now = datetime.now(UTC)
        return KeySet([record.key for record in await self.records() if record.publish_until > now])

    async def sign(
        self,
        claims: dict[str, Any],
        *,
        typ: str = "JWT",
        algorithms: tuple[str, ...] = (ALGORITHM,),
    ) -> str:
        record = await self.signing_key(algorithms)
        return jwt.encode({"alg": record.alg, "kid": record.kid, "typ": typ}, claims, record.key)

    async def decode(self, token: str, *, algorithms: tuple[str, ...] = (ALGORITHM,)) -> jwt.Token:
        """Signature check only (claims are the caller's business); raises JoseError. By default
        only what ID tokens are signed with (an ES256 access token is not an ID token)."""
        keys = await self.verification_keys()
        return jwt.decode(token, keys, algorithms=list(algorithms))

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
        async with self._database.transaction() as connection:
            now = await queries.lock_rotation(connection, key=ADVISORY_LOCK_KEY)
            records = await self._database_records(connection, now)
            if rotate_now:
                for alg in ALGORITHMS:
                    if retiring := _current(records, now, alg):
                        await self._retire(connection, retiring.kid, now)
                await queries.delete_keys_signing_after(connection, when=now)
                records = await self._database_records(connection, now)
            for alg in ALGORITHMS:
                await self._keep_signing(connection, records, now, alg)
            await queries.delete_keys_published_until_before(
                connection, when=now - timedelta(days=1)
            )
            records = await self._database_records(connection, now)
        self._records, self._loaded_at = records, time.monotonic()
        return records

    async def _keep_signing(
        self, connection: AsyncConnection, records: list[KeyRecord], now: datetime, alg: str
    ) -> None:
        """A key of `alg` signs now, and its successor is published `lead` before it signs."""
        rotation = timedelta(seconds=self._settings.oidc_key_rotation_s)
        lead = timedelta(seconds=self._settings.oidc_key_publish_lead_s)
        current = _current(records, now, alg)
        if current is None:
            await self._insert(connection, alg, sign_from=now, sign_until=now + rotation)
            return
        successor = [r for r in records if r.alg == alg and r.sign_from >= current.sign_until]
        if not successor and current.sign_until - now <= lead:
            await self._insert(
                connection,
                alg,
                sign_from=current.sign_until,
                sign_until=current.sign_until + rotation,
            )

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
            key = _import(json.loads(private))
            records.append(
                KeyRecord(
                    kid=stored.kid,
                    alg=algorithm_of(key),
                    key=key,
                    sign_from=stored.sign_from,
                    sign_until=stored.sign_until,
                    publish_until=stored.publish_until,
                )
            )
        return records

    async def _insert(
        self, connection: AsyncConnection, alg: str, *, sign_from: datetime, sign_until: datetime
    ) -> None:
        key = await asyncio.to_thread(_generate, alg)
        encrypted = self._fernet.encrypt(json.dumps(key.as_dict(private=True)).encode())
        await queries.insert_key(
            connection,
            kid=key.kid or "",
            alg=alg,
            public_jwk=public_jwk(key),
            private_jwk_encrypted=encrypted,
            sign_from=sign_from,
            sign_until=sign_until,
            publish_until=sign_until + self.token_lifetime + PUBLISH_MARGIN,
        )
        logger.info(
            "signing key generated", extra={"kid": key.kid, "alg": alg, "sign_from": str(sign_from)}
        )

    async def _retire(self, connection: AsyncConnection, kid: str, now: datetime) -> None:
        await queries.retire_key(
            connection,
            kid=kid,
            sign_until=now,
            publish_until=now + self.token_lifetime + PUBLISH_MARGIN,
        )


def _current(records: list[KeyRecord], now: datetime, alg: str) -> KeyRecord | None:
    current = [r for r in records if r.alg == alg and r.sign_from <= now < r.sign_until]
    return max(current, key=lambda record: record.sign_from) if current else None


def _records_from_files(paths: list[str]) -> list[KeyRecord]:
    # Far enough for "always", near enough that adding a margin cannot overflow.
    forever = datetime(9000, 1, 1, tzinfo=UTC)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    records: list[KeyRecord] = []
    for name in paths:
        loaded = _read_pem(name)
        alg = algorithm_of(loaded)
        key = _import(_labelled(loaded.as_dict(private=True), alg, loaded.thumbprint()))
        # Per algorithm, the first file listed signs.
        signs = not any(record.alg == alg for record in records)
        records.append(
            KeyRecord(
                kid=key.kid or "",
                alg=alg,
                key=key,
                sign_from=epoch if signs else forever,
                sign_until=forever,
                publish_until=forever,
            )
        )
    return records


def _read_pem(name: str) -> SigningKey:
    try:
        pem = Path(name).read_bytes()
    except OSError as error:
        raise NoSigningKeyError(f"OIDC_SIGNING_KEY_FILES: cannot read {name}: {error}") from error
    errors = []
    for kind in (RSAKey, ECKey):
        try:
            loaded: SigningKey = kind.import_key(pem)
        except (ValueError, JoseError) as error:
            errors.append(str(error))
            continue
        if not loaded.is_private:
            raise NoSigningKeyError(f"OIDC_SIGNING_KEY_FILES: {name} holds no private key")
        if isinstance(loaded, ECKey) and loaded.curve_name != EC_CURVE:
            raise NoSigningKeyError(f"OIDC_SIGNING_KEY_FILES: {name}: EC keys must be {EC_CURVE}")
        return loaded
    raise NoSigningKeyError(f"OIDC_SIGNING_KEY_FILES: cannot read {name}: {'; '.join(errors)}")
