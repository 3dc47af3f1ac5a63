"""The cookies identity sets, the same for the JSON API and the pages: the session (a random
token; only its hash is stored) and the device cookie (throttling.devices). All are `__Host-`,
Secure, HttpOnly and SameSite=Lax."""

from __future__ import annotations

from starlette.responses import Response

from gatehouse_identity.settings import IdentitySettings
from gatehouse_identity.throttling.devices import DEVICE_COOKIE

DEVICE_COOKIE_MAX_AGE_S = 365 * 24 * 3600


def set_session_cookie(response: Response, settings: IdentitySettings, token: str) -> None:
    response.set_cookie(
        settings.session_cookie_name,
        token,
        max_age=settings.session_absolute_timeout_s,
        path="/",
        secure=True,
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response, settings: IdentitySettings) -> None:
    response.delete_cookie(
        settings.session_cookie_name, path="/", secure=True, httponly=True, samesite="lax"
    )


def set_device_cookie(response: Response, cookie: str | None) -> None:
    """Remember this browser for the account it signed in to (when it was not known yet)."""
    if cookie:
        response.set_cookie(
            DEVICE_COOKIE,
            cookie,
            max_age=DEVICE_COOKIE_MAX_AGE_S,
            path="/",
            secure=True,
            httponly=True,
            samesite="lax",
        )
