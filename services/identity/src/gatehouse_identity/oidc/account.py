"""My account → Applications: the applications the user let sign them in, and the setting
"Warn me each time an application asks for my identity"."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gatehouse_identity.oidc import grants
from gatehouse_identity.oidc.clients import CLIENT_ID_PATTERN
from gatehouse_identity.oidc.web import (
    current_session,
    identity_context,
    login_url,
    message_page,
    read_form,
    redirect,
    render,
    translator,
)

router = APIRouter(include_in_schema=False)
PAGE = "/account/applications"


def _csrf_failure(request: Request) -> Response:
    t = translator(request)
    return message_page(request, title=t("error.title"), message=t("error.csrf"), status_code=403)


@router.get(PAGE)
async def applications(request: Request) -> Response:
    session = await current_session(request)
    if session is None:
        return redirect(login_url(PAGE, session_level_floor()))
    pool = identity_context(request).pool
    return render(
        request,
        "applications.html",
        {
            "applications": await grants.consented_applications(pool, user_id=session.user_id),
            "warn_each_time": await grants.warn_each_time(pool, user_id=session.user_id),
        },
    )


@router.post(f"{PAGE}/settings")
async def save_settings(request: Request) -> Response:
    fields = await read_form(request)
    if fields is None:
        return _csrf_failure(request)
    session = await current_session(request)
    if session is None:
        return redirect(login_url(PAGE, session_level_floor()))
    await grants.set_warn_each_time(
        identity_context(request).pool,
        user_id=session.user_id,
        value=fields.get("warn_each_time") == "on",
    )
    return redirect(PAGE)


@router.post(PAGE + "/{client_id}/withdraw")
async def withdraw(request: Request, client_id: str) -> Response:
    fields = await read_form(request)
    if fields is None:
        return _csrf_failure(request)
    session = await current_session(request)
    if session is None:
        return redirect(login_url(PAGE, session_level_floor()))
    if CLIENT_ID_PATTERN.fullmatch(client_id):
        await grants.withdraw_consent(
            identity_context(request).pool, user_id=session.user_id, client_id=client_id
        )
    return redirect(PAGE)


def session_level_floor() -> str:
    """Account pages need only a signed-in user."""
    return "password"
