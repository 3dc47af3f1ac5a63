"""The registry's pages for people: "Request authorisation" and the operator search.

Pages that change state (the application dialog, creating an operator, approvals) are still to
come with the browser journey; everything they need is in the JSON API already.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from gatehouse_registry.dependencies import CurrentUser, Pool
from gatehouse_registry.errors import InvalidInputError
from gatehouse_registry.operators import search
from gatehouse_registry.reference_data import service as reference
from gatehouse_registry.users import service as users
from gatehouse_registry.users.api import INACTIVE_MESSAGE, NO_ROLE_MESSAGE, PENDING_MESSAGE

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

ORGANISATION_KINDS = (
    (
        "operator",
        "Operator",
        "Economic operators such as companies, shops, non-profit organisations…",
    ),
    (
        "organic_control_body",
        "Organic control body",
        "Control bodies listed in Annexes III and IV to Commission Regulation (EC) No 1235/2008",
    ),
    (
        "authority",
        "Authority",
        "Competent authorities such as customs offices, veterinary and plant health authorities",
    ),
    (
        "other_entity",
        "Other entity",
        "Other entities such as national administrators, translators and central customs",
    ),
)


@router.get("/request-authorisation", response_class=HTMLResponse)
async def request_authorisation(request: Request, pool: Pool, user: CurrentUser) -> HTMLResponse:
    profile = await users.get_profile(pool, actor=user)
    if profile.status == "inactive":
        notice: str | None = INACTIVE_MESSAGE
    elif profile.has_valid_role:
        notice = None
    elif profile.has_pending_request:
        notice = PENDING_MESSAGE
    else:
        notice = NO_ROLE_MESSAGE
    kinds = (
        [
            {"href": f"/request-authorisation/{code}", "label": label, "description": text}
            for code, label, text in ORGANISATION_KINDS
        ]
        if profile.status == "active"
        else []
    )
    return templates.TemplateResponse(
        request,
        "request_authorisation.html",
        {"user": user, "notice": notice, "kinds": kinds, "roles": profile.roles},
    )


@router.get("/request-authorisation/operator", response_class=HTMLResponse)
async def operator_search_page(
    request: Request,
    pool: Pool,
    user: CurrentUser,
    *,
    country: Annotated[str, Query(max_length=2)] = "SE",
    section: Annotated[str, Query(max_length=60)] = "",
    activity_type: Annotated[str, Query(max_length=60)] = "",
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> HTMLResponse:
    results: Any = None
    error = None
    if q is not None:
        try:
            results = await search.search_operators(
                pool,
                actor=user,
                country_code=country or None,
                section_code=section or None,
                activity_type_code=activity_type or None,
                text=q,
            )
        except InvalidInputError as problem:
            error = f"{problem.field}: {problem.message}"
    return templates.TemplateResponse(
        request,
        "operator_search.html",
        {
            "user": user,
            "countries": await reference.list_countries(pool),
            "chapters": await reference.list_chapters(pool),
            "form": {
                "country": country,
                "section": section,
                "activity_type": activity_type,
                "q": q or "",
            },
            "results": results,
            "error": error,
        },
    )
