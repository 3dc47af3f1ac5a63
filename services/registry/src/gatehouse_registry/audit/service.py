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
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.db import Database
from gatehouse_registry.access import Actor, Principal, load_principal
from gatehouse_registry.audit import queries
from gatehouse_registry.audit.models import AuditEntry
from gatehouse_registry.errors import PermissionDeniedError

SYSTEM_ACTOR_NAME = "Gatehouse registry"
MAX_EXPORT_ROWS = 50_000


async def record(
    connection: AsyncConnection,
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
    actor_name: str | None = None,
) -> None:
    """Append one entry; `actor=None` means the registry itself (a job or another service's
    event), or, with `actor_name`, a machine client calling the API. The organization itself is
    always part of the scope."""
    readers = {org for org in (organization_id, *scope) if org is not None}
    await queries.append(
        connection,
        actor_user_id=actor.user_id if actor else None,
        actor_name=actor.name if actor else (actor_name or SYSTEM_ACTOR_NAME),
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        target_user_id=target_user_id,
        organization_id=organization_id,
        scope_organization_ids=sorted(readers),
        reason=reason,
        details=details or {},
    )


def readable_organizations(principal: Principal) -> list[uuid.UUID]:
    """Administrators read their organizations' trail; authority members read their authority's
    (and their posts') trail, which covers every decision in their scope."""
    return sorted(principal.admin_of | principal.authority_ids)


async def list_entries(
    database: Database,
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
    async with database.transaction() as connection:
        principal = await load_principal(connection, actor)
        principal.require_active()
        readable = readable_organizations(principal)
        if not readable:
            raise PermissionDeniedError(
                "only administrators and authorities can read the audit trail"
            )
        return await queries.entries(
            connection,
            readable=readable,
            organization_id=organization_id,
            subject_id=subject_id,
            since=since,
            until=until,
            before_id=before_id,
            limit=limit,
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
