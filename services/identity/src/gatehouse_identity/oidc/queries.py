"""The statements of the FAPI 2.0 additions (issue 19): pushed authorization requests (par.py)
and JWTs that work once (DPoP proofs, client assertions)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, insert
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_identity.tables import oidc_pushed_authorization_requests, oidc_used_jtis

_pushed = oidc_pushed_authorization_requests


async def remember_jti(connection: AsyncConnection, *, digest: bytes, expires_at: datetime) -> bool:
    """True the first time `digest` (a SHA-256 of the JWT's kind, issuer and jti) is seen;
    False for a replay. Every replica shares the answer."""
    inserted = await connection.scalar(
        upsert(oidc_used_jtis)
        .values(jti_hash=digest, expires_at=expires_at)
        .on_conflict_do_nothing(index_elements=[oidc_used_jtis.c.jti_hash])
        .returning(oidc_used_jtis.c.jti_hash)
    )
    return inserted is not None


async def insert_pushed_request(
    connection: AsyncConnection,
    *,
    request_uri_hash: bytes,
    client_id: str,
    params: dict[str, Any],
    created_at: datetime,
    expires_at: datetime,
) -> None:
    await connection.execute(
        insert(_pushed).values(
            request_uri_hash=request_uri_hash,
            client_id=client_id,
            params=params,
            created_at=created_at,
            expires_at=expires_at,
        )
    )


async def take_pushed_request(
    connection: AsyncConnection, *, request_uri_hash: bytes, client_id: str
) -> dict[str, Any] | None:
    """Delete the client's pushed request and return its parameters if it had not expired."""
    params: dict[str, Any] | None = await connection.scalar(
        delete(_pushed)
        .where(_pushed.c.request_uri_hash == request_uri_hash, _pushed.c.client_id == client_id)
        .returning(case((_pushed.c.expires_at > func.now(), _pushed.c.params)))
    )
    return params
