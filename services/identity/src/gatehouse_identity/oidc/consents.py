"""Consent: which applications a user let sign them in (with which scopes), the setting "Warn
me each time an application asks for my identity", and withdrawing a consent (which ends the
client's grants for the user)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from gatehouse_identity.oidc.clients import CLIENT_ID_PATTERN


async def has_consent(
    pool: asyncpg.Pool, *, user_id: uuid.UUID, client_id: str, scopes: list[str]
) -> bool:
    granted = await pool.fetchval(
        "SELECT scopes FROM oidc_consents WHERE user_id = $1 AND client_id = $2",
        user_id,
        client_id,
    )
    return granted is not None and set(scopes) <= set(granted)


async def record_consent(
    pool: asyncpg.Pool, *, user_id: uuid.UUID, client_id: str, scopes: list[str]
) -> None:
    await pool.execute(
        """INSERT INTO oidc_consents (user_id, client_id, scopes) VALUES ($1, $2, $3)
           ON CONFLICT (user_id, client_id) DO UPDATE
              SET scopes = ARRAY(SELECT DISTINCT unnest(oidc_consents.scopes || EXCLUDED.scopes)),
                  granted_at = now()""",
        user_id,
        client_id,
        scopes,
    )


async def withdraw_consent(pool: asyncpg.Pool, *, user_id: uuid.UUID, client_id: str) -> None:
    """Forget the consent and end the client's grants for this user (nothing happens for a
    malformed client id)."""
    if not CLIENT_ID_PATTERN.fullmatch(client_id):
        return
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(
            "DELETE FROM oidc_consents WHERE user_id = $1 AND client_id = $2", user_id, client_id
        )
        await connection.execute(
            """UPDATE oidc_grants SET revoked_at = now(), revoked_reason = 'consent_withdrawn'
                WHERE user_id = $1 AND client_id = $2 AND revoked_at IS NULL""",
            user_id,
            client_id,
        )


@dataclass(frozen=True)
class ConsentedApplication:
    client_id: str
    name: str
    scopes: list[str]
    granted_at: datetime


async def consented_applications(
    pool: asyncpg.Pool, *, user_id: uuid.UUID
) -> list[ConsentedApplication]:
    rows = await pool.fetch(
        """SELECT c.client_id, c.name, s.scopes, s.granted_at
             FROM oidc_consents s JOIN oidc_clients c USING (client_id)
            WHERE s.user_id = $1 ORDER BY c.name""",
        user_id,
    )
    return [
        ConsentedApplication(
            client_id=row["client_id"],
            name=row["name"],
            scopes=list(row["scopes"]),
            granted_at=row["granted_at"],
        )
        for row in rows
    ]


async def warn_each_time(pool: asyncpg.Pool, *, user_id: uuid.UUID) -> bool:
    value = await pool.fetchval(
        "SELECT warn_each_time FROM oidc_user_settings WHERE user_id = $1", user_id
    )
    return bool(value)


async def set_warn_each_time(pool: asyncpg.Pool, *, user_id: uuid.UUID, value: bool) -> None:
    await pool.execute(
        """INSERT INTO oidc_user_settings (user_id, warn_each_time) VALUES ($1, $2)
           ON CONFLICT (user_id) DO UPDATE SET warn_each_time = $2, updated_at = now()""",
        user_id,
        value,
    )


@dataclass(frozen=True)
class ApplicationsPage:
    applications: list[ConsentedApplication]
    warn_each_time: bool


async def applications_page(pool: asyncpg.Pool, *, user_id: uuid.UUID) -> ApplicationsPage:
    """My account → Applications."""
    return ApplicationsPage(
        applications=await consented_applications(pool, user_id=user_id),
        warn_each_time=await warn_each_time(pool, user_id=user_id),
    )
