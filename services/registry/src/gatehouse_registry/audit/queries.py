"""The SQL of the audit trail: append an entry, read the entries in a reader's scope."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import Uuid, any_, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_registry.audit.models import AuditEntry
from gatehouse_registry.tables import audit_log

ENTRY_COLUMNS = [field.name for field in fields(AuditEntry)]


async def append(connection: AsyncConnection, **entry: Any) -> None:
    """One row of audit_log (its columns by name)."""
    await connection.execute(audit_log.insert().values(**entry))


async def entries(
    connection: AsyncConnection,
    *,
    readable: Sequence[uuid.UUID],
    organization_id: uuid.UUID | None,
    subject_id: uuid.UUID | None,
    since: datetime | None,
    until: datetime | None,
    before_id: int | None,
    limit: int,
) -> list[AuditEntry]:
    """Newest first: the entries whose scope meets `readable`, narrowed by what is given."""
    scope = audit_log.c.scope_organization_ids
    conditions = []
    if organization_id is not None:
        conditions.append(literal(organization_id, Uuid) == any_(scope))
    if subject_id is not None:
        conditions.append(audit_log.c.subject_id == subject_id)
    if since is not None:
        conditions.append(audit_log.c.occurred_at >= since)
    if until is not None:
        conditions.append(audit_log.c.occurred_at < until)
    if before_id is not None:
        conditions.append(audit_log.c.id < before_id)
    rows = await connection.execute(
        select(*(audit_log.c[name] for name in ENTRY_COLUMNS))
        .where(scope.overlap(literal(list(readable), ARRAY(Uuid))), *conditions)
        .order_by(audit_log.c.id.desc())
        .limit(limit)
    )
    return [AuditEntry(**row._asdict()) for row in rows]
