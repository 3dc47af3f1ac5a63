"""Protections every server-rendered page needs: CSRF tokens and security headers.

CSRF uses the double-submit pattern: a random value in a `__Host-` cookie (Secure, HttpOnly,
SameSite=Lax) must come back in the form's hidden field; a cross-site page can neither read the
cookie nor set it, so it cannot forge the pair.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

CSRF_COOKIE = "__Host-gatehouse_csrf"
CSRF_FIELD = "csrf_token"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; "
    "script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def csrf_token_for(request: Request) -> str:
    """The token to put in forms: the visitor's existing one, or a new one to set."""
    existing = request.cookies.get(CSRF_COOKIE, "")
    if 20 <= len(existing) <= 100:
        return existing
    token: str = request.state.__dict__.setdefault("new_csrf_token", secrets.token_urlsafe(32))
    return token


def remember_csrf_token(request: Request, response: Response) -> None:
    new_token = request.state.__dict__.get("new_csrf_token")
    if new_token:
        response.set_cookie(
            CSRF_COOKIE, new_token, path="/", secure=True, httponly=True, samesite="lax"
        )


def csrf_ok(request: Request, submitted: str | None) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    return bool(cookie and submitted) and hmac.compare_digest(cookie, str(submitted))


async def security_headers_middleware(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.url.path.startswith(("/api/", "/account", "/password", "/login", "/signup")):
        response.headers.setdefault("Cache-Control", "no-store")
    return response
