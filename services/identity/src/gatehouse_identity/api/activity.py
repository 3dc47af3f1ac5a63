"""`/api/v1/me/audit`: the user's own security activity."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from gatehouse_identity.api.dependencies import Context, CurrentSession
from gatehouse_identity.audit import service as audit

router = APIRouter(prefix="/api/v1/me", tags=["activity and sessions"])


class AuditEntryResponse(BaseModel):
    id: int
    occurred_at: datetime
    kind: str
    ip_address: str | None
    user_agent: str | None
    detail: dict[str, Any]


class AuditPage(BaseModel):
    entries: list[AuditEntryResponse]
    # Pass as `before` to get the next (older) page; null on the last page.
    next_before: int | None


@router.get(
    "/audit",
    summary="My account's security activity, newest first (paged)",
    responses={401: {"description": "Not signed in"}},
)
async def my_audit(
    session: CurrentSession,
    context: Context,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_PAGE_SIZE)] = 50,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> AuditPage:
    entries = await audit.entries_for_user(
        context.database, user_id=session.user_id, limit=limit, before_id=before
    )
    return AuditPage(
        entries=[AuditEntryResponse(**vars(entry)) for entry in entries],
        next_before=entries[-1].id if len(entries) == limit else None,
    )
