"""FastAPI dependencies of the JSON API: the process context, what it holds, where a request
came from, and the signed-in session (a bearer token, or the session cookie of a browser)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gatehouse_common.db import Database
from gatehouse_identity.context import IdentityContext
from gatehouse_identity.mfa.runtime import MfaRuntime
from gatehouse_identity.password_hashing import PasswordHasher
from gatehouse_identity.sessions import service as sessions
from gatehouse_identity.sessions.errors import NotSignedInError
from gatehouse_identity.sessions.models import Session
from gatehouse_identity.settings import IdentitySettings

bearer = HTTPBearer(auto_error=False)


def get_context(request: Request) -> IdentityContext:
    context: IdentityContext = request.app.state.context
    return context


def get_database(request: Request) -> Database:
    return get_context(request).database


def get_settings(request: Request) -> IdentitySettings:
    return get_context(request).settings


def get_hasher(request: Request) -> PasswordHasher:
    return get_context(request).hasher


def get_mfa_runtime(request: Request) -> MfaRuntime:
    """Second factors' collaborators (encryption box, SMS sender, clock), made at start."""
    runtime: MfaRuntime = request.app.state.mfa
    return runtime


def client_address(request: Request) -> str | None:
    """Where the request came from (uvicorn has already replaced the peer with the
    X-Forwarded-For address when the peer is a trusted proxy)."""
    return request.client.host if request.client else None


def user_agent(request: Request) -> str | None:
    return request.headers.get("user-agent")


Context = Annotated[IdentityContext, Depends(get_context)]
Db = Annotated[Database, Depends(get_database)]
Settings = Annotated[IdentitySettings, Depends(get_settings)]
Hasher = Annotated[PasswordHasher, Depends(get_hasher)]
Runtime = Annotated[MfaRuntime, Depends(get_mfa_runtime)]
ClientAddress = Annotated[str | None, Depends(client_address)]
UserAgent = Annotated[str | None, Depends(user_agent)]


def session_token(
    request: Request,
    context: Context,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str:
    """The token the caller presents: `Authorization: Bearer`, else the session cookie."""
    if credentials:
        return credentials.credentials
    return request.cookies.get(context.settings.session_cookie_name, "")


SessionToken = Annotated[str, Depends(session_token)]


async def current_session(token: SessionToken, context: Context) -> Session:
    session = await sessions.resume_session(
        context.database,
        token=token,
        idle_timeout=timedelta(seconds=context.settings.session_idle_timeout_s),
    )
    if session is None:
        raise NotSignedInError("sign in first")
    return session


CurrentSession = Annotated[Session, Depends(current_session)]
