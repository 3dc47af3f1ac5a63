"""The registry's pages for people (server-rendered, Swedish and English, no JavaScript needed).

This module: the start page, *Request authorisation* with its four kinds of organisation, the
*Send application for approval* dialog, *Edit your profile → Request new role* (including
"responsible for the load" naming the responsible authorities) and reactivation. The operator
search and creation, the authority's decisions, *Actors → Users* and the audit trail are in the
modules included below; `router` carries them all.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from gatehouse_registry.access import OrganizationKind, RoleKind
from gatehouse_registry.auth.dependencies import OptionalUser
from gatehouse_registry.dependencies import DatabaseIn
from gatehouse_registry.errors import (
    ChoiceRequiredError,
    InvalidInputError,
    NotFoundError,
    RegistryError,
    UnknownChoiceError,
)
from gatehouse_registry.reference_data import service as reference
from gatehouse_registry.roles import service as roles
from gatehouse_registry.roles.models import Application, RoleStatus
from gatehouse_registry.users import service as users
from gatehouse_registry.web.activity_pages import router as activity_router
from gatehouse_registry.web.audit_pages import router as audit_router
from gatehouse_registry.web.authority_pages import router as authority_router
from gatehouse_registry.web.forms import FieldErrors, Form, read_form
from gatehouse_registry.web.my_data_pages import router as my_data_router
from gatehouse_registry.web.new_operator_pages import router as new_operator_router
from gatehouse_registry.web.operator_pages import router as operator_router
from gatehouse_registry.web.operator_search_pages import router as operator_search_router
from gatehouse_registry.web.rendering import (
    WEB_DIR,
    Page,
    PageIn,
    PageRoute,
    csrf_failure,
    field_errors,
    is_form_error,
    open_page,
    parse_uuid,
    render,
    see_other,
)
from gatehouse_registry.web.sign_in_pages import router as sign_in_router
from gatehouse_registry.web.user_pages import router as user_router
from gatehouse_registry.web.web_service_pages import router as web_service_router
from gatehouse_registry.web.workbench_pages import router as workbench_router

router = APIRouter(include_in_schema=False, route_class=PageRoute)
STYLESHEET = WEB_DIR / "registry.css"


@dataclass(frozen=True)
class Kind:
    code: str
    slug: str

    @property
    def href(self) -> str:
        return f"/request-authorisation/{self.slug}"


KINDS = (
    Kind(OrganizationKind.OPERATOR.value, "operator"),
    Kind(OrganizationKind.ORGANIC_CONTROL_BODY.value, "organic-control-body"),
    Kind(OrganizationKind.AUTHORITY.value, "authority"),
    Kind(OrganizationKind.OTHER_ENTITY.value, "other-entity"),
)
OTHER_KINDS = {kind.slug: kind for kind in KINDS[1:]}


@router.get("/static/registry.css")
async def stylesheet() -> FileResponse:
    return FileResponse(
        STYLESHEET, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"}
    )


@router.get("/")
async def start(request: Request, database: DatabaseIn, user: OptionalUser) -> Response:
    """TRACES' start page: a green "Log in" button; signed in, straight to one's work."""
    if user is None:
        return render(request, "start.html", viewer=None)
    page = await open_page(request, database, user)
    if page.viewer.authorities:
        return see_other("/authority/work")  # their work list, with what waits counted
    return see_other("/profile" if page.viewer.valid_roles else "/request-authorisation")


# --- Request authorisation ------------------------------------------------------------------


def _notice(page: Page) -> str | None:
    profile = page.viewer.profile
    if not page.viewer.active:
        return page.t("notice.inactive")
    if not page.viewer.valid_roles and any(
        role.suspended and role.status is RoleStatus.APPROVED for role in profile.roles
    ):
        return page.t("notice.suspended")
    if profile.has_pending_request:
        return page.t("notice.pending")
    if not page.viewer.valid_roles:
        return page.t("notice.no_role")
    return None


def _request_page(
    page: Page, *, form: dict[str, str] | None = None, errors: FieldErrors | None = None
) -> HTMLResponse:
    return page.render(
        "request_authorisation.html",
        {
            "notice": _notice(page),
            "inactive": not page.viewer.active,
            "kinds": KINDS if page.viewer.active else (),
            "roles": page.viewer.profile.roles,
            "form": form or {},
            "errors": errors or {},
        },
        status_code=422 if errors else 200,
        here="/request-authorisation",
    )


@router.get("/request-authorisation")
async def request_authorisation(page: PageIn) -> HTMLResponse:
    return _request_page(page)


@router.post("/request-authorisation/reactivation")
async def request_reactivation(request: Request, page: PageIn) -> Response:
    form = await read_form(request)
    if form is None:
        return csrf_failure(request)
    try:
        await users.request_reactivation(
            page.database, actor=page.user, message=form.get("message")
        )
    except InvalidInputError as error:
        return _request_page(page, form=form.values(), errors=field_errors(error, page.t))
    return see_other("/request-authorisation", done="reactivation_requested")


# --- Organic control bodies, authorities, other entities: choose one ---------------------------


@router.get("/request-authorisation/organic-control-body")
@router.get("/request-authorisation/authority")
@router.get("/request-authorisation/other-entity")
async def choose_organisation(
    page: PageIn,
    *,
    country: Annotated[str, Query(max_length=2)] = "SE",
    choose: Annotated[str, Query(max_length=1)] = "",
) -> HTMLResponse:
    kind = OTHER_KINDS[page.request.url.path.rsplit("/", 1)[-1]]
    countries = await reference.list_countries(page.database)
    known = {c.code for c in countries}
    found = await reference.list_joinable_organizations(
        page.database, kind=kind.code, country_code=country if country in known else None
    )
    return page.render(
        "choose_organisation.html",
        {
            "kind": kind,
            "countries": countries,
            "form": {"country": country},
            "organisations": found,
            "errors": {"organization_id": page.t("error.choose_one")} if choose else {},
        },
    )


# --- The "Send application for approval" dialog -----------------------------------------------


@dataclass(frozen=True)
class Applicant:
    """The organisation an application is for, as the dialog names it."""

    id: uuid.UUID
    name: str
    kind: Kind


async def _organisation(page: Page, organization_id: uuid.UUID) -> Applicant:
    organization = await roles.get_organization_to_join(
        page.database, organization_id=organization_id
    )
    kind = next(kind for kind in KINDS if kind.code == organization.kind.value)
    return Applicant(organization.id, organization.name, kind)


SEARCH_FIELDS = ("country", "section", "activity_type", "q")


def _apply_page(
    page: Page, applicant: Applicant, form: dict[str, str], errors: FieldErrors
) -> HTMLResponse:
    # *Cancel* goes back to the list the organisation was ticked in, with the same search.
    search = {name: form[name] for name in SEARCH_FIELDS if form.get(name)}
    cancel = applicant.kind.href + (f"?{urlencode(search)}" if search else "")
    return page.render(
        "apply.html",
        {"organisation": applicant, "form": form, "errors": errors, "cancel": cancel},
        status_code=422 if errors else 200,
        here=f"/request-authorisation/apply?organization_id={applicant.id}",
    )


@router.get("/request-authorisation/apply")
async def apply_form(
    page: PageIn,
    *,
    organization_id: Annotated[str, Query(max_length=40)] = "",
    back: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    query = page.request.query_params
    search = {name: query[name] for name in SEARCH_FIELDS if query.get(name)}
    chosen = parse_uuid(organization_id)
    if chosen is None:
        # "Request authorisation" pressed without ticking an organisation: back to the list.
        target = back if back in {k.slug for k in KINDS} else "operator"
        return see_other(f"/request-authorisation/{target}", **search, choose="1")
    applicant = await _organisation(page, chosen)
    return _apply_page(page, applicant, search, {})


def _application(form: Form) -> Application:
    return Application(
        message=form.get("message"), email=form.get("email"), phone=form.get("phone")
    )


@router.post("/request-authorisation/apply")
async def apply(request: Request, page: PageIn) -> Response:
    form = await read_form(request)
    if form is None:
        return csrf_failure(request)
    chosen = parse_uuid(form.get("organization_id"))
    if chosen is None:
        raise NotFoundError("no organization chosen")
    applicant = await _organisation(page, chosen)
    try:
        await roles.request_role(
            page.database, actor=page.user, organization_id=chosen, application=_application(form)
        )
    except RegistryError as error:
        if not is_form_error(error):
            raise
        return _apply_page(page, applicant, form.values(), field_errors(error, page.t))
    return see_other("/request-authorisation", done="sent")


# --- Edit your profile → Request new role ------------------------------------------------------


@router.get("/profile")
async def profile(page: PageIn) -> HTMLResponse:
    return page.render("profile.html", {"roles": page.viewer.profile.roles})


@router.get("/profile/new-role")
async def new_role(page: PageIn) -> HTMLResponse:
    return page.render("new_role.html", {"kinds": KINDS})


async def _rfl_page(
    page: Page, form: dict[str, str], errors: FieldErrors, *, chosen: list[str]
) -> HTMLResponse:
    countries = await reference.list_countries(page.database)
    country = form.get("country") or "SE"
    if country not in {c.code for c in countries}:
        country = "SE"
    authorities = await reference.list_authorities(page.database, country_code=country)
    # Border control posts first: they are what a load is usually declared at.
    authorities.sort(key=lambda a: (a.authority_kind != "border_control_post", a.name))
    return page.render(
        "responsible_for_load.html",
        {
            "operators": page.viewer.operators,
            "countries": countries,
            "authorities": authorities,
            "country": country,
            "chosen": chosen,
            "form": form,
            "errors": errors,
        },
        status_code=422 if errors else 200,
        here="/profile/new-role/responsible-for-load",
    )


@router.get("/profile/new-role/responsible-for-load")
async def responsible_for_load_form(
    page: PageIn,
    *,
    country: Annotated[str, Query(max_length=2)] = "SE",
    organization_id: Annotated[str, Query(max_length=40)] = "",
) -> HTMLResponse:
    return await _rfl_page(
        page, {"country": country, "organization_id": organization_id}, {}, chosen=[]
    )


@router.post("/profile/new-role/responsible-for-load")
async def request_responsible_for_load(request: Request, page: PageIn) -> Response:
    form = await read_form(request)
    if form is None:
        return csrf_failure(request)
    chosen = form.getlist("responsible_authority_ids")
    authorities = [parse_uuid(value) for value in chosen]
    try:
        operator_id = parse_uuid(form.get("organization_id"))
        if operator_id is None:
            raise ChoiceRequiredError(field="organization_id")
        if None in authorities:
            raise UnknownChoiceError("not an authority", field="responsible_authority_ids")
        await roles.request_role(
            page.database,
            actor=page.user,
            organization_id=operator_id,
            kind=RoleKind.RESPONSIBLE_FOR_LOAD,
            application=_application(form),
            responsible_authority_ids=[a for a in authorities if a is not None],
        )
    except RegistryError as error:
        if not is_form_error(error):
            raise
        errors = field_errors(error, page.t)
        return await _rfl_page(page, form.values(), errors, chosen=chosen)
    return see_other("/profile", done="sent")


for included in (
    sign_in_router,
    operator_search_router,
    new_operator_router,
    operator_router,
    authority_router,
    user_router,
    audit_router,
    workbench_router,
    activity_router,
    my_data_router,
    web_service_router,
):
    router.include_router(included)
