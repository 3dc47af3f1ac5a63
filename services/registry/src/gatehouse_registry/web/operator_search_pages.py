"""*Select an existing operator*: the search a user makes before asking for access to an operator
(or, finding none, before creating one)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from gatehouse_registry.errors import InvalidInputError
from gatehouse_registry.search import service as search
from gatehouse_registry.search.models import SearchPage
from gatehouse_registry.web.forms import FieldErrors
from gatehouse_registry.web.reference import Reference, local_address
from gatehouse_registry.web.rendering import PageIn, PageRoute, field_errors

router = APIRouter(include_in_schema=False, route_class=PageRoute)

# Sections that let an operator import plants (DESIGN §1.4); others get the manual's hint.
PLANT_IMPORT_SECTIONS = frozenset({"EUPO", "EURPO"})
SEARCH_PAGE_SIZE = 20


@router.get("/request-authorisation/operator")
async def operator_search(
    page: PageIn,
    *,
    country: Annotated[str, Query(max_length=2)] = "SE",
    section: Annotated[str, Query(max_length=60)] = "",
    activity_type: Annotated[str, Query(max_length=60)] = "",
    q: Annotated[str | None, Query(max_length=100)] = None,
    number: Annotated[int, Query(alias="page", ge=1, le=search.MAX_PAGE)] = 1,
    choose: Annotated[str, Query(max_length=1)] = "",
) -> HTMLResponse:
    reference = await Reference.load(page.database)
    form = {"country": country, "section": section, "activity_type": activity_type, "q": q or ""}
    results: SearchPage | None = None
    errors: FieldErrors = {}
    if q is not None:
        try:
            results = await search.search_operators(
                page.database,
                actor=page.user,
                country_code=country or None,
                section_code=section or None,
                activity_type_code=activity_type or None,
                text=q,
                page=number,
                page_size=SEARCH_PAGE_SIZE,
            )
        except InvalidInputError as problem:
            errors = field_errors(problem, page.t, str, unplaced="q")
    if choose and results is not None and results.items:
        errors["organization_id"] = page.t("error.choose_one")
    query = {key: value for key, value in form.items() if value}
    hits = results.items if results else ()
    return page.render(
        "operator_search.html",
        {
            "reference": reference,
            "form": form,
            "errors": errors,
            "results": results,
            "searched": q is not None,
            "without_plant_section": {
                hit.id
                for hit in hits
                if not {a.section_code for a in hit.activities} & PLANT_IMPORT_SECTIONS
            },
            "addresses": {hit.id: local_address(page, reference, hit.address) for hit in hits},
            "query": query,
            "number": number,
            "more": bool(results and results.more),
            "suggestion_query": {**query, "q": results.suggestion}
            if results and results.suggestion
            else {},
        },
        status_code=422 if errors and "organization_id" not in errors else 200,
    )
