"""Who is calling: the FastAPI dependency the rest of the registry uses.

    from gatehouse_registry.auth.dependencies import CurrentUser, RegistryUser, current_user

`current_user` accepts either credential:

- `Authorization: Bearer <identity access token>` (the JSON API), or `Authorization: DPoP
  <token>` with a `DPoP` proof for a token bound to the client's key (RFC 9449; dpop.py: a bound
  token sent as Bearer, or with a proof by another key, is refused): a JWT access token is verified
  here with identity's keys (access_tokens.py: no call to identity; revoked by back-channel
  logouts and devices resets, revocations.py), an opaque one checked with identity's gRPC
  IntrospectToken (answers cached for INTROSPECTION_CACHE_S); the token must have been issued to
  one of API_CLIENT_IDS (by default the registry's own client).
- the registry's session cookie (pages and same-site API calls from them).

Without valid credentials: 401 with `WWW-Authenticate: Bearer` for API requests (a bearer token
was sent, or the path is under /api/), or a 303 redirect to `/auth/login?next=<this page>` for
pages. Signed in below multi-factor (REQUIRED_LEVEL): 403. identity unreachable for a bearer
token: 503.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, HTTPException, Request, status

from gatehouse_common.dpop import ALGORITHMS as DPOP_ALGORITHMS
from gatehouse_registry.auth import sessions
from gatehouse_registry.auth.access_tokens import MachineToken, looks_like_jwt
from gatehouse_registry.auth.identity_grpc import ActiveToken, IdentityUnavailableError
from gatehouse_registry.auth.oidc_client import KeysUnavailableError
from gatehouse_registry.auth.revocations import RevocationsUnavailableError
from gatehouse_registry.auth.runtime import AuthRuntime, auth_runtime, satisfies

# Identity's JWT access tokens are about 900 characters; opaque ones 43.
MAX_BEARER_LENGTH = 4096
CANNOT_CHECK = (IdentityUnavailableError, KeysUnavailableError, RevocationsUnavailableError)


@dataclass(frozen=True)
class RegistryUser:
    user_id: uuid.UUID
    full_name: str
    email: str
    # "password" < "multi_factor" < "phishing_resistant"
    level: str
    # RFC 8176 authentication method references, e.g. ["pwd", "otp", "mfa"].
    amr: list[str] = field(default_factory=list)


def _bearer_token(request: Request) -> str | None:
    """The access token of `Authorization: Bearer …` or `Authorization: DPoP …`."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() not in ("bearer", "dpop"):
        return None
    return token.strip()


def _proven(runtime: AuthRuntime, request: Request, token: str, active: ActiveToken) -> bool:
    """A DPoP-bound token needs the DPoP scheme and a proof by its key; an unbound one must not
    pretend to be bound (RFC 9449 §7.1)."""
    return _proven_key(runtime, request, token, active.dpop_jkt)


def _proven_key(runtime: AuthRuntime, request: Request, token: str, jkt: str | None) -> bool:
    dpop_scheme = request.headers.get("authorization", "").split(" ", 1)[0].lower() == "dpop"
    if jkt is None:
        return not dpop_scheme
    if not dpop_scheme:
        return False
    proof = runtime.dpop.check(
        request.headers.getlist("dpop"),
        method=request.method,
        path=request.url.path,
        access_token=token,
    )
    return proof is not None and proof.jkt == jkt


def is_api_request(request: Request) -> bool:
    return (
        request.url.path.startswith("/api/")
        or "authorization" in request.headers
        or "text/html" not in request.headers.get("accept", "text/html")
    )


def login_redirect_url(request: Request) -> str:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/auth/login?" + urlencode({"next": here})


