"""How the registry's pages are made: templates and page texts, the signed-in viewer and what their
roles open in the navigation, HTML answers to the domain's errors, and redirects.

Pages are thin, like the JSON API: they read the form, call the domain's service functions (which
check the caller's roles inside their own transaction) and render the answer. A domain error
raised by a page becomes an HTML page with the same status (`PageRoute`), never a JSON body.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from fastapi import Depends, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from gatehouse_common.db import Database
from gatehouse_common.errors import ErrorKind, http_status
from gatehouse_common.web_i18n import LANGUAGE_COOKIE, Translator
from gatehouse_common.web_security import CSRF_FIELD, csrf_token_for, remember_csrf_token
from gatehouse_registry.access import OrganizationKind, RoleKind, UserStatus
from gatehouse_registry.auth.dependencies import RegistryUser
from gatehouse_registry.dependencies import CurrentUser, DatabaseIn, get_context
from gatehouse_registry.errors import InvalidFieldsError, RegistryError
from gatehouse_registry.roles.models import RoleRequest, RoleStatus
from gatehouse_registry.users import service as users
from gatehouse_registry.users.models import Profile
from gatehouse_registry.web.forms import FieldErrors
from gatehouse_registry.web.i18n import CATALOGS, PAGE_LANGUAGES

WEB_DIR = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=WEB_DIR / "templates")
TEMPLATES.env.trim_blocks = True
TEMPLATES.env.lstrip_blocks = True
LANGUAGE_NAMES = {"sv": "svenska (sv)", "en": "English (en)"}


def translator(request: Request) -> Translator:
    return CATALOGS.translator(CATALOGS.page_language(request))


@dataclass(frozen=True)
class Viewer:
    """The signed-in user and the roles that work for them now (approved, not suspended, in a
    valid organization, the user active): what the navigation offers. The domain checks again
    on every action; this only decides what to show."""

    user: RegistryUser
    profile: Profile

    @property
    def active(self) -> bool:
        return self.profile.status is UserStatus.ACTIVE

    @property
    def valid_roles(self) -> tuple[RoleRequest, ...]:
        if not self.active:
            return ()
        return tuple(
            role
            for role in self.profile.roles
            if role.status is RoleStatus.APPROVED
            and not role.suspended
            and role.organization_status == "valid"
        )

    @property
    def administered(self) -> tuple[RoleRequest, ...]:
        return tuple(role for role in self.valid_roles if role.is_admin)

    @property
    def authorities(self) -> tuple[RoleRequest, ...]:
        return tuple(
            role
            for role in self.valid_roles
            if role.kind is RoleKind.MEMBER and role.organization_kind is OrganizationKind.AUTHORITY
        )

    @property
    def operators(self) -> tuple[RoleRequest, ...]:
        return tuple(
            role
            for role in self.valid_roles
            if role.kind is RoleKind.MEMBER and role.organization_kind is OrganizationKind.OPERATOR
        )

    @property
    def manages_users(self) -> bool:
        return bool(self.administered or self.authorities)


def _language_links(request: Request, here: str | None) -> list[dict[str, str]]:
    """The language switch reloads this page (a GET) with ?lang= added to its query."""
    if here is not None:
        path, _, query_text = here.partition("?")
        query = dict(parse_qsl(query_text))
    elif request.method == "GET":
        path, query = request.url.path, dict(request.query_params)
    else:
        path, query = "/", {}
    return [
        {
            "code": code,
            "name": LANGUAGE_NAMES[code],
            "href": f"{path}?{urlencode({**query, 'lang': code})}",
        }
        for code in ("sv", "en")
    ]


UTC_ZONE = ZoneInfo("UTC")


def format_date(value: date | datetime | None, zone: ZoneInfo = UTC_ZONE) -> str:
    """A date as ISO; a moment in local time with its zone (e.g. "2026-12-03 14:59 CET"): a
    Swedish user read UTC times as wrong by an hour or two."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        local = value.astimezone(zone)
        return f"{local:%Y-%m-%d %H:%M} {local.tzname() or zone.key}"
    return value.isoformat()


