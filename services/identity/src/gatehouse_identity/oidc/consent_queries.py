"""The SQL of users' consents to OpenID Connect clients and of the setting "Warn me each time an
application asks for my identity" (withdrawing a consent also revokes the client's grants).

Beside oidc/queries.py (the FAPI statements) rather than in it: one module of statements
per part of the provider.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ARRAY, Text, Uuid, bindparam, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_identity.tables import oidc_clients, oidc_consents, oidc_grants, oidc_user_settings


@dataclass(frozen=True)
class ConsentedApplication:
    client_id: str
    name: str
    scopes: list[str]
    granted_at: datetime


async def consented_scopes(
    connection: AsyncConnection, *, user_id: uuid.UUID, client_id: str
) -> list[str] | None:
    scopes = await connection.scalar(
        select(oidc_consents.c.scopes).where(
            oidc_consents.c.user_id == user_id, oidc_consents.c.client_id == client_id
        )
    )
    return None if scopes is None else list(scopes)


# The union of the scopes consented before and now, each once: clearer in PostgreSQL's array
# terms than composed from SQLAlchemy functions.
_ADD_CONSENT = text(
    """INSERT INTO oidc_consents (user_id, client_id, scopes)
       VALUES (:user_id, :client_id, :scopes)
       ON CONFLICT (user_id, client_id) DO UPDATE
          SET scopes = ARRAY(SELECT DISTINCT unnest(oidc_consents.scopes || EXCLUDED.scopes)),
              granted_at = now()"""
).bindparams(
    bindparam("user_id", type_=Uuid),
    bindparam("client_id", type_=Text),
    bindparam("scopes", type_=ARRAY(Text)),
)


async def add_consent(
    connection: AsyncConnection, *, user_id: uuid.UUID, client_id: str, scopes: Sequence[str]
) -> None:
    await connection.execute(
        _ADD_CONSENT, {"user_id": user_id, "client_id": client_id, "scopes": list(scopes)}
    )


async def withdraw_consent(
    connection: AsyncConnection, *, user_id: uuid.UUID, client_id: str
) -> None:
    """Forget the consent and revoke the client's live grants for the user."""
    await connection.execute(
        delete(oidc_consents).where(
            oidc_consents.c.user_id == user_id, oidc_consents.c.client_id == client_id
        )
    )
    await connection.execute(
        update(oidc_grants)
        .where(
            oidc_grants.c.user_id == user_id,
            oidc_grants.c.client_id == client_id,
            oidc_grants.c.revoked_at.is_(None),
        )
        .values(revoked_at=func.now(), revoked_reason="consent_withdrawn")
    )


async def consented_applications(
    connection: AsyncConnection, *, user_id: uuid.UUID
) -> list[ConsentedApplication]:
    rows = await connection.execute(
        select(
            oidc_clients.c.client_id,
            oidc_clients.c.name,
            oidc_consents.c.scopes,
            oidc_consents.c.granted_at,
        )
        .join_from(oidc_consents, oidc_clients)
        .where(oidc_consents.c.user_id == user_id)
        .order_by(oidc_clients.c.name)
    )
    return [
        ConsentedApplication(
            client_id=row.client_id,
            name=row.name,
            scopes=list(row.scopes),
            granted_at=row.granted_at,
        )
        for row in rows
    ]


async def warn_each_time(connection: AsyncConnection, *, user_id: uuid.UUID) -> bool:
    value = await connection.scalar(
        select(oidc_user_settings.c.warn_each_time).where(oidc_user_settings.c.user_id == user_id)
    )
    return bool(value)


async def set_warn_each_time(
    connection: AsyncConnection, *, user_id: uuid.UUID, value: bool
) -> None:
    new = insert(oidc_user_settings).values(user_id=user_id, warn_each_time=value)
    await connection.execute(
        new.on_conflict_do_update(
            index_elements=[oidc_user_settings.c.user_id],
            set_={"warn_each_time": new.excluded.warn_each_time, "updated_at": func.now()},
        )
    )
