"""The audit trail for administrators and authorities (`/api/v1/audit`, CSV export)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from gatehouse_registry.audit import service
from gatehouse_registry.dependencies import AUTH_RESPONSES, CurrentUser, DatabaseIn

router = APIRouter(prefix="/api/v1", tags=["audit"], responses=AUTH_RESPONSES)


class AuditEntryOut(BaseModel):
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


@router.get("/audit", summary="Audit entries in my scope, newest first")
async def list_audit(
    database: DatabaseIn,
    user: CurrentUser,
    *,
    organization_id: uuid.UUID | None = None,
    subject_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AuditEntryOut]:
    entries = await service.list_entries(
        database,
        actor=user,
        organization_id=organization_id,
        subject_id=subject_id,
        since=since,
        until=until,
        limit=limit,
        before_id=before_id,
    )
    return [AuditEntryOut(**vars(e)) for e in entries]


@router.get(
    "/audit.csv",
    summary="Export the audit entries in my scope as CSV",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
async def export_audit(
    database: DatabaseIn,
    user: CurrentUser,
    organization_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Response:
    entries = await service.list_entries(
        database,
        actor=user,
        organization_id=organization_id,
        since=since,
        until=until,
        limit=service.MAX_EXPORT_ROWS,
    )
    return Response(
        service.entries_to_csv(entries),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="registry-audit.csv"'},
    )
