"""JWTs that work once (DPoP proofs, client assertions): their ids are remembered in PostgreSQL
until the JWT would be refused anyway, so every replica refuses a copy presented again."""

from __future__ import annotations

from datetime import datetime

import asyncpg


async def remember_jti(pool: asyncpg.Pool, digest: bytes, expires_at: datetime) -> bool:
    """True the first time `digest` (a SHA-256 of the JWT's kind, issuer and jti) is seen;
    False for a replay."""
    inserted = await pool.fetchval(
        """INSERT INTO oidc_used_jtis (jti_hash, expires_at) VALUES ($1, $2)
           ON CONFLICT (jti_hash) DO NOTHING RETURNING true""",
        digest,
        expires_at,
    )
    return inserted is not None
