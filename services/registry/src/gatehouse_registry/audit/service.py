"""The audit trail: who decided what, when and why — append-only, readable and exportable.

Entries are written in the transaction of the decision they record (so a decision without its
entry cannot exist), and the table refuses UPDATE, DELETE and TRUNCATE by trigger. Each entry lists
the organizations whose administrators and authorities may read it (`scope_organization_ids`).
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from gatehouse_common.db import Connection
from gatehouse_registry.access import Actor, Principal, load_principal
from gatehouse_registry.errors import PermissionDeniedError

SYSTEM_ACTOR_NAME = "Gatehouse registry"
MAX_EXPORT_ROWS = 50_000


@dataclass(frozen=True)
class AuditEntry:
    id: int
    occurred_at: datetime
    actor_user_id: uuid.UUID | None
    actor_name: str
    action: str
    subject_type: str
    subject_id: uuid.UUID
    target_user_id: uuid.UUID | None
    organization_id: uuid.UUID | None
    reason: str | None
    details: dict[str, Any]


async def record(
    connection: Connection,
    *,
    actor: Principal | None,
    action: str,
    subject_type: str,
    subject_id: uuid.UUID,
    organization_id: uuid.UUID | None = None,
    scope: Iterable[uuid.UUID | None] = (),
    target_user_id: uuid.UUID | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one entry; `actor=None` means the registry itself (a job or another service's
    event). The organization itself is always part of the scope."""
    readers = {org for org in (organization_id, *scope) if org is not None}
    await connection.execute(
        """INSERT INTO audit_log (actor_user_id, actor_name, action, subject_type, subject_id,
                                  target_user_id, organization_id, scope_organization_ids,
                                  reason, details)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
        actor.user_id if actor else None,
        actor.name if actor else SYSTEM_ACTOR_NAME,
        action,
        subject_type,
        subject_id,
        target_user_id,
        organization_id,
        sorted(readers),
        reason,
        details or {},
    )


def readable_organizations(principal: Principal) -> list[uuid.UUID]:
    """Administrators read their organizations' trail; authority members read their authority's
    (and their posts') trail, which covers every decision in their scope."""
    return sorted(principal.admin_of | principal.authority_ids)


async def list_entries(
    pool: asyncpg.Pool,
    *,
    actor: Actor,
    organization_id: uuid.UUID | None = None,
    subject_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> list[AuditEntry]:
    """Newest first; page with `before_id` (the last id of the previous page)."""
    async with pool.acquire() as connection, connection.transaction():
        principal = await load_principal(connection, actor)
        principal.require_active()
        readable = readable_organizations(principal)
        if not readable:
            raise PermissionDeniedError(
                "only administrators and authorities can read the audit trail"
            )
        rows = await connection.fetch(
            """SELECT * FROM audit_log
                WHERE scope_organization_ids && $1::uuid[]
                  AND ($2::uuid IS NULL OR $2 = ANY(scope_organization_ids))
                  AND ($3::uuid IS NULL OR subject_id = $3)
                  AND ($4::timestamptz IS NULL OR occurred_at >= $4)
                  AND ($5::timestamptz IS NULL OR occurred_at < $5)
                  AND ($6::bigint IS NULL OR id < $6)
                ORDER BY id DESC
                LIMIT $7""",
            readable,
            organization_id,
            subject_id,
            since,
            until,
            before_id,
            limit,
        )
    return [_entry(row) for row in rows]


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        occurred_at=row["occurred_at"],
        actor_user_id=row["actor_user_id"],
        actor_name=row["actor_name"],
        action=row["action"],
        subject_type=row["subject_type"],
        subject_id=row["subject_id"],
        target_user_id=row["target_user_id"],
        organization_id=row["organization_id"],
        reason=row["reason"],
        details=row["details"],
    )


CSV_COLUMNS = (
    "id",
    "occurred_at",
    "actor_user_id",
    "actor_name",
    "action",
    "subject_type",
    "subject_id",
    "target_user_id",
    "organization_id",
    "reason",
    "details",
)


def _csv_cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A cell starting with = + - @ would be run as a formula by spreadsheet programs (CSV
    # injection); a leading apostrophe makes them show it as text.
    if text[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + text
    return text


def entries_to_csv(entries: Sequence[AuditEntry]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        writer.writerow(
            [
                _csv_cell(entry.id),
                _csv_cell(entry.occurred_at.isoformat()),
                _csv_cell(entry.actor_user_id),
                _csv_cell(entry.actor_name),
                _csv_cell(entry.action),
                _csv_cell(entry.subject_type),
                _csv_cell(entry.subject_id),
                _csv_cell(entry.target_user_id),
                _csv_cell(entry.organization_id),
                _csv_cell(entry.reason),
                _csv_cell(json.dumps(entry.details, sort_keys=True, ensure_ascii=False)),
            ]
        )
    return buffer.getvalue()
