"""The SQL of the OpenID Connect signing keys kept in the database (oidc/keys.py decides when a
key is made, retired and dropped; the private key is stored encrypted).

Beside oidc/queries.py (the FAPI statements) rather than in it: one module of statements
per part of the provider."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_identity.tables import oidc_signing_keys

_keys = oidc_signing_keys

# One rotation at a time across replicas, released with the transaction: a PostgreSQL function,
# clearer called as SQL.
_LOCK_ROTATION = text("SELECT pg_advisory_xact_lock(:key)")


@dataclass(frozen=True)
class StoredKey:
    kid: str
    private_jwk_encrypted: bytes
    sign_from: datetime
    sign_until: datetime
    publish_until: datetime


async def lock_rotation(connection: AsyncConnection, *, key: int) -> datetime:
    """Wait for the rotation lock (held until the transaction ends); the database's now()."""
    await connection.execute(_LOCK_ROTATION, {"key": key})
    now = await connection.scalar(select(func.now()))
    if not isinstance(now, datetime):  # pragma: no cover - now() is a timestamp
        raise TypeError("now() is not a timestamp")
    return now


async def published_keys(connection: AsyncConnection, *, now: datetime) -> list[StoredKey]:
    """The keys still published at `now`, oldest first."""
    rows = await connection.execute(
        select(
            _keys.c.kid,
            _keys.c.private_jwk_encrypted,
            _keys.c.sign_from,
            _keys.c.sign_until,
            _keys.c.publish_until,
        )
        .where(_keys.c.publish_until > now)
        .order_by(_keys.c.sign_from)
    )
    return [
        StoredKey(
            kid=row.kid,
            private_jwk_encrypted=bytes(row.private_jwk_encrypted),
            sign_from=row.sign_from,
            sign_until=row.sign_until,
            publish_until=row.publish_until,
        )
        for row in rows
    ]


async def insert_key(
    connection: AsyncConnection,
    *,
    kid: str,
    alg: str,
    public_jwk: dict[str, Any],
    private_jwk_encrypted: bytes,
    sign_from: datetime,
    sign_until: datetime,
    publish_until: datetime,
) -> None:
    await connection.execute(
        insert(_keys).values(
            kid=kid,
            alg=alg,
            public_jwk=public_jwk,
            private_jwk_encrypted=private_jwk_encrypted,
            sign_from=sign_from,
            sign_until=sign_until,
            publish_until=publish_until,
        )
    )


async def retire_key(
    connection: AsyncConnection, *, kid: str, sign_until: datetime, publish_until: datetime
) -> None:
    await connection.execute(
        update(_keys)
        .where(_keys.c.kid == kid)
        .values(sign_until=sign_until, publish_until=publish_until)
    )


async def delete_keys_signing_after(connection: AsyncConnection, *, when: datetime) -> None:
    await connection.execute(delete(_keys).where(_keys.c.sign_from > when))


async def delete_keys_published_until_before(
    connection: AsyncConnection, *, when: datetime
) -> None:
    await connection.execute(delete(_keys).where(_keys.c.publish_until < when))
