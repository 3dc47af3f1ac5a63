"""Page plumbing shared by the OIDC and eID pages: templates (ours first, then identity's base
layout), the signed-in session, redirects and the Content-Security-Policy for pages whose form
ends in a redirect to another site."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from gatehouse_common.web_security import (
    CONTENT_SECURITY_POLICY,
    CSRF_FIELD,
    csrf_ok,
    csrf_token_for,
    remember_csrf_token,
)
from gatehouse_identity.accounts import sessions
from gatehouse_identity.context import IdentityContext
from gatehouse_identity.mfa.levels import effective_level
from gatehouse_identity.mfa.runtime import runtime_for as mfa_runtime_for
from gatehouse_identity.web.i18n import Translator, page_language

PACKAGE_DIR = Path(__file__).parent
IDENTITY_TEMPLATES = PACKAGE_DIR.parent / "web" / "templates"
MAX_FORM_FIELDS = 30

templates = Jinja2Templates(
    env=Environment(
        loader=ChoiceLoader(
            [FileSystemLoader(PACKAGE_DIR / "templates"), FileSystemLoader(IDENTITY_TEMPLATES)]
        ),
        autoescape=select_autoescape(default=True),
    )
)


def identity_context(request: Request) -> IdentityContext:
    context: IdentityContext = request.app.state.context
    return context


def translator(request: Request) -> Translator:
    return Translator(page_language(request))


def render(
    request: Request,
    name: str,
    values: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    form_targets: tuple[str, ...] = (),
) -> HTMLResponse:
    """Render one of our pages. `form_targets`: origins a form on the page may end up at after
    redirects (CSP form-action is enforced on redirects by browsers)."""
    language = page_language(request)
    response = templates.TemplateResponse(
        request,
        name,
        {
            "t": Translator(language),
            "lang": language,
            "csrf_field": CSRF_FIELD,
            "csrf_token": csrf_token_for(request),
            "errors": {},
            "form": {},
            **(values or {}),
        },
        status_code=status_code,
    )
    remember_csrf_token(request, response)
    if form_targets:
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
            "form-action 'self'", "form-action 'self' " + " ".join(sorted(set(form_targets)))
        )
    response.headers["Cache-Control"] = "no-store"
    return response


def message_page(
    request: Request, *, title: str, message: str, status_code: int = 200
) -> HTMLResponse:
    return render(
        request, "message.html", {"title": title, "message": message}, status_code=status_code
    )


def origin_of(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


def with_query(uri: str, params: Mapping[str, str | None]) -> str:
    """`uri` with `params` added to its query (keeping the query it already has)."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(key, value) for key, value in params.items() if value is not None]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def leave_site_after_form(request: Request, response: Response) -> Response:
    """A redirect to another site, turned into a page that moves on by itself (meta refresh).

    Browsers apply the CSP `form-action` of the page whose form started a navigation to every
    redirect that follows, so a sign-in form (form-action 'self') that ends, redirect after
    redirect, at a client's redirect URI would be blocked. A refresh starts a new navigation.
    """
    location = response.headers.get("location", "")
    if response.status_code not in (302, 303) or not location.startswith(("http://", "https://")):
        return response
    if origin_of(location) == origin_of(identity_context(request).settings.public_url):
        return response
    page = render(request, "continue.html", {"url": location})
    page.headers["Refresh"] = f"0;url={location}"
    return page


def redirect(url: str) -> RedirectResponse:
    response = RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)
    response.headers["Cache-Control"] = "no-store"
    return response


def session_token(request: Request) -> str:
    return request.cookies.get(identity_context(request).settings.session_cookie_name, "")


async def current_session(request: Request) -> sessions.Session | None:
    """The browser's session, at the level it has *now*: one raised by SMS alone counts as
    password-only once SMS is past its sunset, so no client gets a multi-factor token from it."""
    context = identity_context(request)
    session = await sessions.resume_session(
        context.pool,
        token=session_token(request),
        idle_timeout=timedelta(seconds=context.settings.session_idle_timeout_s),
    )
    if session is None:
        return None
    level = effective_level(session, sms_allowed=mfa_runtime_for(request).sms_allowed)
    return dataclasses.replace(session, level=level)


async def read_form(request: Request, *, check_csrf: bool = True) -> dict[str, str] | None:
    """The posted fields, or None when the CSRF token is missing or wrong."""
    form = await request.form(max_fields=MAX_FORM_FIELDS, max_files=0)
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    submitted = fields.pop(CSRF_FIELD, None)
    if check_csrf and not csrf_ok(request, submitted):
        return None
    return fields


def login_url(next_path: str, level: str, *, fresh: bool = False) -> str:
    """Where to send the browser to sign in or step up (the contract with gatehouse_identity.mfa:
    `/login?next=<relative path>&level=<needed level>`; `fresh=1` asks for the second factor
    again even if the session has one)."""
    params = {"next": next_path, "level": level}
    if fresh:
        params["fresh"] = "1"
    return "/login?" + urlencode(params)


def authenticated_at(session: sessions.Session) -> datetime:
    """When the user last proved who they are in this session: the sign-in, or a later second
    factor (a step-up or a fresh proof)."""
    if session.second_factor_at is not None and session.second_factor_at > session.created_at:
        return session.second_factor_at
    return session.created_at
