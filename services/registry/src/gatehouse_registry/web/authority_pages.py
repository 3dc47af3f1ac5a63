"""The authority's *Operators to validate*: new operators waiting for the viewer's authority, and
a search to open any operator in the authority's scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from gatehouse_registry.errors import InvalidInputError
from gatehouse_registry.roles import service as roles
from gatehouse_registry.search import service as search
from gatehouse_registry.web.forms import FieldErrors
from gatehouse_registry.web.reference import Reference, local_address
from gatehouse_registry.web.rendering import PageIn, PageRoute, field_errors

router = APIRouter(include_in_schema=False, route_class=PageRoute)


@router.get("/authority/operators")
async def authority_operators(
    page: PageIn,
    *,
    country: Annotated[str, Query(max_length=2)] = "SE",
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> HTMLResponse:
    """New operators waiting for the viewer's authority (each comes with its creator's
    application), and a search to open any operator in the authority's scope."""
    waiting = await roles.list_operators_awaiting_validation(page.database, actor=page.user)
    results = None
    errors: FieldErrors = {}
    if q is not None:
        try:
            results = await search.search_operators(
                page.database, actor=page.user, country_code=country or None, text=q, page_size=50
            )
        except InvalidInputError as problem:
            errors = field_errors(problem, page.t, str, unplaced="q")
    reference = await Reference.load(page.database)
    hits = results.items if results else ()
    return page.render(
        "authority_operators.html",
        {
            "waiting": waiting,
            "results": results,
            "addresses": {hit.id: local_address(page, reference, hit.address) for hit in hits},
            "reference": reference,
            "form": {"country": country, "q": q or ""},
            "errors": errors,
        },
    )
