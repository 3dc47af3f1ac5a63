"""*Actors → Users*: an organisation's administrators and the authorities find pending
applications (*Search pending applications*), open a user, tick the green check for a role and
*Save changes*; a saved approval cannot be un-ticked there (revoking is separate and audited). The
blue person icon makes an approved user an administrator too; the rights can be taken away again,
never from the last administrator. Who may do what is the domain's rule (access.py)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from gatehouse_registry.errors import PermissionDeniedError, RegistryError
from gatehouse_registry.reference_data import service as reference_data
from gatehouse_registry.roles import decisions
from gatehouse_registry.roles import service as roles
from gatehouse_registry.roles.models import RoleRequest, RoleStatus
from gatehouse_registry.web.forms import FieldErrors, Form, read_form
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
LIST_PAGE_SIZE = 50
STATUSES = {"pending": RoleStatus.PENDING, "approved": RoleStatus.APPROVED}


def _require_manager(page: Page) -> None:
    if not page.viewer.manages_users:
        raise PermissionDeniedError("only administrators and authorities manage users")


@router.get("/actors/users")
async def users_list(
    page: PageIn,
    *,
    status: Annotated[str, Query(max_length=10)] = "",
    organization: Annotated[str, Query(max_length=40)] = "",
    number: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    _require_manager(page)
    organization_id = parse_uuid(organization)
    results: list[RoleRequest] | None = None
    if status in STATUSES:
        results = await roles.list_decidable_requests(
            page.database,
            actor=page.user,
            status=STATUSES[status],
            organization_id=organization_id,
            page=number,
            page_size=LIST_PAGE_SIZE,
        )
    return page.render(
        "users.html",
        {
            "results": results,
            "form": {"status": status, "organization": organization},
            "organisations": page.viewer.administered,
            "number": number,
            "more": results is not None and len(results) == LIST_PAGE_SIZE,
        },
    )


async def _user_page(
    page: Page,
    user_id: uuid.UUID,
    organization_id: uuid.UUID | None,
    *,
    errors: FieldErrors | None = None,
    form: Form | None = None,
) -> HTMLResponse:
    _require_manager(page)
    found = await roles.list_decidable_requests_of_user(
        page.database, actor=page.user, user_id=user_id, organization_id=organization_id
    )
    authorities = {a.id: a for a in await reference_data.list_authorities(page.database)}
    here = f"/actors/users/{user_id}"
    if organization_id:
        here += f"?organization={organization_id}"
    return page.render(
        "user.html",
        {
            "person": found[0],
            "roles": found,
            "authorities": authorities,
            "organization": str(organization_id) if organization_id else "",
            "ticked": set(form.getlist("approve")) if form else set(),
            "rejecting": set(form.getlist("reject")) if form else set(),
            "form": form.values() if form else {},
            "errors": errors or {},
        },
        status_code=422 if errors else 200,
        here=here,
    )


@router.get("/actors/users/{user_id}")
async def user_page(
    page: PageIn,
    user_id: uuid.UUID,
    *,
    organization: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    if user_id == page.user.user_id:
        return see_other("/profile")  # one's own roles, whoever one is (it said Access denied)
    return await _user_page(page, user_id, parse_uuid(organization))


def _back(user_id: uuid.UUID, form: Form, done: str) -> Response:
    return see_other(
        f"/actors/users/{user_id}", organization=form.get("organization") or None, done=done
    )


def _decision_field(domain_field: str) -> str:
    """`decisions[<id>].reason` → `reason-<id>`, `decisions[<id>]` → `role-<id>`."""
    role_id = domain_field.removeprefix("decisions[").split("]", 1)[0]
    return f"reason-{role_id}" if domain_field.endswith(".reason") else f"role-{role_id}"


@router.post("/actors/users/{user_id}")
async def save_changes(request: Request, page: PageIn, user_id: uuid.UUID) -> Response:
    """*Save changes*: approve the ticked requests, reject those marked with a reason."""
    form = await read_form(request)
    if form is None:
        return csrf_failure(request)
    organization_id = parse_uuid(form.get("organization"))
    approve = [rid for rid in map(parse_uuid, form.getlist("approve")) if rid]
    reject = {
        rid: form.get(f"reason-{rid}") for rid in map(parse_uuid, form.getlist("reject")) if rid
    }
    try:
        refused = await decisions.save_decisions(
            page.database, actor=page.user, approve=approve, reject=reject
        )
    except RegistryError as error:
        errors = field_errors(error, page.t, _decision_field)
        return await _user_page(page, user_id, organization_id, errors=errors, form=form)
    if refused:
        errors = {
            (f"reason-{rid}" if rid in reject else f"role-{rid}"): page.t.error(error)
            for rid, error in refused.items()
        }
        return await _user_page(page, user_id, organization_id, errors=errors, form=form)
    return _back(user_id, form, "saved")


@router.post("/actors/users/{user_id}/administrator")
async def administrator(request: Request, page: PageIn, user_id: uuid.UUID) -> Response:
    """The blue person icon (`grant_admin`) and taking the rights away (`remove_admin`)."""
    form = await read_form(request)
    if form is None:
        return csrf_failure(request)
    grant, remove = parse_uuid(form.get("grant_admin")), parse_uuid(form.get("remove_admin"))
    role_id = grant or remove
    if role_id is None:
        return _back(user_id, form, "")
    try:
        if grant:
            await decisions.grant_admin(page.database, actor=page.user, role_request_id=role_id)
        else:
            await decisions.remove_admin(page.database, actor=page.user, role_request_id=role_id)
    except RegistryError as error:
        if not is_form_error(error):
            raise
        errors = field_errors(error, page.t, unplaced=f"admin-{role_id}")
        return await _user_page(page, user_id, parse_uuid(form.get("organization")), errors=errors)
    return _back(user_id, form, "admin_granted" if grant else "admin_removed")


@router.post("/actors/users/{user_id}/unsuspend")
async def unsuspend(request: Request, page: PageIn, user_id: uuid.UUID) -> Response:
    """After identity reset the user's devices, let the role work again."""
    form = await read_form(request)
    if form is None:
        return csrf_failure(request)
    role_id = parse_uuid(form.get("unsuspend"))
    if role_id is None:
        return _back(user_id, form, "")
    try:
        await decisions.unsuspend_role(page.database, actor=page.user, role_request_id=role_id)
    except RegistryError as error:
        if not is_form_error(error):
            raise
        errors = field_errors(error, page.t, unplaced=f"role-{role_id}")
        return await _user_page(page, user_id, parse_uuid(form.get("organization")), errors=errors)
    return _back(user_id, form, "unsuspended")
