"""The statements of the FAPI 2.0 additions (issue 19): pushed authorization requests (par.py)
and JWTs that work once (DPoP proofs, client assertions)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, insert, update
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_identity.tables import (
    oidc_clients,
    oidc_pushed_authorization_requests,
    oidc_used_jtis,
)

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


async def replace_client_jwks(
    connection: AsyncConnection, *, client_id: str, jwks: dict[str, Any]
) -> None:
    await connection.execute(
        update(oidc_clients)
        .where(oidc_clients.c.client_id == client_id)
        .values(jwks=jwks, updated_at=func.now())
    )


async def replace_client_secret(
    connection: AsyncConnection, *, client_id: str, secret_hash: bytes
) -> None:
    await connection.execute(
        update(oidc_clients)
        .where(oidc_clients.c.client_id == client_id)
        .values(secret_hash=secret_hash, updated_at=func.now())
    )


async def delete_machine_clients(
    connection: AsyncConnection,
    *,
    client_id: str | None = None,
    operator_id: uuid.UUID | None = None,
) -> list[str]:
    """Delete the machine client `client_id`, or every machine client of `operator_id` (with
    their grants and tokens, by cascade); the ids deleted."""
    which = (
        oidc_clients.c.client_id == client_id
        if client_id is not None
        else oidc_clients.c.operator_id == operator_id
    )
    rows = await connection.execute(
        delete(oidc_clients)
        .where(oidc_clients.c.operator_id.is_not(None), which)
        .returning(oidc_clients.c.client_id)
    )
    return sorted(row.client_id for row in rows)
