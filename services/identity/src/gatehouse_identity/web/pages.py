"""Identity's web pages: create account, set password, sign in, My account, change and reset
the password. Server-rendered, no JavaScript; forms keep what was typed and show each error
beside its field."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from gatehouse_common.web_security import CSRF_FIELD, csrf_ok, csrf_token_for, remember_csrf_token
from gatehouse_identity.accounts import service, sessions
from gatehouse_identity.accounts.api import set_session_cookie
from gatehouse_identity.accounts.errors import AccountError, InvalidCredentialsError
from gatehouse_identity.accounts.links import check_password_link
from gatehouse_identity.accounts.schemas import CreateAccountRequest
from gatehouse_identity.captcha import service as captcha
from gatehouse_identity.context import IdentityContext
from gatehouse_identity.languages import EU_LANGUAGES
from gatehouse_identity.mfa import factors as mfa_factors
from gatehouse_identity.mfa.levels import parse_level
from gatehouse_identity.mfa.navigation import safe_next, second_factor_url
from gatehouse_identity.mfa.runtime import runtime_for as mfa_runtime_for
from gatehouse_identity.throttling.middleware import client_address
from gatehouse_identity.throttling.sign_in import set_device_cookie, sign_in_with_password
from gatehouse_identity.throttling.sign_in_guard import CaptchaRequiredError, captcha_required
from gatehouse_identity.web.i18n import LANGUAGE_COOKIE, Translator, page_language

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
FORM_LIMIT_FIELDS = 30

FieldErrors = dict[str, str]


def _context(request: Request) -> IdentityContext:
    context: IdentityContext = request.app.state.context
    return context


def render(
    request: Request, name: str, values: Mapping[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    language = page_language(request)
    response = templates.TemplateResponse(
        request,
        name,
        {
            "t": Translator(language),
            "lang": language,
            "csrf_field": CSRF_FIELD,
            "csrf_token": csrf_token_for(request),
            "errors": {},
            "form": {},
            # "Sign in with eID" only where an upstream eID broker is configured (EID_PROVIDERS).
            "eid_offered": bool(_context(request).settings.eid_providers),
            **(values or {}),
        },
        status_code=status_code,
    )
    remember_csrf_token(request, response)
    if request.query_params.get("lang") == language:
        response.set_cookie(
            LANGUAGE_COOKIE, language, path="/", samesite="lax", secure=True, httponly=True
        )
    return response


async def read_form(request: Request) -> dict[str, str] | None:
    """The posted fields, or None when the CSRF token is missing or wrong."""
    form = await request.form(max_fields=FORM_LIMIT_FIELDS, max_files=0)
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    if not csrf_ok(request, fields.pop(CSRF_FIELD, None)):
        return None
    return fields


def csrf_failure(request: Request) -> HTMLResponse:
    t = Translator(page_language(request))
    return render(
        request,
        "message.html",
        {"title": t("error.title"), "message": t("error.csrf")},
        status_code=status.HTTP_403_FORBIDDEN,
    )


def field_errors(error: ValidationError, t: Translator) -> FieldErrors:
    errors: FieldErrors = {}
    for problem in error.errors():
        field = str(problem["loc"][-1]) if problem["loc"] else "form"
        errors.setdefault(
            field,
            t(f"field.{field}.invalid")
            if problem["type"] == "missing"
            else problem["msg"].removeprefix("Value error, "),
        )
    return errors


async def signed_in_session(request: Request) -> sessions.Session | None:
    context = _context(request)
    return await sessions.resume_session(
        context.pool,
        token=request.cookies.get(context.settings.session_cookie_name, ""),
        idle_timeout=timedelta(seconds=context.settings.session_idle_timeout_s),
    )


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)


@router.get("/")
async def home(request: Request) -> Response:
    return redirect("/account" if await signed_in_session(request) else "/login")


# --- Create an account -------------------------------------------------------------------


async def _signup_page(
    request: Request, *, form: Mapping[str, str], errors: FieldErrors, status_code: int = 200
) -> HTMLResponse:
    context = _context(request)
    captcha_id = (
        await captcha.create_challenge(context.pool) if context.settings.captcha_enabled else None
    )
    return render(
        request,
        "signup.html",
        {"form": form, "errors": errors, "languages": EU_LANGUAGES, "captcha_id": captcha_id},
        status_code=status_code,
    )


@router.get("/signup")
async def signup_form(request: Request) -> HTMLResponse:
    return await _signup_page(request, form={"email_language": page_language(request)}, errors={})


@router.post("/signup")
async def signup(request: Request) -> Response:
    fields = await read_form(request)
    if fields is None:
        return csrf_failure(request)
    context = _context(request)
    t = Translator(page_language(request))
    data: dict[str, Any] = {
        **fields,
        "privacy_statement_accepted": "privacy_statement_accepted" in fields,
    }
    errors: FieldErrors = {}
    try:
        body = CreateAccountRequest.model_validate(data)
    except ValidationError as error:
        errors = field_errors(error, t)
    if not errors and context.settings.captcha_enabled:
        try:
            await captcha.solve_challenge(
                context.pool,
                challenge_id=_uuid_or_none(fields.get("captcha_id")),
                answer=fields.get("captcha_answer", ""),
            )
        except (captcha.CaptchaFailedError, ValueError):
            errors["captcha_answer"] = t("field.captcha_answer.invalid")
    if errors:
        return await _signup_page(request, form=fields, errors=errors, status_code=422)
    await service.create_account(
        context.pool,
        email=body.email,
        first_name=body.first_name,
        last_name=body.last_name,
        email_language=body.email_language,
        privacy_statement_version=context.settings.privacy_statement_version,
    )
    return render(
        request,
        "message.html",
        {"title": t("signup.sent.title"), "message": t("signup.sent.message", email=body.email)},
    )


def _uuid_or_none(value: str | None) -> uuid.UUID:
    """The captcha id from the form (ValueError when it was tampered with)."""
    return uuid.UUID(value or "")


def _optional_uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        return None


# --- Set a password from an e-mailed link ------------------------------------------------


@router.get("/password/set")
async def set_password_form(request: Request, token: str = "") -> HTMLResponse:
    context = _context(request)
    async with context.pool.acquire() as connection:
        usable = await check_password_link(connection, token)
    if not usable:
        t = Translator(page_language(request))
        return render(
            request,
            "message.html",
            {"title": t("error.title"), "message": t("password.link_invalid")},
            status_code=400,
        )
    return render(request, "set_password.html", {"token": token})


@router.post("/password/set")
async def set_password(request: Request) -> Response:
    fields = await read_form(request)
    if fields is None:
        return csrf_failure(request)
    t = Translator(page_language(request))
    token = fields.get("token", "")
    password = fields.get("password", "")
    if password != fields.get("password_confirmation", ""):
        return render(
            request,
            "set_password.html",
            {
                "token": token,
                "errors": {"password_confirmation": t("field.password_confirmation.mismatch")},
            },
            status_code=422,
        )
    context = _context(request)
    try:
        await service.set_password_with_link(
            context.pool, hasher=context.hasher, token=token, password=password[:256]
        )
    except AccountError as error:
        return render(
            request,
            "set_password.html",
            {"token": token, "errors": {error.field or "password": error.message}},
            status_code=422,
        )
    return render(
        request,
        "message.html",
        {
            "title": t("password.set.done_title"),
            "message": t("password.set.done"),
            "link": "/login",
            "link_text": t("login.title"),
        },
    )


# --- Sign in and out ---------------------------------------------------------------------


@router.get("/login")
async def login_form(
    request: Request,
    next_url: Annotated[str, Query(alias="next", max_length=2000)] = "",
    level: Annotated[str, Query(max_length=30)] = "",
    fresh: Annotated[str, Query(max_length=1)] = "",
) -> Response:
    """`/login?next=<path>&level=<level>`: sign in, or step an existing session up to `level`
    (only the missing factor is asked for), then go to `next` (a path on this site only)."""
    target = safe_next(next_url)
    wanted = parse_level(level, default="") or None
    session = await signed_in_session(request)
    if session is not None:
        context = _context(request)
        need = await mfa_factors.requirement(
            context.pool,
            mfa_runtime_for(request),
            session=session,
            requested_level=wanted,
            fresh=fresh == "1",
        )
        if need.satisfied:
            return redirect(target)
        return redirect(second_factor_url(next_url=target, level=wanted, fresh=fresh == "1"))
    return render(
        request,
        "login.html",
        {"next": target, "level": wanted or "", "captcha_id": await _login_captcha(request)},
    )


@router.post("/login")
async def login(request: Request) -> Response:
    fields = await read_form(request)
    if fields is None:
        return csrf_failure(request)
    context = _context(request)
    t = Translator(page_language(request))
    email = fields.get("email", "")[:254]
    target = safe_next(fields.get("next"))
    wanted = parse_level(fields.get("level"), default="") or None
    try:
        user, device_cookie = await sign_in_with_password(
            request,
            context,
            email=email,
            password=fields.get("password", "")[:256],
            captcha_id=_optional_uuid(fields.get("captcha_id")),
            captcha_answer=fields.get("captcha_answer"),
        )
    except (InvalidCredentialsError, CaptchaRequiredError) as error:
        captcha_due = isinstance(error, CaptchaRequiredError)
        return render(
            request,
            "login.html",
            {
                "form": {"email": email},
                "errors": {"captcha_answer": t("login.captcha_required")}
                if captcha_due
                else {"password": t("login.failed")},
                "next": target,
                "level": wanted or "",
                "captcha_id": await _login_captcha(request),
            },
            status_code=422 if captcha_due else 401,
        )
    new = await sessions.start_session(
        context.pool,
        user_id=user.id,
        amr=["pwd"],
        level=sessions.AuthLevel.PASSWORD,
        absolute_timeout=timedelta(seconds=context.settings.session_absolute_timeout_s),
        ip_address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )
    # A second factor next when the level (or the user's policy) needs one: mfa.factors.
    need = await mfa_factors.requirement(
        context.pool, mfa_runtime_for(request), session=new.session, requested_level=wanted
    )
    response = redirect(
        target if need.satisfied else second_factor_url(next_url=target, level=wanted)
    )
    set_session_cookie(response, context, new.token)
    set_device_cookie(response, device_cookie)
    return response


async def _login_captcha(request: Request) -> uuid.UUID | None:
    """A captcha for the sign-in form when this address has failed too often, else None."""
    context = _context(request)
    settings = context.settings
    if not settings.throttling_enabled or not await captcha_required(
        context.pool,
        address=client_address(request),
        after_failures=settings.captcha_after_failed_sign_ins,
    ):
        return None
    return await captcha.create_challenge(context.pool)


@router.post("/logout")
async def logout(request: Request) -> Response:
    fields = await read_form(request)
    if fields is None:
        return csrf_failure(request)
    context = _context(request)
    name = context.settings.session_cookie_name
    await sessions.end_session(context.pool, token=request.cookies.get(name, ""))
    response = redirect("/login")
    response.delete_cookie(name, path="/", secure=True, httponly=True, samesite="lax")
    return response


# --- My account --------------------------------------------------------------------------


@router.get("/account")
async def my_account(request: Request) -> Response:
    session = await signed_in_session(request)
    if session is None:
        return redirect("/login")
    user = await service.get_user(_context(request).pool, user_id=session.user_id)
    return render(
        request,
        "account.html",
        {"user": user, "session": session, "language_name": EU_LANGUAGES.get(user.email_language)},
    )


@router.get("/account/password")
async def change_password_form(request: Request) -> Response:
    if await signed_in_session(request) is None:
        return redirect("/login")
    return render(request, "change_password.html")


@router.post("/account/password")
async def change_password(request: Request) -> Response:
    fields = await read_form(request)
    if fields is None:
        return csrf_failure(request)
    session = await signed_in_session(request)
    if session is None:
        return redirect("/login")
    context = _context(request)
    t = Translator(page_language(request))
    if fields.get("new_password") != fields.get("new_password_confirmation"):
        return render(
            request,
            "change_password.html",
            {"errors": {"new_password_confirmation": t("field.password_confirmation.mismatch")}},
            status_code=422,
        )
    try:
        await service.change_password(
            context.pool,
            hasher=context.hasher,
            user_id=session.user_id,
            current_password=fields.get("current_password", "")[:256],
            new_password=fields.get("new_password", "")[:256],
            keep_session_hash=session.id_hash,
        )
    except AccountError as error:
        return render(
            request,
            "change_password.html",
            {"errors": {error.field or "new_password": error.message}},
            status_code=422,
        )
    return render(
        request,
        "message.html",
        {
            "title": t("password.changed.title"),
            "message": t("password.changed.message"),
            "link": "/account",
            "link_text": t("account.title"),
        },
    )


# --- Forgotten password ------------------------------------------------------------------


@router.get("/password/forgot")
async def forgot_password_form(request: Request) -> HTMLResponse:
    return render(request, "forgot_password.html")


@router.post("/password/forgot")
async def forgot_password(request: Request) -> Response:
    fields = await read_form(request)
    if fields is None:
        return csrf_failure(request)
    t = Translator(page_language(request))
    email = fields.get("email", "").strip()[:254]
    if "@" not in email:
        return render(
            request,
            "forgot_password.html",
            {"form": {"email": email}, "errors": {"email": t("field.email.invalid")}},
            status_code=422,
        )
    await service.request_password_reset(_context(request).pool, email=email)
    return render(
        request,
        "message.html",
        {"title": t("forgot.sent.title"), "message": t("forgot.sent.message")},
    )
