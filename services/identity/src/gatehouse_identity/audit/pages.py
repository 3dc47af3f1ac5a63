"""My account → Activity (`/account/activity`) and Sessions (`/account/sessions`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from gatehouse_common.web_security import CSRF_FIELD, csrf_token_for, remember_csrf_token
from gatehouse_identity.audit import service as audit
from gatehouse_identity.audit import sessions as active
from gatehouse_identity.oidc.web import (
    current_session,
    identity_context,
    login_url,
    message_page,
    read_form,
    redirect,
    translator,
)
from gatehouse_identity.web.i18n import Translator, page_language

router = APIRouter(include_in_schema=False)
ACTIVITY = "/account/activity"
SESSIONS = "/account/sessions"
PAGE_SIZE = 50
SESSION_COOKIE_OPTIONS: dict[str, Any] = {
    "path": "/",
    "secure": True,
    "httponly": True,
    "samesite": "lax",
}

templates = Jinja2Templates(
    env=Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(Path(__file__).parent / "templates"),
                FileSystemLoader(Path(__file__).parent.parent / "web" / "templates"),
            ]
        ),
        autoescape=select_autoescape(default=True),
    )
)


def _render(request: Request, name: str, values: Mapping[str, Any]) -> HTMLResponse:
    language = page_language(request)
    response = templates.TemplateResponse(
        request,
        name,
        {
            "t": Translator(language),
            "lang": language,
            "csrf_field": CSRF_FIELD,
            "csrf_token": csrf_token_for(request),
            **values,
        },
    )
    remember_csrf_token(request, response)
    response.headers["Cache-Control"] = "no-store"
    return response


def _csrf_failure(request: Request) -> Response:
    t = translator(request)
    return message_page(request, title=t("error.title"), message=t("error.csrf"), status_code=403)


@router.get(ACTIVITY)
async def activity(request: Request, before: int | None = None) -> Response:
    session = await current_session(request)
    if session is None:
        return redirect(login_url(ACTIVITY, "password"))
    if before is not None and not 0 < before < 2**62:
        before = None
    entries = await audit.entries_for_user(
        identity_context(request).pool,
        user_id=session.user_id,
        limit=PAGE_SIZE,
        before_id=before,
    )
    return _render(
        request,
        "activity.html",
        {
            "entries": entries,
            "next_before": entries[-1].id if len(entries) == PAGE_SIZE else None,
        },
    )


@router.get(SESSIONS)
async def sessions_page(request: Request) -> Response:
    session = await current_session(request)
    if session is None:
        return redirect(login_url(SESSIONS, "password"))
    context = identity_context(request)
    found = await active.active_sessions(
        context.pool,
        user_id=session.user_id,
        current_hash=session.id_hash,
        idle_timeout_s=context.settings.session_idle_timeout_s,
    )
    return _render(request, "sessions.html", {"sessions": found})


@router.post(SESSIONS + "/{session_id}/end")
async def end_session(request: Request, session_id: str) -> Response:
    if await read_form(request) is None:
        return _csrf_failure(request)
    session = await current_session(request)
    if session is None:
        return redirect(login_url(SESSIONS, "password"))
    context = identity_context(request)
    if len(session_id) == active.PUBLIC_ID_LENGTH:
        await active.end_session(
            context.pool, user_id=session.user_id, session_public_id=session_id
        )
    if session_id == active.public_id(session.id_hash):  # ended the one in this browser
        response = redirect("/login")
        response.delete_cookie(context.settings.session_cookie_name, **SESSION_COOKIE_OPTIONS)
        return response
    return redirect(SESSIONS)


@router.post(SESSIONS + "/sign-out-everywhere")
async def sign_out_everywhere(request: Request) -> Response:
    if await read_form(request) is None:
        return _csrf_failure(request)
    session = await current_session(request)
    context = identity_context(request)
    if session is not None:
        await active.sign_out_everywhere(context.pool, user_id=session.user_id)
    response = redirect("/login")
    response.delete_cookie(context.settings.session_cookie_name, **SESSION_COOKIE_OPTIONS)
    return response