def render(
    request: Request,
    template: str,
    values: Mapping[str, Any] | None = None,
    *,
    viewer: Viewer | None,
    status_code: int = 200,
    here: str | None = None,
) -> HTMLResponse:
    """`here`: the page the language switch reloads when this answers a POST."""
    language = CATALOGS.page_language(request)
    t = CATALOGS.translator(language)
    done = request.query_params.get("done", "")
    settings = get_context(request).settings

    def local(item: Any) -> str:
        """A reference entry's name in the page's language (name_sv / name_en)."""
        return str(getattr(item, f"name_{language}", None) or getattr(item, "name_en", ""))

    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "t": t,
            "lang": language,
            "local": local,
            "format_date": partial(format_date, zone=ZoneInfo(settings.display_timezone)),
            "csrf_field": CSRF_FIELD,
            "csrf_token": csrf_token_for(request),
            "viewer": viewer,
            "identity_url": settings.identity_public_url.rstrip("/"),
            "language_links": _language_links(request, here),
            "done": t(f"done.{done}") if done and t.has(f"done.{done}") else None,
            "errors": {},
            "form": {},
            **(values or {}),
        },
        status_code=status_code,
    )
    remember_csrf_token(request, response)
    response.headers["Cache-Control"] = "no-store"
    if request.query_params.get("lang") == language and language in PAGE_LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE, language, path="/", samesite="lax", secure=True, httponly=True
        )
    return response


def see_other(path: str, **query: str | None) -> RedirectResponse:
    """A 303 to a page of this site (after a form was handled)."""
    given = {key: value for key, value in query.items() if value}
    url = f"{path}?{urlencode(given)}" if given else path
    response = RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)
    response.headers["Cache-Control"] = "no-store"
    return response


@dataclass
class Page:
    """What every signed-in page handler gets: the request, the database, the viewer, the texts."""

    request: Request
    database: Database
    viewer: Viewer
    t: Translator

    @property
    def user(self) -> RegistryUser:
        return self.viewer.user

    def render(
        self,
        template: str,
        values: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
        here: str | None = None,
    ) -> HTMLResponse:
        return render(
            self.request, template, values, viewer=self.viewer, status_code=status_code, here=here
        )


async def open_page(request: Request, database: DatabaseIn, user: CurrentUser) -> Page:
    """The viewer's profile is read through the domain (users.get_profile), which also refuses
    sign-ins without a second factor."""
    profile = await users.get_profile(database, actor=user)
    return Page(
        request=request,
        database=database,
        viewer=Viewer(user=user, profile=profile),
        t=translator(request),
    )


PageIn = Annotated[Page, Depends(open_page)]


# --- domain errors on pages -------------------------------------------------------------------

# Errors a person corrects on the form they sent (shown beside the field); the others (not
# allowed, not found) are pages of their own.
FORM_KINDS = frozenset({ErrorKind.INVALID_INPUT, ErrorKind.CONFLICT})


def is_form_error(error: RegistryError) -> bool:
    return error.kind in FORM_KINDS


def form_field(domain_field: str) -> str:
    """The form field a domain error names: `addresses[0].street` → `addresses-0-street`."""
    name = domain_field.replace("]", "").replace("[", "-").replace(".", "-")
    return name.strip("-")


def field_errors(
    error: RegistryError,
    t: Translator,
    field_of: Callable[[str], str] = form_field,
    *,
    unplaced: str = "form",
) -> FieldErrors:
    """Each problem's sentence beside its form field (`unplaced` when the error names none);
    the first problem of a field wins."""
    problems = error.problems if isinstance(error, InvalidFieldsError) else (error,)
    errors: FieldErrors = {}
    for problem in problems:
        name = field_of(problem.field) if problem.field else unplaced
        errors.setdefault(name, t.error(problem))
    return errors


ERROR_TITLES = {
    ErrorKind.PERMISSION_DENIED: "error.forbidden.title",
    ErrorKind.NOT_FOUND: "error.not_found.title",
}


def error_page(request: Request, error: RegistryError) -> HTMLResponse:
    t = translator(request)
    return render(
        request,
        "message.html",
        {"title": t(ERROR_TITLES.get(error.kind, "error.title")), "message": t.error(error)},
        viewer=None,
        status_code=http_status(error),
    )


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class PageRoute(APIRoute):
    """Routes of pages: domain errors and malformed addresses answer as HTML pages."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except RegistryError as error:
                return error_page(request, error)
            except RequestValidationError:
                t = translator(request)
                return render(
                    request,
                    "message.html",
                    {"title": t("error.bad_address.title"), "message": t("error.bad_address")},
                    viewer=None,
                    status_code=status.HTTP_400_BAD_REQUEST,
                )

        return handle


def csrf_failure(request: Request) -> HTMLResponse:
    t = translator(request)
    return render(
        request,
        "message.html",
        {"title": t("error.title"), "message": t("error.csrf")},
        viewer=None,
        status_code=status.HTTP_403_FORBIDDEN,
    )


def parse_uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        return None
