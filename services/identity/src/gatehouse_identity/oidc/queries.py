"""The statements of the FAPI 2.0 additions (issue 19): pushed authorization requests (par.py)
and JWTs that work once (DPoP proofs, client assertions). On the raw asyncpg pool like the rest
of oidc/ until that is converted to SQLAlchemy Core (issue 16); kept here so the modules that
use them speak no SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

# What the modules above this one hold and pass on (the identity context's raw pool).
Pool = asyncpg.Pool


async def remember_jti(pool: Pool, digest: bytes, expires_at: datetime) -> bool:
    """True the first time `digest` (a SHA-256 of the JWT's kind, issuer and jti) is seen;
    False for a replay. Every replica shares the answer."""
    inserted = await pool.fetchval(
        """INSERT INTO oidc_used_jtis (jti_hash, expires_at) VALUES ($1, $2)
           ON CONFLICT (jti_hash) DO NOTHING RETURNING true""",
        digest,
        expires_at,
    )
    return inserted is not None


async def insert_pushed_request(
    pool: Pool,
    *,
    request_uri_hash: bytes,
    client_id: str,
    params: dict[str, Any],
    created_at: datetime,
    expires_at: datetime,
) -> None:
    await pool.execute(
        """INSERT INTO oidc_pushed_authorization_requests
               (request_uri_hash, client_id, params, created_at, expires_at)
           VALUES ($1, $2, $3, $4, $5)""",
        request_uri_hash,
        client_id,
        params,
        created_at,
        expires_at,
    )


async def take_pushed_request(
    pool: Pool, *, request_uri_hash: bytes, client_id: str
) -> dict[str, Any] | None:
    """Delete the client's pushed request and return its parameters if it had not expired."""
    params: dict[str, Any] | None = await pool.fetchval(
        """DELETE FROM oidc_pushed_authorization_requests
            WHERE request_uri_hash = $1 AND client_id = $2
        RETURNING CASE WHEN expires_at > now() THEN params END""",
        request_uri_hash,
        client_id,
    )
    return params