def _not_signed_in(request: Request, *, token_given: bool) -> HTTPException:
    if is_api_request(request):
        challenge = 'Bearer realm="registry"'
        if token_given:
            challenge += ', error="invalid_token"'
        challenge += f', DPoP algs="{" ".join(DPOP_ALGORITHMS)}"'
        return HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="sign in first: a valid identity access token or session is required",
            headers={"WWW-Authenticate": challenge},
        )
    # A page: send the browser to sign in and bring it back here afterwards.
    return HTTPException(
        status.HTTP_303_SEE_OTHER,
        detail="sign in first",
        headers={"Location": login_redirect_url(request), "Cache-Control": "no-store"},
    )


async def _active_token(runtime: AuthRuntime, token: str) -> ActiveToken | None:
    if looks_like_jwt(token):
        return await runtime.access_tokens.check(token)
    return await runtime.grpc.introspect(token)


def _cannot_check() -> HTTPException:
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        detail="identity cannot check the token right now; try again",
        headers={"Retry-After": "5"},
    )


async def _from_bearer(runtime: AuthRuntime, request: Request, token: str) -> RegistryUser | None:
    if not token or len(token) > MAX_BEARER_LENGTH or not token.isascii():
        return None
    try:
        active = await _active_token(runtime, token)
        if active is None or active.client_id not in runtime.api_client_ids:
            return None
        if not _proven(runtime, request, token, active):
            return None
        person = await runtime.grpc.get_user(active.user_id)
    except CANNOT_CHECK as error:
        raise _cannot_check() from error
    if person is None:
        return None
    return RegistryUser(
        user_id=active.user_id,
        full_name=person.full_name,
        email=person.email,
        level=active.level,
        amr=active.amr,
    )


async def _from_cookie(runtime: AuthRuntime, request: Request) -> RegistryUser | None:
    session = await sessions.resume_session(
        runtime.database,
        request.cookies.get(runtime.settings.session_cookie_name, ""),
        idle_timeout=runtime.idle_timeout,
    )
    if session is None:
        return None
    return RegistryUser(
        user_id=session.user_id,
        full_name=session.full_name,
        email=session.email,
        level=session.level,
        amr=session.amr,
    )


async def optional_user(request: Request) -> RegistryUser | None:
    """The signed-in user, or None (pages that look different when signed out). A bearer token
    that is not valid is still refused: the caller meant to authenticate."""
    runtime = auth_runtime(request)
    token = _bearer_token(request)
    if token is not None:
        user = await _from_bearer(runtime, request, token)
        if user is None:
            raise _not_signed_in(request, token_given=True)
    else:
        user = await _from_cookie(runtime, request)
    if user is not None and not satisfies(user.level, runtime.settings.required_level):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail=f"sign in with a second factor: the registry needs "
            f"{runtime.settings.required_level}",
        )
    return user


async def current_user(request: Request) -> RegistryUser:
    """The signed-in user; 401 (API) or a redirect to sign in (pages) without one, 403 below
    the registry's level."""
    user = await optional_user(request)
    if user is None:
        raise _not_signed_in(request, token_given=_bearer_token(request) is not None)
    return user


CurrentUser = Annotated[RegistryUser, Depends(current_user)]
OptionalUser = Annotated[RegistryUser | None, Depends(optional_user)]


async def current_machine(request: Request) -> MachineToken:
    """A machine client's client_credentials token (issue 19) — `Authorization: Bearer` or
    `DPoP` with its proof; 401 otherwise (a person's token included: the machine API is for
    machines). Whether the client is still active is checked with the call's audit entry
    (web_services.machine)."""
    runtime = auth_runtime(request)
    token = _bearer_token(request)
    if (
        not token
        or len(token) > MAX_BEARER_LENGTH
        or not token.isascii()
        or not looks_like_jwt(token)
    ):
        raise _not_signed_in(request, token_given=token is not None)
    try:
        machine = await runtime.access_tokens.check_machine(token)
    except CANNOT_CHECK as error:
        raise _cannot_check() from error
    if machine is None or not _proven_key(runtime, request, token, machine.dpop_jkt):
        raise _not_signed_in(request, token_given=True)
    return machine


CurrentMachine = Annotated[MachineToken, Depends(current_machine)]
