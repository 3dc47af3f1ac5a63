"""My account → Activity (`/account/activity`) and Sessions (`/account/sessions`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from gatehouse_identity.audit import service as audit
from gatehouse_identity.cookies import clear_session_cookie
from gatehouse_identity.sessions import active
from gatehouse_identity.sessions.errors import SessionNotFoundError
from gatehouse_identity.sessions.models import Session
from gatehouse_identity.sign_in.notices import browser_of
from gatehouse_identity.web.dependencies import BrowserSession, Context, Form, signed_in
from gatehouse_identity.web.rendering import PageRoute, message_page, redirect, render, translator

router = APIRouter(include_in_schema=False, route_class=PageRoute)
ACTIVITY = "/account/activity"
SESSIONS = "/account/sessions"
PAGE_SIZE = 50
MAX_ENTRY_ID = 2**62

# Account pages need only a signed-in user (a password session will do).
UNKNOWN_AGENT_CHARS = 60

OnActivity = Annotated[Session, Depends(signed_in(level="password", then=ACTIVITY))]
OnSessions = Annotated[Session, Depends(signed_in(level="password", then=SESSIONS))]


@router.get(ACTIVITY)
async def activity(
    request: Request, session: OnActivity, context: Context, before: int | None = None
) -> Response:
    if before is not None and not 0 < before < MAX_ENTRY_ID:
        before = None
    entries = await audit.entries_for_user(
        context.database, user_id=session.user_id, limit=PAGE_SIZE, before_id=before
    )
    next_before = entries[-1].id if len(entries) == PAGE_SIZE else None
    return render(
        request,
        "activity/activity.html",
        {"entries": entries, "next_before": next_before, "browser": readable_browser},
    )


def readable_browser(user_agent: str | None) -> str:
    """What a person recognises ("Chrome 120, Windows 10"), as the new-device e-mail says it;
    the start of the raw User-Agent only when it names no browser or system we know."""
    readable = browser_of(user_agent)
    if readable and not readable.startswith("Other"):
        return readable
    return (user_agent or "")[:UNKNOWN_AGENT_CHARS]


@router.get(SESSIONS)
async def sessions_page(request: Request, session: OnSessions, context: Context) -> Response:
    found = await active.active_sessions(
        context.database,
        user_id=session.user_id,
        current_hash=session.id_hash,
        idle_timeout_s=context.settings.session_idle_timeout_s,
    )
    return render(request, "activity/sessions.html", {"sessions": found})


@router.post(SESSIONS + "/{session_id}/end")
async def end_session(
    session_id: str, _fields: Form, session: OnSessions, context: Context
) -> Response:
    try:
        await active.end_session(
            context.database, user_id=session.user_id, session_public_id=session_id
        )
    except SessionNotFoundError:
        return redirect(SESSIONS)
    if session_id == active.public_id(session.id_hash):  # ended the one in this browser
        response = redirect("/login")
        clear_session_cookie(response, context.settings)
        return response
    return redirect(SESSIONS)


@router.post(SESSIONS + "/sign-out-everywhere")
async def sign_out_everywhere(
    request: Request, _fields: Form, session: BrowserSession, context: Context
) -> Response:
    if session is not None:
        await active.sign_out_everywhere(context.database, user_id=session.user_id)
    t = translator(request)
    # Said on screen (it only showed the sign-in page before, as if nothing had happened).
    response = message_page(
        request,
        title=t("sessions.signed_out_everywhere.title"),
        message=t("sessions.signed_out_everywhere.message"),
        link="/login",
        link_text=t("login.title"),
    )
    clear_session_cookie(response, context.settings)
    return response
