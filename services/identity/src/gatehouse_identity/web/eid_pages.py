"""Sign in with eID, and My account → Manage my eIDs (link, unlink). The rules are
oidc/eid/service.py; these pages translate, and keep the cookie that binds a broker round trip
to this browser."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from gatehouse_identity.api.errors import status_of
from gatehouse_identity.cookies import set_session_cookie
from gatehouse_identity.oidc.eid import service
from gatehouse_identity.oidc.eid.errors import (
    EidAssuranceUnknownError,
    EidBrokerAnswerError,
    EidCancelledError,
    EidError,
    EidFailedError,
    EidUnavailableError,
)
from gatehouse_identity.oidc.eid.upstream import UpstreamClient
from gatehouse_identity.oidc.urls import origin_of
from gatehouse_identity.sessions.models import Session
from gatehouse_identity.settings import IdentitySettings
from gatehouse_identity.web.dependencies import (
    ClientAddress,
    Context,
    EffectiveSession,
    Form,
    UserAgent,
    signed_in,
)
from gatehouse_identity.web.navigation import login_url, safe_next
from gatehouse_identity.web.rendering import PageRoute, error_page, redirect, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)
MANAGE_PAGE = "/account/eids"
# Ties a broker round trip to the browser that started it (against login CSRF).
BINDING_COOKIE = "__Host-gatehouse_eid"
# The eID pages answer some errors with a status of their own: a failed or cancelled round
# trip is a bad request, a broker that cannot be reached or answered badly a bad gateway.
PAGE_STATUS: tuple[tuple[type[EidError], int], ...] = (
    (EidBrokerAnswerError, 502),
    (EidUnavailableError, 502),
    (EidFailedError, 400),
    (EidCancelledError, 400),
    (EidAssuranceUnknownError, 400),
)


def upstream(request: Request) -> UpstreamClient:
    client: UpstreamClient = request.app.state.eid_upstream
    return client


Upstream = Annotated[UpstreamClient, Depends(upstream)]
OnManagePage = Annotated[Session, Depends(signed_in(level="password", then=MANAGE_PAGE))]


def _failure(request: Request, error: EidError) -> Response:
    page = error_page(request, error, title_key="eid.error.title")
    page.status_code = next(
        (code for kind, code in PAGE_STATUS if isinstance(error, kind)), status_of(error)
    )
    return page


def broker_origins(settings: IdentitySettings) -> tuple[str, ...]:
    """Where our eID forms end up after the redirect (CSP form-action covers redirects)."""
    return tuple(origin_of(provider.issuer) for provider in settings.eid_providers)


def _to_broker(started: service.Started) -> Response:
    response = redirect(started.url)
    response.set_cookie(
        BINDING_COOKIE,
        started.binding,
        max_age=int(service.STATE_TTL.total_seconds()),
        path="/",
        secure=True,
        httponly=True,
        samesite="lax",
    )
    return response


# --- Manage my eIDs ----------------------------------------------------------------------


@router.get(MANAGE_PAGE)
async def manage(request: Request, session: OnManagePage, context: Context) -> Response:
    links = await service.links_of(context.database, user_id=session.user_id)
    settings = context.settings
    return render(
        request,
        "oidc/eids.html",
        {"providers": settings.eid_providers, "links": links},
        form_targets=broker_origins(settings),
    )


@router.post(MANAGE_PAGE + "/{name}/link")
async def link(
    request: Request,
    name: str,
    _fields: Form,
    session: EffectiveSession,
    context: Context,
    broker: Upstream,
) -> Response:
    try:
        if session is None:
            needed = service.highest_level(service.provider_of(context.settings, name))
            return redirect(login_url(next_url=MANAGE_PAGE, level=needed))
        started = await service.start_link(
            context.database,
            broker,
            settings=context.settings,
            provider_name=name,
            session=session,
            binding=request.cookies.get(BINDING_COOKIE),
            next_path=MANAGE_PAGE,
        )
    except EidError as error:
        return _failure(request, error)
    if isinstance(started, service.StepUpFirst):
        return redirect(login_url(next_url=MANAGE_PAGE, level=started.level, fresh=started.fresh))
    return _to_broker(started)


@router.post(MANAGE_PAGE + "/{name}/unlink")
async def unlink(name: str, _fields: Form, session: OnManagePage, context: Context) -> Response:
    await service.unlink(context.database, user_id=session.user_id, provider=name)
    return redirect(MANAGE_PAGE)


# --- Sign in with eID --------------------------------------------------------------------


@router.get("/eid/login")
async def choose(request: Request, context: Context) -> Response:
    """Sign in with eID: the configured brokers."""
    settings = context.settings
    return render(
        request,
        "oidc/eid_login.html",
        {
            "providers": settings.eid_providers,
            "next": safe_next(request.query_params.get("next")),
        },
        form_targets=broker_origins(settings),
    )


@router.post("/eid/{name}/login")
async def login(
    request: Request, name: str, fields: Form, context: Context, broker: Upstream
) -> Response:
    try:
        started = await service.start_login(
            context.database,
            broker,
            settings=context.settings,
            provider_name=name,
            binding=request.cookies.get(BINDING_COOKIE),
            next_path=safe_next(fields.get("next")),
        )
    except EidError as error:
        return _failure(request, error)
    return _to_broker(started)


@router.get("/eid/callback")
async def callback(
    request: Request,
    *,
    session: EffectiveSession,
    context: Context,
    broker: Upstream,
    address: ClientAddress,
    user_agent: UserAgent,
) -> Response:
    """The broker sends the browser back here with a code (or an error)."""
    try:
        done = await service.complete(
            context.database,
            broker,
            settings=context.settings,
            query=dict(request.query_params),
            binding=request.cookies.get(BINDING_COOKIE, ""),
            session=session,
            address=address,
            user_agent=user_agent,
        )
    except EidError as error:
        return _failure(request, error)
    if isinstance(done, service.Linked):
        return redirect(MANAGE_PAGE)
    response = redirect(safe_next(done.next_path))
    set_session_cookie(response, context.settings, done.new.token)
    return response
