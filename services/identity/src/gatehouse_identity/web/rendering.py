"""How identity's pages are made — the one rendering module for the pages of every capability:
the template environment and page texts, CSRF, redirects, the page a domain error becomes, and
the Content-Security-Policy of pages whose form ends at another site.

Pages are thin: they read the form, call one service function and render the answer. Routers of
pages use `PageRoute`, so a domain error raised anywhere under a page becomes an HTML page in
the visitor's language with the status its kind gives (never a JSON body), and the dependencies
of web/dependencies.py can send the browser elsewhere by raising `Redirect`.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from gatehouse_common.web_security import (
    CONTENT_SECURITY_POLICY,
    CSRF_FIELD,
    csrf_ok,
    csrf_token_for,
    remember_csrf_token,
)
from gatehouse_identity.api.errors import status_of
from gatehouse_identity.errors import IdentityError
from gatehouse_identity.oidc.urls import origin_of
from gatehouse_identity.web.i18n import LANGUAGE_COOKIE, Translator, page_language

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
MAX_FORM_FIELDS = 30


def translator(request: Request) -> Translator:
    return Translator(page_language(request))


def local_time(moment: datetime, zone: ZoneInfo, *, seconds: bool = False) -> str:
    """A moment in the installation's zone, with the zone's abbreviation (CET/CEST)."""
    local = moment.astimezone(zone)
    shown = local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return f"{shown} {local.tzname() or zone.key}"


# What a page must keep when it is reloaded in another language: where the sign-in returns to.
FLOW_FIELDS = ("next", "level", "fresh")


def language_links(request: Request, values: Mapping[str, Any]) -> dict[str, str]:
    """This page again in each language, keeping its query — and the return address of a
    sign-in or step-up (`next`, `level`) even on a page answering a POST, whose own address has
    no query. Without it, switching language on /login/second-factor dropped the way back to the
    registry (issue 14)."""
    query = {key: value for key, value in request.query_params.items() if key != "lang"}
    if request.method != "GET":
        query = {}
    flow = values.get("flow")
    carried = {key: values.get(key) for key in FLOW_FIELDS}
    if flow is not None:
        carried.update(next=flow.next_url, level=flow.level, fresh="1" if flow.fresh else None)
    for key, value in carried.items():
        if value and key not in query:
            query[key] = str(value)
    return {
        code: f"{request.url.path}?{urlencode({**query, 'lang': code})}" for code in ("sv", "en")
    }


def render(
    request: Request,
    name: str,
    values: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    form_targets: tuple[str, ...] = (),
) -> HTMLResponse:
    """Render a page. `form_targets`: origins a form on the page may end up at after redirects
    (browsers enforce CSP form-action on redirects)."""
    language = page_language(request)
    response = TEMPLATES.TemplateResponse(
        request,
        name,
        {
            "t": Translator(language),
            "lang": language,
            "csrf_field": CSRF_FIELD,
            "csrf_token": csrf_token_for(request),
            "errors": {},
            "form": {},
            # "Sign in with eID" only where an upstream eID broker is configured (EID_PROVIDERS).
            "eid_offered": bool(request.app.state.context.settings.eid_providers),
            "language_links": language_links(request, values or {}),
            "local_time": partial(
                local_time, zone=ZoneInfo(request.app.state.context.settings.display_timezone)
            ),
            **(values or {}),
        },
        status_code=status_code,
    )
    remember_csrf_token(request, response)
    response.headers["Cache-Control"] = "no-store"
    if form_targets:
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
            "form-action 'self'", "form-action 'self' " + " ".join(sorted(set(form_targets)))
        )
    if request.query_params.get("lang") == language:
        response.set_cookie(
            LANGUAGE_COOKIE, language, path="/", samesite="lax", secure=True, httponly=True
        )
    return response


def message_page(
    request: Request,
    *,
    title: str,
    message: str,
    link: str | None = None,
    link_text: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    values = {"title": title, "message": message, "link": link, "link_text": link_text}
    return render(request, "message.html", values, status_code=status_code)


def error_page(
    request: Request,
    error: IdentityError,
    *,
    title_key: str = "error.title",
    link: str | None = None,
    link_text_key: str | None = None,
) -> HTMLResponse:
    """A domain error as a page: its sentence (`error.<code>`) in the visitor's language."""
    t = translator(request)
    return message_page(
        request,
        title=t(title_key),
        message=t.error(error),
        link=link,
        link_text=t(link_text_key) if link_text_key else None,
        status_code=status_of(error),
    )


def redirect(url: str) -> RedirectResponse:
    """A 303 to `url` (after a form, or to send the browser elsewhere)."""
    response = RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)
    response.headers["Cache-Control"] = "no-store"
    return response


class Redirect(Exception):  # noqa: N818  (control flow, not an error)
    """Raised by a page dependency to send the browser to `url` instead (sign in first)."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class CsrfRejected(Exception):  # noqa: N818  (answered with a page, not an error)
    """The form's CSRF token is missing or wrong."""


async def read_form(request: Request, *, check_csrf: bool = True) -> dict[str, str]:
    """The posted fields; CsrfRejected when the CSRF token is missing or wrong."""
    form = await request.form(max_fields=MAX_FORM_FIELDS, max_files=0)
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    submitted = fields.pop(CSRF_FIELD, None)
    if check_csrf and not csrf_ok(request, submitted):
        raise CsrfRejected
    return fields


def csrf_failure(request: Request) -> HTMLResponse:
    t = translator(request)
    return message_page(
        request,
        title=t("error.title"),
        message=t("error.csrf"),
        status_code=status.HTTP_403_FORBIDDEN,
    )


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class PageRoute(APIRoute):
    """Routes of pages: redirects raised by dependencies, CSRF failures and domain errors all
    answer as pages."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except Redirect as target:
                return redirect(target.url)
            except CsrfRejected:
                return csrf_failure(request)
            except IdentityError as error:
                return error_page(request, error)

        return handle


def leave_site_after_form(request: Request, response: Response, *, own_origin: str) -> Response:
    """A redirect to another site, turned into a page that moves on by itself (meta refresh).

    Browsers apply the CSP `form-action` of the page whose form started a navigation to every
    redirect that follows, so a sign-in form (form-action 'self') that ends, redirect after
    redirect, at a client's redirect URI would be blocked. A refresh starts a new navigation.
    """
    location = response.headers.get("location", "")
    if response.status_code not in (302, 303) or not location.startswith(("http://", "https://")):
        return response
    if origin_of(location) == origin_of(own_origin):
        return response
    page = render(request, "oidc/continue.html", {"url": location})
    page.headers["Refresh"] = f"0;url={location}"
    return page
