"""The SQL of the security audit log: append an entry, read a user's own newest first."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_identity.tables import audit_log


@dataclass(frozen=True)
class AuditEntry:
    id: int
    occurred_at: datetime
    kind: str
    ip_address: str | None
    user_agent: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class NewEntry:
    user_id: uuid.UUID | None
    kind: str
    ip_address: str | None
    user_agent: str | None
    detail: dict[str, Any]


async def insert_entry(connection: AsyncConnection, *, entry: NewEntry) -> None:
    await connection.execute(
        insert(audit_log).values(
            user_id=entry.user_id,
            kind=entry.kind,
            ip_address=entry.ip_address,
            user_agent=entry.user_agent,
            detail=entry.detail,
        )
    )


async def entries_of(
    connection: AsyncConnection, *, user_id: uuid.UUID, limit: int, before_id: int | None
) -> list[AuditEntry]:
    """The user's entries, newest first, older than `before_id` when given."""
    query = select(
        audit_log.c.id,
        audit_log.c.occurred_at,
        audit_log.c.kind,
        audit_log.c.ip_address,
        audit_log.c.user_agent,
        audit_log.c.detail,
    ).where(audit_log.c.user_id == user_id)
    if before_id is not None:
        query = query.where(audit_log.c.id < before_id)
    rows = await connection.execute(query.order_by(audit_log.c.id.desc()).limit(limit))
    return [
        AuditEntry(
            id=row.id,
            occurred_at=row.occurred_at,
            kind=row.kind,
            ip_address=row.ip_address,
            user_agent=row.user_agent,
            detail=dict(row.detail or {}),
        )
        for row in rows
    ]
