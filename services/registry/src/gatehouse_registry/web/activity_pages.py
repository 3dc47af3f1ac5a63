"""*Add an activity* to an existing operator (`/operators/<id>/activities/new`), for its
administrators: chapter → section → activity, identification code, validity, the activity's
address among the operator's, and the competent authority (chosen by geography when the country
has one for the chapter). The activity then waits for that authority's validation.

Works without JavaScript: "Update choices" narrows sections and activities to the chapter."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from gatehouse_registry.errors import PermissionDeniedError, RegistryError
from gatehouse_registry.operators import service as operators
from gatehouse_registry.operators.models import NewActivity, Operator
from gatehouse_registry.reference_data import service as reference_data
from gatehouse_registry.reference_data.models import Authority
from gatehouse_registry.web.forms import FieldErrors, read_form
from gatehouse_registry.web.reference import Reference, local_name
from gatehouse_registry.web.rendering import (
    Page,
    PageIn,
    PageRoute,
    csrf_failure,
    error_message,
    see_other,
)

router = APIRouter(include_in_schema=False, route_class=PageRoute)

REQUIRED = ("chapter_code", "section_code", "activity_type_code", "identification_code")
DATES = ("valid_from", "valid_to")


def _authorities(all_of_country: list[Authority], chapter: str) -> list[Authority]:
    competent = set(operators.COMPETENT_AUTHORITY_KINDS)
    return [
        a for a in all_of_country if a.authority_kind in competent and chapter in a.chapter_codes
    ]


async def _form_page(
    page: Page,
    operator: Operator,
    form: dict[str, str],
    errors: FieldErrors | None = None,
) -> HTMLResponse:
    reference = await Reference.load(page.pool)
    chapter = reference.chapter(form.get("chapter_code", ""))
    sections = chapter.sections if chapter else []
    section = next((s for s in sections if s.code == form.get("section_code")), None)
    types = section.activity_types if section else [t for s in sections for t in s.activity_types]
    authorities = _authorities(
        await reference_data.list_authorities(page.pool, country_code=operator.country_code),
        chapter.code if chapter else "",
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
    operator = await operators.get_operator(page.pool, actor=page.user, operator_id=operator_id)
    main = next((a for a in operator.addresses if a.is_main), operator.addresses[0])
    return await _form_page(page, operator, {"address_id": str(main.id)})


@router.post("/operators/{operator_id}/activities/new")
async def add_activity(request: Request, page: PageIn, operator_id: uuid.UUID) -> Response:
    posted = await read_form(request)
    if posted is None:
        return csrf_failure(request)
    form = posted.values()
    operator = await operators.get_operator(page.pool, actor=page.user, operator_id=operator_id)
    if form.get("action") == "refresh":
        return await _form_page(page, operator, form)
    errors, activity = await _checked(page, operator, form)
    if activity is None:
        return await _form_page(page, operator, form, errors)
    try:
        await operators.add_activity(
            page.pool, actor=page.user, operator_id=operator_id, activity=activity
        )
    except RegistryError as error:
        if error.http_status not in {409, 422}:
            raise
        field = error.field if error.field in {*REQUIRED, *DATES, "address_id"} else "form"
        return await _form_page(page, operator, form, {field: error_message(error, page.t)})
    return see_other(f"/operators/{operator_id}", done="activity_added")


async def _checked(
    page: Page, operator: Operator, form: dict[str, str]
) -> tuple[FieldErrors, NewActivity | None]:
    errors: FieldErrors = {
        name: page.t("error.required") for name in REQUIRED if not form.get(name, "").strip()
    }
    dates: dict[str, date] = {}
    for name in DATES:
        if text := form.get(name, "").strip():
            try:
                dates[name] = date.fromisoformat(text)
            except ValueError:
                errors[name] = page.t("error.date")
    if "valid_from" not in dates and "valid_from" not in errors:
        errors["valid_from"] = page.t("error.required")
    if "valid_to" in dates and "valid_from" in dates and dates["valid_to"] < dates["valid_from"]:
        errors["valid_to"] = page.t("error.valid_to")
    address = next((a for a in operator.addresses if str(a.id) == form.get("address_id")), None)
    if address is None:
        errors["address_id"] = page.t("error.choose")
    authority = form.get("competent_authority_id", "")
    if not authority:
        reference = await Reference.load(page.pool)
        chapter = reference.chapter(form.get("chapter_code", ""))
        choices = _authorities(
            await reference_data.list_authorities(page.pool, country_code=operator.country_code),
            chapter.code if chapter else "",
        )
        if len(choices) == 1:  # chosen by geography
            authority = str(choices[0].id)
    try:
        authority_id = uuid.UUID(authority)
    except ValueError:
        errors["competent_authority_id"] = page.t("error.authority")
        authority_id = None
    if errors or authority_id is None or address is None:
        return errors, None
    return errors, NewActivity(
        chapter_code=form["chapter_code"],
        section_code=form["section_code"],
        activity_type_code=form["activity_type_code"],
        identification_code=form["identification_code"].strip(),
        valid_from=dates["valid_from"],
        valid_to=dates.get("valid_to"),
        competent_authority_id=authority_id,
        address=address.id,
    )
