"""Consent: which applications a user let sign them in (with which scopes), the setting "Warn
me each time an application asks for my identity", and withdrawing a consent (which ends the
client's grants for the user)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from gatehouse_common.db import Database
from gatehouse_identity.oidc import consent_queries as queries
from gatehouse_identity.oidc.clients import CLIENT_ID_PATTERN
from gatehouse_identity.oidc.consent_queries import ConsentedApplication


async def has_consent(
    database: Database, *, user_id: uuid.UUID, client_id: str, scopes: list[str]
) -> bool:
    async with database.connection() as connection:
        granted = await queries.consented_scopes(connection, user_id=user_id, client_id=client_id)
    return granted is not None and set(scopes) <= set(granted)


async def record_consent(
    database: Database, *, user_id: uuid.UUID, client_id: str, scopes: list[str]
) -> None:
    async with database.connection() as connection:
        await queries.add_consent(connection, user_id=user_id, client_id=client_id, scopes=scopes)


async def withdraw_consent(database: Database, *, user_id: uuid.UUID, client_id: str) -> None:
    """Forget the consent and end the client's grants for this user (nothing happens for a
    malformed client id)."""
    if not CLIENT_ID_PATTERN.fullmatch(client_id):
        return
    async with database.transaction() as connection:
        await queries.withdraw_consent(connection, user_id=user_id, client_id=client_id)


async def consented_applications(
    database: Database, *, user_id: uuid.UUID
) -> list[ConsentedApplication]:
    async with database.connection() as connection:
        return await queries.consented_applications(connection, user_id=user_id)


async def warn_each_time(database: Database, *, user_id: uuid.UUID) -> bool:
    async with database.connection() as connection:
        return await queries.warn_each_time(connection, user_id=user_id)


async def set_warn_each_time(database: Database, *, user_id: uuid.UUID, value: bool) -> None:
    async with database.connection() as connection:
        await queries.set_warn_each_time(connection, user_id=user_id, value=value)


@dataclass(frozen=True)
class ApplicationsPage:
    applications: list[ConsentedApplication]
    warn_each_time: bool


async def applications_page(database: Database, *, user_id: uuid.UUID) -> ApplicationsPage:
    """My account → Applications."""
    async with database.connection() as connection:
        return ApplicationsPage(
            applications=await queries.consented_applications(connection, user_id=user_id),
            warn_each_time=await queries.warn_each_time(connection, user_id=user_id),
        )
