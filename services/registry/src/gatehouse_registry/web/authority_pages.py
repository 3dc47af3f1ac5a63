"""The authority's *Operators to validate*: new operators waiting for the viewer's authority, and
a search to open any operator in the authority's scope."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from gatehouse_registry.errors import InvalidInputError, PermissionDeniedError
from gatehouse_registry.operators import search
from gatehouse_registry.roles import service as roles
from gatehouse_registry.roles.models import RoleRequest, RoleStatus
from gatehouse_registry.web.forms import FieldErrors
from gatehouse_registry.web.reference import Reference, local_address
from gatehouse_registry.web.rendering import Page, PageIn, PageRoute

router = APIRouter(include_in_schema=False, route_class=PageRoute)

# Pending applications read to find the operators an authority has to validate.
QUEUE_PAGES = 10
QUEUE_PAGE_SIZE = 200


async def pending_applications(page: Page) -> list[RoleRequest]:
    """Every pending application the viewer may decide (the domain's rule), oldest first."""
    found: list[RoleRequest] = []
    for number in range(1, QUEUE_PAGES + 1):
        batch = await roles.list_decidable_requests(
            page.pool,
            actor=page.user,
            status=RoleStatus.PENDING,
            page=number,
            page_size=QUEUE_PAGE_SIZE,
        )
        found += batch
        if len(batch) < QUEUE_PAGE_SIZE:
            break
    return found


@router.get("/authority/operators")
async def authority_operators(
    page: PageIn,
    *,
    country: Annotated[str, Query(max_length=2)] = "SE",
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> HTMLResponse:
    """New operators waiting for the viewer's authority (each comes with its creator's
    application), and a search to open any operator in the authority's scope."""
    if not page.viewer.authorities:
        raise PermissionDeniedError("only authorities validate operators")
    waiting: dict[uuid.UUID, RoleRequest] = {}
    for application in await pending_applications(page):
        if (
            application.organization_kind.value == "operator"
            and application.organization_status == "pending"
        ):
            waiting.setdefault(application.organization_id, application)
    results = None
    errors: FieldErrors = {}
    if q is not None:
        try:
            results = await search.search_operators(
                page.pool, actor=page.user, country_code=country or None, text=q, page_size=50
            )
        except InvalidInputError:
            errors["q"] = page.t("error.too_long", max=search.MAX_TEXT)
    reference = await Reference.load(page.pool)
    hits = results.items if results else ()
    return page.render(
        "authority_operators.html",
        {
            "waiting": list(waiting.values()),
            "results": results,
            "addresses": {hit.id: local_address(page, reference, hit.address) for hit in hits},
            "reference": reference,
            "form": {"country": country, "q": q or ""},
            "errors": errors,
        },
    )
