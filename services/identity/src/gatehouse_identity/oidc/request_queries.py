"""The SQL of the authorization requests kept server-side while the browser signs in, steps up or
answers the consent question (oidc/authorization_requests.py checks them; the parameters are
kept as one JSON object).

Beside oidc/queries.py (the FAPI statements) rather than in it: one module of statements
per part of the provider.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_identity.tables import oidc_authorization_requests

_requests = oidc_authorization_requests


@dataclass(frozen=True)
class KeptRequest:
    """A kept request as stored: its client is looked up again before it is used."""

    id: str
    client_id: str
    params: dict[str, Any]
    login_redirects: int
    created_at: datetime


async def insert_request(
    connection: AsyncConnection,
    *,
    request_id: str,
    client_id: str,
    params: dict[str, Any],
    created_at: datetime,
    expires_at: datetime,
) -> None:
    await connection.execute(
        insert(_requests).values(
            id=request_id,
            client_id=client_id,
            params=params,
            created_at=created_at,
            expires_at=expires_at,
        )
    )


async def kept_request(connection: AsyncConnection, *, request_id: str) -> KeptRequest | None:
    """The request unless it has expired or is gone."""
    row = (
        await connection.execute(
            select(
                _requests.c.id,
                _requests.c.client_id,
                _requests.c.params,
                _requests.c.login_redirects,
                _requests.c.created_at,
            ).where(_requests.c.id == request_id, _requests.c.expires_at > func.now())
        )
    ).first()
    if row is None:
        return None
    return KeptRequest(
        id=row.id,
        client_id=row.client_id,
        params=dict(row.params),
        login_redirects=row.login_redirects,
        created_at=row.created_at,
    )


async def delete_request(connection: AsyncConnection, *, request_id: str) -> bool:
    """False when there was nothing to delete."""
    deleted = await connection.scalar(
        delete(_requests).where(_requests.c.id == request_id).returning(_requests.c.id)
    )
    return deleted is not None


async def count_login_redirect(connection: AsyncConnection, *, request_id: str) -> None:
    await connection.execute(
        update(_requests)
        .where(_requests.c.id == request_id)
        .values(login_redirects=_requests.c.login_redirects + 1)
    )
