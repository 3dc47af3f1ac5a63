"""*Add an activity* to an existing operator (`/operators/<id>/activities/new`), for its
administrators: chapter → section → activity, identification code, validity, the activity's
address among the operator's, and the competent authority (chosen by geography when the country
has one for the chapter). The activity then waits for that authority's validation.

Works without JavaScript: "Update choices" narrows sections and activities to the chapter. The
page reads the form into the service's input; operators.service.add_activity checks it and its
problems are shown beside their fields."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from gatehouse_registry.errors import PermissionDeniedError, RegistryError
from gatehouse_registry.operators import service as operators
from gatehouse_registry.operators.models import NewActivity, Operator
from gatehouse_registry.web.forms import FieldErrors, read_form
from gatehouse_registry.web.reference import Reference, local_name
from gatehouse_registry.web.rendering import (
    Page,
    PageIn,
    PageRoute,
    csrf_failure,
    field_errors,
    is_form_error,
    parse_uuid,
    see_other,
)

router = APIRouter(include_in_schema=False, route_class=PageRoute)

REQUIRED = ("chapter_code", "section_code", "activity_type_code", "identification_code")
DATES = ("valid_from", "valid_to")


async def _form_page(
    page: Page,
    operator: Operator,
    form: dict[str, str],
    errors: FieldErrors | None = None,
) -> HTMLResponse:
    reference = await Reference.load(page.database)
    chapter = reference.chapter(form.get("chapter_code", ""))
    sections = chapter.sections if chapter else []
    section = next((s for s in sections if s.code == form.get("section_code")), None)
    types = section.activity_types if section else [t for s in sections for t in s.activity_types]
    authorities = await operators.list_competent_authorities(
        page.database,
        country_code=operator.country_code,
        chapter_code=chapter.code if chapter else "",
    )
    return page.render(
        "activity_new.html",
        {
            "operator": operator,
            "form": form,
            "errors": errors or {},
            "chapters": [(c.code, local_name(page, c)) for c in reference.chapters],
            "sections": [(s.code, local_name(page, s)) for s in sections],
            "activity_types": [(a.code, local_name(page, a)) for a in types],
            "authorities": [(str(a.id), a.name) for a in authorities],
            "addresses": [
                (str(a.id), f"{a.street}, {a.postal_code} {a.city}") for a in operator.addresses
            ],
        },
        status_code=422 if errors else 200,
        here=f"/operators/{operator.id}/activities/new",
    )


@router.get("/operators/{operator_id}/activities/new")
async def new_activity_form(page: PageIn, operator_id: uuid.UUID) -> HTMLResponse:
    if operator_id not in {role.organization_id for role in page.viewer.administered}:
        # The domain refuses the addition anyway; say so before the form is filled in.
        raise PermissionDeniedError("only the operator's administrators add activities")
    operator = await operators.get_operator(page.database, actor=page.user, operator_id=operator_id)
    main = next((a for a in operator.addresses if a.is_main), operator.addresses[0])
    return await _form_page(page, operator, {"address_id": str(main.id)})


@router.post("/operators/{operator_id}/activities/new")
async def add_activity(request: Request, page: PageIn, operator_id: uuid.UUID) -> Response:
    posted = await read_form(request)
    if posted is None:
        return csrf_failure(request)
    form = posted.values()
    operator = await operators.get_operator(page.database, actor=page.user, operator_id=operator_id)
    if form.get("action") == "refresh":
        return await _form_page(page, operator, form)
    await _choose_authority_by_geography(page, operator, form)
    unreadable: FieldErrors = {}
    activity = NewActivity(
        chapter_code=form.get("chapter_code") or None,
        section_code=form.get("section_code", ""),
        activity_type_code=form.get("activity_type_code", ""),
        identification_code=form.get("identification_code", ""),
        valid_from=_date(page, form, "valid_from", unreadable),
        valid_to=_date(page, form, "valid_to", unreadable),
        competent_authority_id=parse_uuid(form.get("competent_authority_id")),
        address=parse_uuid(form.get("address_id")),
    )
    if unreadable:  # a date that is no date: not to be taken as "none given"
        return await _form_page(page, operator, form, unreadable)
    try:
        await operators.add_activity(
            page.database, actor=page.user, operator_id=operator_id, activity=activity
        )
    except RegistryError as error:
        if not is_form_error(error):
            raise
        return await _form_page(page, operator, form, field_errors(error, page.t))
    return see_other(f"/operators/{operator_id}", done="activity_added")


def _date(page: Page, form: dict[str, str], name: str, unreadable: FieldErrors) -> date | None:
    text = form.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        unreadable[name] = page.t("error.invalid_date")
        return None


async def _choose_authority_by_geography(
    page: Page, operator: Operator, form: dict[str, str]
) -> None:
    """With a chapter chosen and no authority, the only competent authority of the operator's
    country for it is chosen."""
    chapter = form.get("chapter_code", "")
    if form.get("competent_authority_id") or not chapter:
        return
    candidates = await operators.list_competent_authorities(
        page.database, country_code=operator.country_code, chapter_code=chapter
    )
    if len(candidates) == 1:
        form["competent_authority_id"] = str(candidates[0].id)
