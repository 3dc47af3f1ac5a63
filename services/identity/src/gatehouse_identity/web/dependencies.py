"""What pages depend on: the browser's session, "signed-in page" (else off to sign in), "may
manage second factors" (else off to step up), and the posted form with its CSRF check. The
context and what it holds come from api/dependencies.py, shared with the JSON API."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request

from gatehouse_identity.api.dependencies import (
    ClientAddress,
    Context,
    Db,
    Hasher,
    Runtime,
    Settings,
    UserAgent,
)
from gatehouse_identity.levels import AuthLevel
from gatehouse_identity.mfa import policy
from gatehouse_identity.mfa.errors import StepUpRequiredError
from gatehouse_identity.mfa.levels import effective_level
from gatehouse_identity.sessions import service as sessions
from gatehouse_identity.sessions.models import Session
from gatehouse_identity.web.navigation import login_url, second_factor_url
from gatehouse_identity.web.rendering import Redirect, read_form

__all__ = [
    "BrowserSession",
    "ClientAddress",
    "Context",
    "Db",
    "EffectiveSession",
    "Form",
    "Hasher",
    "Runtime",
    "SessionToken",
    "Settings",
    "SignedIn",
    "UserAgent",
    "managing",
    "signed_in",
    "signed_in_recently",
]


def session_token(request: Request, context: Context) -> str:
    return request.cookies.get(context.settings.session_cookie_name, "")


SessionToken = Annotated[str, Depends(session_token)]


async def browser_session(token: SessionToken, context: Context) -> Session | None:
    """The browser's session as stored (None: not signed in)."""
    return await sessions.resume_session(
        context.database,
        token=token,
        idle_timeout=timedelta(seconds=context.settings.session_idle_timeout_s),
    )


BrowserSession = Annotated[Session | None, Depends(browser_session)]


async def effective_session(session: BrowserSession, runtime: Runtime) -> Session | None:
    """The browser's session at the level it has *now*: one raised by SMS alone counts as
    password-only once SMS is past its sunset, so no client gets a multi-factor token from it."""
    if session is None:
        return None
    level = effective_level(session, sms_allowed=runtime.sms_allowed)
    return dataclasses.replace(session, level=level)


EffectiveSession = Annotated[Session | None, Depends(effective_session)]


def _here(request: Request, then: str | None) -> str:
    """Where to come back after signing in: this page for a GET, `then` after a form."""
    if request.method == "GET" or then is None:
        return request.url.path
    return then


def signed_in(
    *, level: str | None = None, then: str | None = None
) -> Callable[..., Awaitable[Session]]:
    """A signed-in page: the browser's session, else off to sign in (at `level`, when the page
    asks for one) and back here."""

    async def dependency(request: Request, session: BrowserSession) -> Session:
        if session is None:
            raise Redirect(login_url(next_url=_here(request, then), level=level))
        return session

    return dependency


SignedIn = Annotated[Session, Depends(signed_in())]


def managing(*, then: str | None = None) -> Callable[..., Awaitable[Session]]:
    """A page that manages second factors: multi-factor once the user has a usable method,
    else off to prove one and back here."""

    # A default, not an annotation: annotations are strings here (PEP 563), and FastAPI would
    # look `then` up among the module's names.
    signed_in_here = Depends(signed_in(then=then))

    async def dependency(
        request: Request,
        database: Db,
        runtime: Runtime,
        session: Session = signed_in_here,
    ) -> Session:
        try:
            await policy.require_manage_level(database, runtime, session=session)
        except StepUpRequiredError as error:
            here = _here(request, then)
            raise Redirect(
                second_factor_url(next_url=here, level=AuthLevel.MULTI_FACTOR)
            ) from error
        return session

    return dependency


def signed_in_recently(*, then: str, sign_in_again: str) -> Callable[..., Awaitable[Session]]:
    """A page that hands out what identity holds about the user: `managing` (multi-factor once
    the user has a usable method), proved within FRESH_SECOND_FACTOR_S — a second factor again
    (the fresh step-up) for users who have one; users who have none are sent to `sign_in_again`,
    a page that offers to sign out and in (a redirect to /login would come straight back)."""

    managing_here = Depends(managing(then=then))

    async def dependency(
        request: Request,
        database: Db,
        runtime: Runtime,
        session: Session = managing_here,
    ) -> Session:
        if runtime.recently(session.authenticated_at):
            return session
        if await policy.usable_methods(database, runtime, user_id=session.user_id):
            here = _here(request, then)
            raise Redirect(
                second_factor_url(next_url=here, level=AuthLevel.MULTI_FACTOR, fresh=True)
            )
        raise Redirect(sign_in_again)

    return dependency


async def posted_form(request: Request) -> dict[str, str]:
    """The posted fields; the page answers 403 when the CSRF token is missing or wrong."""
    return await read_form(request)


Form = Annotated[dict[str, str], Depends(posted_form)]
