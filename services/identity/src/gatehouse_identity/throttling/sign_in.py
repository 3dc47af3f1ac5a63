"""Password sign-in as both transports (JSON API and pages) do it: captcha when the address has
failed too often, the attempt counted in its device bucket, a device cookie on success."""

from __future__ import annotations

import uuid
from contextlib import AbstractAsyncContextManager, nullcontext

from starlette.requests import Request
from starlette.responses import Response

from gatehouse_identity.accounts import service
from gatehouse_identity.accounts.models import User
from gatehouse_identity.context import IdentityContext
from gatehouse_identity.throttling.devices import (
    DEVICE_COOKIE,
    UNKNOWN_CLIENTS,
    failure_bucket,
    issue_device_cookie,
)
from gatehouse_identity.throttling.middleware import client_address
from gatehouse_identity.throttling.sign_in_guard import captcha_gate

DEVICE_COOKIE_MAX_AGE_S = 365 * 24 * 3600


def _device_key(context: IdentityContext) -> bytes:
    return b"device-cookie:" + context.settings.secret_key.get_secret_value().encode()


async def sign_in_with_password(
    request: Request,
    context: IdentityContext,
    *,
    email: str,
    password: str,
    captcha_id: uuid.UUID | None = None,
    captcha_answer: str | None = None,
) -> tuple[User, str | None]:
    """The user, and a device cookie to set when this browser was not known for the login."""
    settings = context.settings
    bucket = failure_bucket(
        _device_key(context), cookie=request.cookies.get(DEVICE_COOKIE), email=email
    )
    gate: AbstractAsyncContextManager[None] = (
        captcha_gate(
            context.pool,
            address=client_address(request),
            after_failures=settings.captcha_after_failed_sign_ins,
            captcha_id=captcha_id,
            captcha_answer=captcha_answer,
        )
        if settings.throttling_enabled
        else nullcontext()
    )
    async with gate:
        user = await service.authenticate(
            context.pool,
            hasher=context.hasher,
            email=email,
            password=password,
            max_failed_attempts=settings.max_failed_password_attempts,
            bucket=bucket,
        )
    known = bucket != UNKNOWN_CLIENTS
    return user, None if known else issue_device_cookie(_device_key(context), email=email)


def set_device_cookie(response: Response, cookie: str | None) -> None:
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
