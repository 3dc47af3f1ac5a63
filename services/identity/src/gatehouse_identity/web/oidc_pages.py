"""The browser's side of single sign-on: the authorization endpoint (sign in, step up,
consent, then back to the client with a code) and RP-initiated logout. The rules are oidc's
(authorization.py, logout.py); these pages turn their outcomes into responses."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from gatehouse_identity.cookies import clear_session_cookie
from gatehouse_identity.oidc import authorization, logout
from gatehouse_identity.oidc.runtime import OidcRuntime, oidc_runtime
from gatehouse_identity.oidc.urls import origin_of
from gatehouse_identity.web.dependencies import EffectiveSession, Form, SessionToken
from gatehouse_identity.web.navigation import login_url
from gatehouse_identity.web.rendering import (
    PageRoute,
    leave_site_after_form,
    message_page,
    redirect,
    render,
    translator,
)

router = APIRouter(include_in_schema=False, route_class=PageRoute)
Runtime = Annotated[OidcRuntime, Depends(oidc_runtime)]
MAX_AUTHORIZE_FIELDS = 40
MAX_LOGOUT_FIELDS = 20


async def _items(request: Request, *, max_fields: int) -> list[tuple[str, str]]:
    """The request's parameters, from the query (GET) or the form (POST)."""
    if request.method == "POST":
        form = await request.form(max_fields=max_fields, max_files=0)
        return [(key, value) for key, value in form.multi_items() if isinstance(value, str)]
    return list(request.query_params.multi_items())


def _answer(request: Request, outcome: authorization.Outcome) -> Response:
    t = translator(request)
    if isinstance(outcome, authorization.Refused):
        return message_page(
            request,
            title=t("oidc.error.title"),
            message=f"{t('oidc.error.client')} (invalid_request: {outcome.description})",
            status_code=400,
        )
    if isinstance(outcome, authorization.Expired):
        return message_page(
            request,
            title=t("oidc.error.title"),
            message=t("oidc.error.request_expired"),
            status_code=400,
        )
    if isinstance(outcome, authorization.SignInFirst):
        return redirect(
            login_url(next_url=outcome.resume_path, level=outcome.level, fresh=outcome.fresh)
        )
    if isinstance(outcome, authorization.AskConsent):
        pending = outcome.pending
        values = {"pending": pending, "client": pending.client, "user": outcome.user}
        return render(
            request,
            "oidc/consent.html",
            values,
            form_targets=(origin_of(pending.redirect_uri),),
        )
    return redirect(outcome.url)


@router.api_route("/oidc/authorize", methods=["GET", "POST"])
async def authorize(request: Request, session: EffectiveSession, runtime: Runtime) -> Response:
    items = await _items(request, max_fields=MAX_AUTHORIZE_FIELDS)
    outcome = await authorization.authorize(runtime, items=items, session=session)
    return _answer(request, outcome)


@router.get("/oidc/authorize/resume")
async def resume(
    request: Request,
    session: EffectiveSession,
    runtime: Runtime,
    pending_id: Annotated[str, Query(alias="request")] = "",
) -> Response:
    outcome = await authorization.resume(runtime, request_id=pending_id, session=session)
    # Reached after a sign-in or step-up form: leave for the client through a page.
    return leave_site_after_form(
        request, _answer(request, outcome), own_origin=runtime.context.settings.public_url
    )


@router.post("/oidc/authorize/consent")
async def consent(
    request: Request, fields: Form, session: EffectiveSession, runtime: Runtime
) -> Response:
    outcome = await authorization.answer_consent(
        runtime,
        request_id=fields.get("request", ""),
        session=session,
        allow=fields.get("decision") == "allow",
    )
    return _answer(request, outcome)


def _logged_out(request: Request, runtime: OidcRuntime, outcome: logout.LogoutOutcome) -> Response:
    t = translator(request)
    if isinstance(outcome, logout.Refused):
        return message_page(
            request,
            title=t("oidc.error.title"),
            message=f"{t('oidc.logout.refused')} (invalid_request: {outcome.description})",
            status_code=400,
        )
    if isinstance(outcome, logout.Declined):
        return redirect("/account")
    if isinstance(outcome, logout.AskConfirmation):
        target = outcome.target
        return render(
            request,
            "oidc/logout_confirm.html",
            {"params": outcome.params, "client": outcome.client},
            form_targets=(origin_of(target),) if target else (),
        )
    response: Response
    if outcome.url is not None:
        response = redirect(outcome.url)
    else:
        response = message_page(
            request, title=t("oidc.logout.done_title"), message=t("oidc.logout.done")
        )
    if outcome.signed_out:
        clear_session_cookie(response, runtime.context.settings)
    return response


@router.api_route("/oidc/logout", methods=["GET", "POST"])
async def end_session(
    request: Request, session: EffectiveSession, token: SessionToken, runtime: Runtime
) -> Response:
    items = await _items(request, max_fields=MAX_LOGOUT_FIELDS)
    outcome = await logout.request_logout(
        runtime, items=items, session=session, session_token=token
    )
    return _logged_out(request, runtime, outcome)


@router.post("/oidc/logout/confirm")
async def confirm_logout(
    request: Request, fields: Form, token: SessionToken, runtime: Runtime
) -> Response:
    outcome = await logout.confirm_logout(
        runtime, fields=fields, confirmed=fields.get("decision") == "logout", session_token=token
    )
    return _logged_out(request, runtime, outcome)
