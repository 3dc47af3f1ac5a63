"""The audit trail for administrators and authorities: who decided what, when and why, newest
first, with the CSV export of the JSON API (which accepts the page's session)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from gatehouse_common.web_i18n import Translator
from gatehouse_registry.audit import service as audit
from gatehouse_registry.web.forms import FieldErrors
from gatehouse_registry.web.rendering import PageIn, PageRoute, parse_uuid

router = APIRouter(include_in_schema=False, route_class=PageRoute)
PAGE_SIZE = 50
# The reasons the registry itself writes (in English) → their page texts.
AUTOMATIC_REASONS = {
    "first approved user of the organization": "audit.reason.first_admin",
    "administration command": "audit.reason.command",
    "the user's sign-in devices were reset in identity": "audit.reason.devices_reset",
    "the user reported a sign-in to identity as not theirs": "audit.reason.sign_in_reported",
}
OPERATOR_REJECTED = "the operator was rejected: "
INACTIVE = re.compile(r"^no sign-in for (\d+) months$")


def reason_text(reason: str | None, t: Translator) -> str:
    """A reason as written by a person stays as it is; the registry's own are translated."""
    if not reason:
        return ""
    if reason in AUTOMATIC_REASONS:
        return t(AUTOMATIC_REASONS[reason])
    if reason.startswith(OPERATOR_REJECTED):
        return t("audit.reason.operator_rejected", reason=reason.removeprefix(OPERATOR_REJECTED))
    if found := INACTIVE.match(reason):
        return t("audit.reason.inactive", months=found.group(1))
    return reason


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


@router.get("/audit")
async def audit_trail(
    page: PageIn,
    *,
    organization: Annotated[str, Query(max_length=40)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    before: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    errors: FieldErrors = {}
    first, last = _day(since), _day(until)
    if since and first is None:
        errors["since"] = page.t("error.invalid_date")
    if until and last is None:
        errors["until"] = page.t("error.invalid_date")
    # Whole days: from the start of `since` to the end of `until` (UTC).
    start = datetime.combine(first, time(), UTC) if first else None
    end = datetime.combine(last + timedelta(days=1), time(), UTC) if last else None
    organization_id = parse_uuid(organization)
    entries = await audit.list_entries(
        page.database,
        actor=page.user,
        organization_id=organization_id,
        since=start,
        until=end,
        limit=PAGE_SIZE,
        before_id=before,
    )
    filters = {
        key: value
        for key, value in (
            ("organization_id", str(organization_id) if organization_id else ""),
            ("since", start.isoformat() if start else ""),
            ("until", end.isoformat() if end else ""),
        )
        if value
    }
    organisations = {
        role.organization_id: role.organization_name
        for role in (*page.viewer.administered, *page.viewer.authorities)
    }
    kept = {"organization": organization, "since": since, "until": until}
    older = (
        urlencode({**{k: v for k, v in kept.items() if v}, "before": entries[-1].id})
        if len(entries) == PAGE_SIZE
        else None
    )
    return page.render(
        "audit.html",
        {
            "entries": entries,
            "reasons": {entry.id: reason_text(entry.reason, page.t) for entry in entries},
            "organisations": organisations,
            "form": kept,
            "errors": errors,
            "csv_href": "/api/v1/audit.csv" + (f"?{urlencode(filters)}" if filters else ""),
            "older": older,
        },
        status_code=422 if errors else 200,
    )
