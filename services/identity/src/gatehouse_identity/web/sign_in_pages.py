"""Signing in and out on the web: `/login?next=<path>&level=<level>` signs in, or steps an
existing session up to `level` (only the missing factor is asked for), then goes to `next` (a
path on this site only). The second step's pages are second_factor_pages.py. The same page
offers the user's passkeys (`/login/passkey`), which need no e-mail and no second step."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from gatehouse_identity.accounts import sign_in as password_sign_in
from gatehouse_identity.accounts.errors import AccountBlockedError, InvalidCredentialsError
from gatehouse_identity.api.errors import status_of
from gatehouse_identity.api.schemas import AuthenticationCredential
from gatehouse_identity.context import IdentityContext
from gatehouse_identity.cookies import clear_session_cookie, set_device_cookie, set_session_cookie
from gatehouse_identity.levels import parse_level
from gatehouse_identity.mfa.errors import MfaError
from gatehouse_identity.sign_in import service
from gatehouse_identity.throttling.devices import DEVICE_COOKIE
from gatehouse_identity.throttling.errors import CaptchaRequiredError
from gatehouse_identity.web.account_pages import optional_uuid
from gatehouse_identity.web.dependencies import (
    BrowserSession,
    ClientAddress,
    Context,
    Form,
    Runtime,
    SessionToken,
    UserAgent,
)
from gatehouse_identity.web.navigation import login_url, return_query, safe_next, second_factor_url
from gatehouse_identity.web.rendering import PageRoute, redirect, render, translator

router = APIRouter(include_in_schema=False, route_class=PageRoute)
MAX_EMAIL_LENGTH = 254
MAX_PASSWORD_LENGTH = 256


@router.get("/login")
async def login_form(
    request: Request,
    *,
    session: BrowserSession,
    context: Context,
    runtime: Runtime,
    address: ClientAddress,
    next_url: Annotated[str, Query(alias="next", max_length=2000)] = "",
    level: Annotated[str, Query(max_length=30)] = "",
    fresh: Annotated[str, Query(max_length=1)] = "",
) -> Response:
    target = safe_next(next_url)
    wanted = parse_level(level, default="") or None
    if session is not None:
        status = await service.session_status(
            context.database, runtime, session=session, requested_level=wanted, fresh=fresh == "1"
        )
        if status.requirement.satisfied:
            return redirect(target)
        return redirect(second_factor_url(next_url=target, level=wanted, fresh=fresh == "1"))
    captcha_id = await password_sign_in.captcha_for_form(
        context.database, settings=context.settings, address=address
    )
    values = {
        "next": target,
        "level": wanted or "",
        "captcha_id": captcha_id,
        "return_query": return_query(target, wanted),
    }
    return render(request, "login.html", values)


@router.post("/login")
async def login(
    request: Request,
    *,
    fields: Form,
    context: Context,
    runtime: Runtime,
    address: ClientAddress,
    user_agent: UserAgent,
) -> Response:
    email = fields.get("email", "")[:MAX_EMAIL_LENGTH]
    target = safe_next(fields.get("next"))
    wanted = parse_level(fields.get("level"), default="") or None
    try:
        signed_in = await service.sign_in_with_password(
            context.database,
            runtime,
            hasher=context.hasher,
            settings=context.settings,
            email=email,
            password=fields.get("password", "")[:MAX_PASSWORD_LENGTH],
            address=address,
            user_agent=user_agent,
            device_cookie=request.cookies.get(DEVICE_COOKIE),
            captcha_id=optional_uuid(fields.get("captcha_id")),
            captcha_answer=fields.get("captcha_answer"),
            requested_level=wanted,
        )
    except (InvalidCredentialsError, AccountBlockedError, CaptchaRequiredError) as error:
        captcha_due = isinstance(error, CaptchaRequiredError)
        captcha_id = await password_sign_in.captcha_for_form(
            context.database, settings=context.settings, address=address
        )
        values = {
            "form": {"email": email},
            "errors": {
                "captcha_answer" if captcha_due else "password": translator(request).error(error)
            },
            "next": target,
            "level": wanted or "",
            "captcha_id": captcha_id,
            "return_query": return_query(target, wanted),
            # Said only after the right password (accounts/sign_in.py): the way out, a new one.
            "blocked": isinstance(error, AccountBlockedError),
        }
        return render(request, "login.html", values, status_code=422 if captcha_due else 401)
    need = signed_in.requirement
    response = redirect(
        target if need.satisfied else second_factor_url(next_url=target, level=wanted)
    )
    set_session_cookie(response, context.settings, signed_in.new.token)
    set_device_cookie(response, signed_in.new_device_cookie)
    return response


@router.post("/login/passkey")
async def passkey_login(
    request: Request,
    *,
    fields: Form,
    context: Context,
    runtime: Runtime,
    address: ClientAddress,
    user_agent: UserAgent,
) -> Response:
    """The sign-in page's passkey (its button or the e-mail field's autofill): the script puts
    the browser's assertion in `credential`; back to `next` as after a password."""
    target = safe_next(fields.get("next"))
    wanted = parse_level(fields.get("level"), default="") or None
    try:
        credential = AuthenticationCredential.model_validate_json(fields.get("credential", ""))
    except ValidationError:
        sentence = translator(request)("mfa.webauthn.unreadable")
        return await _passkey_refused(
            request, context, address=address, target=target, wanted=wanted, sentence=sentence
        )
    try:
        signed_in = await service.sign_in_with_passkey(
            context.database,
            runtime,
            settings=context.settings,
            credential=credential.model_dump(exclude_none=True),
            address=address,
            user_agent=user_agent,
            device_cookie=request.cookies.get(DEVICE_COOKIE),
            requested_level=wanted,
        )
    except (MfaError, AccountBlockedError) as error:
        sentence = translator(request).error(error)
        blocked = isinstance(error, AccountBlockedError)
        return await _passkey_refused(
            request,
            context,
            address=address,
            target=target,
            wanted=wanted,
            sentence=sentence,
            status_code=status_of(error),
            blocked=blocked,
        )
    need = signed_in.requirement
    response = redirect(
        target if need.satisfied else second_factor_url(next_url=target, level=wanted)
    )
    set_session_cookie(response, context.settings, signed_in.new.token)
    set_device_cookie(response, signed_in.new_device_cookie)
    return response


async def _passkey_refused(
    request: Request,
    context: IdentityContext,
    *,
    address: str | None,
    target: str,
    wanted: str | None,
    sentence: str,
    status_code: int = 422,
    blocked: bool = False,
) -> Response:
    """The sign-in page again, the sentence beside the passkey button (and, for a blocked
    account, the way out that password sign-in shows)."""
    captcha_id = await password_sign_in.captcha_for_form(
        context.database, settings=context.settings, address=address
    )
    values = {
        "errors": {"passkey": sentence},
        "next": target,
        "level": wanted or "",
        "captcha_id": captcha_id,
        "blocked": blocked,
    }
    return render(request, "login.html", values, status_code=status_code)


@router.post("/logout")
async def logout(fields: Form, token: SessionToken, context: Context) -> Response:
    """Sign out; with `next` (a page that wants a recent sign-in, e.g. My data), sign in again
    and go back there."""
    await service.sign_out(context.database, token=token)
    target = fields.get("next")
    response = redirect(login_url(next_url=safe_next(target), level=None) if target else "/login")
    clear_session_cookie(response, context.settings)
    return response
