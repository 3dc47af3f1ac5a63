"""One operator's page (its addresses, activities, users and authorities) and the authority's
decisions on it: validate or reject a new operator, validate or reject an added activity."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from gatehouse_registry.errors import (
    ChoiceRequiredError,
    NotFoundError,
    PermissionDeniedError,
    RegistryError,
)
from gatehouse_registry.operators import decisions as operator_decisions
from gatehouse_registry.operators import service as operators
from gatehouse_registry.reference_data import service as reference_data
from gatehouse_registry.roles import service as roles
from gatehouse_registry.roles.models import RoleRequest
from gatehouse_registry.web.forms import FieldErrors, Form, read_form
from gatehouse_registry.web.reference import Reference
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


async def _operator_page(
    page: Page,
    operator_id: uuid.UUID,
    *,
    errors: FieldErrors | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    operator = await operators.get_operator(page.database, actor=page.user, operator_id=operator_id)
    reference = await Reference.load(page.database)
    authorities = {a.id: a for a in await reference_data.list_authorities(page.database)}
    members: list[RoleRequest] | None
    try:
        members = await roles.list_organization_users(
            page.database, actor=page.user, organization_id=operator_id
        )
    except PermissionDeniedError:
        members = None  # a user of the operator who is not its administrator
    return page.render(
        "operator.html",
        {
            "operator": operator,
            "reference": reference,
            "authorities": authorities,
            "addresses": {address.id: address for address in operator.addresses},
            "members": members,
            "deciding": bool(page.viewer.authorities),
            "errors": errors or {},
            "form": form or {},
        },
        status_code=422 if errors else 200,
        here=f"/operators/{operator_id}",
    )


@router.get("/operators/{operator_id}")
async def operator_page(page: PageIn, operator_id: uuid.UUID) -> HTMLResponse:
    return await _operator_page(page, operator_id)


def _decision(form: Form) -> tuple[bool | None, str]:
    """Which button was pressed (None: neither, a forged form) and the reason typed."""
    approve = {"validate": True, "reject": False}.get(form.get("decision"))
    return approve, form.get("reason")


def _decision_errors(
    page: Page, error: RegistryError, *, reason_key: str, other_key: str
) -> FieldErrors:
    if not is_form_error(error):
        raise error
    return field_errors(
        error, page.t, lambda f: reason_key if f == "reason" else other_key, unplaced=other_key
    )


@router.post("/operators/{operator_id}/decision")
async def decide_operator(request: Request, page: PageIn, operator_id: uuid.UUID) -> Response:
    """The competent authority validates (with its first activity) or rejects a new operator."""
    form = await read_form(request)
    if form is None:
        return csrf_failure(request)
    approve, reason = _decision(form)
    try:
        if approve is None:
            raise ChoiceRequiredError(field="decision")
        if approve:
            await operator_decisions.validate_operator(
                page.database, actor=page.user, operator_id=operator_id, reason=reason
            )
        else:
            await operator_decisions.reject_operator(
                page.database, actor=page.user, operator_id=operator_id, reason=reason
            )
    except RegistryError as error:
        errors = _decision_errors(page, error, reason_key="reason", other_key="operator-decision")
        return await _operator_page(page, operator_id, errors=errors, form=form.values())
    done = "operator_validated" if approve else "operator_rejected"
    return see_other(f"/operators/{operator_id}", done=done)


@router.post("/activities/{activity_id}/decision")
async def decide_activity(request: Request, page: PageIn, activity_id: uuid.UUID) -> Response:
    """The activity's authority validates or rejects an activity added to a valid operator."""
    form = await read_form(request)
    if form is None:
        return csrf_failure(request)
    operator_id = parse_uuid(form.get("operator_id"))
    if operator_id is None:
        raise NotFoundError("the form names no operator")
    approve, reason = _decision(form)
    key = f"activity-{activity_id}-reason"
    try:
        if approve is None:
            raise ChoiceRequiredError(field="decision")
        await operator_decisions.decide_activity(
            page.database, actor=page.user, activity_id=activity_id, approve=approve, reason=reason
        )
    except RegistryError as error:
        errors = _decision_errors(page, error, reason_key=key, other_key=f"activity-{activity_id}")
        return await _operator_page(page, operator_id, errors=errors, form={key: reason})
    done = "activity_validated" if approve else "activity_rejected"
    return see_other(f"/operators/{operator_id}", done=done)
