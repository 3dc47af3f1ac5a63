"""Log in, the callback from identity, log out, back-channel logout, and the signed-in user's
personal information (read from identity at every sign-in)."""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from gatehouse_common.web_security import (
    CSRF_FIELD,
    csrf_ok,
    csrf_token_for,
    remember_csrf_token,
)
from gatehouse_registry.auth import sessions
from gatehouse_registry.auth.dependencies import CurrentUser
from gatehouse_registry.auth.oidc_client import IdentityProviderError
from gatehouse_registry.auth.runtime import AuthRuntime, auth_runtime, satisfies
from gatehouse_registry.users.service import record_sign_in

logger = logging.getLogger(__name__)
router = APIRouter(tags=["sign-in"])
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

PKCE_VERIFIER_BYTES = 48
# Ties a log in to the browser that started it (against login CSRF).
LOGIN_COOKIE = "__Host-registry_login"


def safe_return_path(value: str | None) -> str:
    """A path on this site only: never an absolute URL, '//host' or a backslash trick."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    if any(ord(character) < 0x20 for character in value) or len(value) > 2000:
        return "/"
    return value


def _redirect(url: str) -> RedirectResponse:
    response = RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(
    request: Request, name: str, values: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    response = templates.TemplateResponse(
        request,
        name,
        {"csrf_field": CSRF_FIELD, "csrf_token": csrf_token_for(request), **values},
        status_code=status_code,
    )
    remember_csrf_token(request, response)
    response.headers["Cache-Control"] = "no-store"
    return response


def _problem(request: Request, title: str, message: str, *, status_code: int) -> HTMLResponse:
    return _page(
        request,
        "auth_message.html",
        {"title": title, "message": message, "retry": "/auth/login"},
        status_code=status_code,
    )


def _pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@router.get("/auth/login", summary="Log in: redirects to identity", include_in_schema=False)
async def login(request: Request, next: str = "/") -> Response:  # noqa: A002
    runtime = auth_runtime(request)
    nonce = sessions.new_token()
    verifier = secrets.token_urlsafe(PKCE_VERIFIER_BYTES)
    binding = request.cookies.get(LOGIN_COOKIE) or sessions.new_token()
    state = await sessions.start_login(
        runtime.pool,
        browser_binding=binding,
        nonce=nonce,
        code_verifier=verifier,
        return_to=safe_return_path(next),
        ttl=timedelta(seconds=runtime.settings.login_state_ttl_s),
    )
    try:
        url = await runtime.identity.authorization_url(
            redirect_uri=runtime.redirect_uri,
            state=state,
            nonce=nonce,
            code_challenge=_pkce_challenge(verifier),
        )
    except IdentityProviderError as error:
        logger.warning("identity unreachable at log in", extra={"error": str(error)})
        return _problem(
            request,
            "Log in is not available",
            "The sign-in service cannot be reached right now. Try again in a moment.",
            status_code=503,
        )
    response = _redirect(url)
    response.set_cookie(
        LOGIN_COOKIE,
        binding,
        max_age=runtime.settings.login_state_ttl_s,
        path="/",
        secure=True,
        httponly=True,
        samesite="lax",
    )
    return response


@router.get(
    "/auth/callback", summary="Identity sends the browser back here", include_in_schema=False
)
async def callback(request: Request) -> Response:
    runtime = auth_runtime(request)
    query = request.query_params
    pending = await sessions.take_login(
        runtime.pool, query.get("state", ""), request.cookies.get(LOGIN_COOKIE, "")
    )
    if pending is None:
        return _problem(
            request,
            "Log in again",
            "This log in has expired or was already used. Start again.",
            status_code=400,
        )
    # RFC 9207: a response naming another issuer is a mix-up attack.
    if query.get("iss") not in (None, runtime.identity.issuer):
        return _problem(request, "Log in failed", "Unexpected issuer.", status_code=400)
    if query.get("error") or not query.get("code"):
        logger.info("sign-in not completed", extra={"error": query.get("error")})
        return _problem(
            request,
            "Log in was not completed",
            "You were not signed in. "
            + (
                "The registry needs a sign-in with a second factor."
                if query.get("error") == "unmet_authentication_requirements"
                else "Start again when you are ready."
            ),
            status_code=400,
        )
    try:
        signed_in = await runtime.identity.exchange_code(
            code=query["code"],
            redirect_uri=runtime.redirect_uri,
            code_verifier=pending.code_verifier,
            nonce=pending.nonce,
        )
    except IdentityProviderError as error:
        logger.warning("sign-in rejected", extra={"error": str(error)})
        return _problem(
            request, "Log in failed", "The sign-in could not be verified.", status_code=400
        )
    if not satisfies(signed_in.level, runtime.settings.required_level):
        # Identity steps users up before answering; a weaker token is never accepted.
        return _problem(
            request,
            "A second factor is required",
            "The registry needs a sign-in with a second factor.",
            status_code=403,
        )
    return await _start_session(request, runtime, signed_in.claims, signed_in.id_token, pending)


async def _start_session(
    request: Request,
    runtime: AuthRuntime,
    claims: dict[str, Any],
    id_token: str,
    pending: sessions.LoginState,
) -> Response:
    user_id = uuid.UUID(str(claims["sub"]))
    full_name = str(claims.get("name") or "").strip()
    email = str(claims.get("email") or "")
    if not full_name or not email:
        person = await runtime.grpc.get_user(user_id)
        if person is None:
            return _problem(request, "Log in failed", "Unknown user.", status_code=400)
        full_name, email = person.full_name, person.email
    await sessions.delete_stale(runtime.pool)
    # The registry's copy of the user follows identity at every sign-in.
    await record_sign_in(
        runtime.pool,
        user_id=user_id,
        full_name=full_name,
        email=email,
        signed_in_at=datetime.now(UTC),
    )
    cookie_name = runtime.settings.session_cookie_name
    await sessions.end_session(runtime.pool, request.cookies.get(cookie_name, ""))
    amr = claims.get("amr")
    token = await sessions.create_session(
        runtime.pool,
        user_id=user_id,
        full_name=full_name,
        email=email,
        level=str(claims["acr"]).rsplit(":", 1)[-1],
        amr=[str(value) for value in amr] if isinstance(amr, list) else [],
        identity_sid=str(claims["sid"]) if claims.get("sid") else None,
        id_token=id_token,
        ttl=timedelta(seconds=runtime.settings.session_absolute_timeout_s),
    )
    response = _redirect(pending.return_to)
    response.set_cookie(
        cookie_name,
        token,
        max_age=runtime.settings.session_absolute_timeout_s,
        path="/",
        secure=True,
        httponly=True,
        samesite="lax",
    )
    return response


async def _same_site_form(request: Request, runtime: AuthRuntime) -> bool:
    """Whether a log out POST comes from the registry's own pages (not a CSRF): the form's
    `csrf_token` (gatehouse_common.web_security), or failing that the browser's own word
    (Sec-Fetch-Site, or an Origin naming the registry; pages send `Origin: null` under
    Referrer-Policy no-referrer, which proves nothing)."""
    form = await request.form(max_fields=10, max_files=0)
    submitted = form.get(CSRF_FIELD)
    if csrf_ok(request, submitted if isinstance(submitted, str) else None):
        return True
    if request.headers.get("sec-fetch-site") == "same-origin":
        return True
    own = urlsplit(runtime.settings.public_url)
    return request.headers.get("origin", "").rstrip("/") == f"{own.scheme}://{own.netloc}"


@router.post(
    "/auth/logout", summary="Log out of the registry and of identity", include_in_schema=False
)
async def logout(request: Request) -> Response:
    """The form that logs out: `<form method="post" action="/auth/logout">` with a hidden
    `csrf_token` field (gatehouse_common.web_security.csrf_token_for)."""
    runtime = auth_runtime(request)
    if not await _same_site_form(request, runtime):
        return JSONResponse(
            {"detail": "log out refused: not from a registry page"}, status_code=403
        )
    cookie_name = runtime.settings.session_cookie_name
    ended = await sessions.end_session(runtime.pool, request.cookies.get(cookie_name, ""))
    response: Response = _redirect(runtime.post_logout_redirect_uri)
    if ended is not None:
        try:
            target = await runtime.identity.end_session_url(
                id_token=ended.id_token, post_logout_redirect_uri=runtime.post_logout_redirect_uri
            )
        except IdentityProviderError:
            logger.warning("identity unreachable at log out: registry session ended only")
        else:
            # A page that moves on by itself, not a redirect: browsers apply the log out form's
            # CSP form-action ('self') to redirects, and identity is another site.
            response = _page(request, "auth_continue.html", {"url": target})
            response.headers["Refresh"] = f"0;url={target}"
    response.delete_cookie(cookie_name, path="/", secure=True, httponly=True, samesite="lax")
    return response


@router.post(
    "/auth/backchannel-logout",
    summary="Identity ends a session (OpenID Connect Back-Channel Logout)",
    response_class=Response,
    responses={
        200: {"description": "The sessions of that identity session are ended"},
        400: {
            "description": "Not a valid logout token",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {"logout_token": {"type": "string"}},
                        "required": ["logout_token"],
                    }
                }
            },
        }
    },
)
async def backchannel_logout(request: Request) -> Response:
    runtime = auth_runtime(request)
    headers = {"Cache-Control": "no-store"}
    form = await request.form(max_fields=5, max_files=0)
    logout_token = form.get("logout_token")
    if not isinstance(logout_token, str) or not logout_token:
        return JSONResponse(
            {"error": "invalid_request", "error_description": "logout_token is required"},
            status_code=400,
            headers=headers,
        )
    try:
        claims = await runtime.identity.validate_logout_token(logout_token)
    except IdentityProviderError as error:
        logger.warning("logout token refused", extra={"error": str(error)})
        return JSONResponse(
            {"error": "invalid_request", "error_description": "logout_token is not valid"},
            status_code=400,
            headers=headers,
        )
    try:
        user_id = uuid.UUID(str(claims["sub"])) if claims.get("sub") else None
    except ValueError:
        user_id = None
    ended = await sessions.end_identity_session(
        runtime.pool, sid=str(claims.get("sid") or "") or None, user_id=user_id
    )
    logger.info("back-channel logout", extra={"sessions_ended": ended})
    return Response(status_code=200, headers=headers)


@router.get(
    "/auth/me",
    summary="The signed-in user, as the registry sees them",
    responses={
        401: {"description": "No valid session or bearer token"},
        403: {"description": "Signed in below multi-factor"},
        503: {"description": "identity could not check the bearer token"},
    },
)
async def me(user: CurrentUser) -> dict[str, Any]:
    return {
        "user_id": str(user.user_id),
        "full_name": user.full_name,
        "email": user.email,
        "level": user.level,
        "amr": user.amr,
    }


@router.get("/auth/profile", summary="Personal information (a page)", include_in_schema=False)
async def profile(request: Request, user: CurrentUser) -> HTMLResponse:
    runtime = auth_runtime(request)
    return _page(
        request,
        "profile.html",
        {"user": user, "identity_account": runtime.identity.issuer + "/account"},
    )
