"""Account pages: create an account, set a password from an e-mailed link, My account, change
the password, and the forgotten password. Server-rendered, no JavaScript; forms keep what was
typed and show each error beside its field."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from gatehouse_identity.accounts import service
from gatehouse_identity.accounts.errors import AccountError
from gatehouse_identity.api.schemas import CreateAccountRequest
from gatehouse_identity.captcha import service as captcha
from gatehouse_identity.captcha.errors import CaptchaError
from gatehouse_identity.languages import EU_LANGUAGES
from gatehouse_identity.mfa import passkeys
from gatehouse_identity.sessions.models import Session
from gatehouse_identity.web.dependencies import (
    BrowserSession,
    Context,
    Db,
    Form,
    Hasher,
    Runtime,
    SignedIn,
    signed_in,
)
from gatehouse_identity.web.i18n import Translator, page_language
from gatehouse_identity.web.navigation import link_return, login_after_link, return_query
from gatehouse_identity.web.rendering import (
    PageRoute,
    message_page,
    redirect,
    render,
    translator,
)

router = APIRouter(include_in_schema=False, route_class=PageRoute)
ACCOUNT = "/account"
CHANGE_PASSWORD = "/account/password"  # noqa: S105  (a path, not a password)
MAX_PASSWORD_LENGTH = 256
MAX_EMAIL_LENGTH = 254

FieldErrors = dict[str, str]
ChangingPassword = Annotated[Session, Depends(signed_in(then=CHANGE_PASSWORD))]
# The sign-in page's return address, passed on to sign-up and the forgotten password.
NextQuery = Annotated[str, Query(alias="next", max_length=2000)]
LevelQuery = Annotated[str, Query(max_length=30)]
RETURN_FIELDS = ("next", "level")


def return_values(values: Mapping[str, str]) -> dict[str, str]:
    """The validated return address a page carries in its form (hidden `next` and `level`), its
    links back to sign-in, and its language links (rendering.language_links)."""
    back = link_return(values)
    if back is None:
        return {"next": "", "level": "", "return_query": ""}
    return {
        "next": back.next_url,
        "level": back.level or "",
        "return_query": return_query(back.next_url, back.level),
    }


def field_errors(error: ValidationError, t: Translator) -> FieldErrors:
    """The form's problems in the page's language: each field's own sentence."""
    errors: FieldErrors = {}
    for problem in error.errors():
        field = str(problem["loc"][-1]) if problem["loc"] else "form"
        mismatch = field == "email_confirmation" and problem["type"] == "value_error"
        errors.setdefault(
            field, t(f"field.{field}.mismatch" if mismatch else f"field.{field}.invalid")
        )
    return errors


def optional_uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        return None


@router.get("/")
async def home(session: BrowserSession) -> Response:
    return redirect(ACCOUNT if session else "/login")


# --- Create an account -------------------------------------------------------------------


async def _signup_page(
    request: Request,
    context: Context,
    *,
    form: Mapping[str, str],
    errors: FieldErrors,
    status_code: int = 200,
) -> HTMLResponse:
    captcha_id = (
        await captcha.create_challenge(context.database)
        if context.settings.captcha_enabled
        else None
    )
    return render(
        request,
        "signup.html",
        {
            "form": form,
            "errors": errors,
            "languages": EU_LANGUAGES,
            "captcha_id": captcha_id,
            **return_values(form),
        },
        status_code=status_code,
    )


@router.get("/privacy")
async def privacy_statement(request: Request, context: Context) -> HTMLResponse:
    """The privacy statement the sign-up page asks people to accept (it was not a link)."""
    version = context.settings.privacy_statement_version
    return render(request, "privacy.html", {"version": version})


@router.get("/signup")
async def signup_form(
    request: Request, context: Context, next_url: NextQuery = "", level: LevelQuery = ""
) -> HTMLResponse:
    form = {"email_language": page_language(request), "next": next_url, "level": level}
    return await _signup_page(request, context, form=form, errors={})


@router.post("/signup")
async def signup(request: Request, fields: Form, context: Context) -> Response:
    t = translator(request)
    data: dict[str, Any] = {
        **{name: value for name, value in fields.items() if name not in RETURN_FIELDS},
        "privacy_statement_accepted": "privacy_statement_accepted" in fields,
    }
    try:
        body = CreateAccountRequest.model_validate(data)
    except ValidationError as error:
        return await _signup_page(
            request, context, form=fields, errors=field_errors(error, t), status_code=422
        )
    try:
        await service.create_account(
            context.database,
            email=body.email,
            first_name=body.first_name,
            last_name=body.last_name,
            email_language=body.email_language,
            privacy_statement_version=context.settings.privacy_statement_version,
            captcha_required=context.settings.captcha_enabled,
            captcha_id=optional_uuid(fields.get("captcha_id")),
            captcha_answer=fields.get("captcha_answer", ""),
            back=link_return(fields),
        )
    except CaptchaError as error:
        errors = {"captcha_answer": t.error(error)}
        return await _signup_page(request, context, form=fields, errors=errors, status_code=422)
    return message_page(
        request,
        title=t("signup.sent.title"),
        message=t("signup.sent.message", email=body.email),
    )


# --- Set a password from an e-mailed link ------------------------------------------------


@router.get("/password/set")
async def set_password_form(request: Request, database: Db, token: str = "") -> HTMLResponse:
    if not await service.password_link_usable(database, token=token):
        t = translator(request)
        return message_page(
            request, title=t("error.title"), message=t("password.link_invalid"), status_code=400
        )
    return render(request, "set_password.html", {"token": token})


@router.post("/password/set")
async def set_password(request: Request, fields: Form, database: Db, hasher: Hasher) -> Response:
    t = translator(request)
    token = fields.get("token", "")
    password = fields.get("password", "")
    if password != fields.get("password_confirmation", ""):
        errors = {"password_confirmation": t("field.password_confirmation.mismatch")}
        values = {"token": token, "errors": errors}
        return render(request, "set_password.html", values, status_code=422)
    back = await service.link_return(database, token=token)
    try:
        await service.set_password_with_link(
            database, hasher=hasher, token=token, password=password[:MAX_PASSWORD_LENGTH]
        )
    except AccountError as error:
        values = {"token": token, "errors": {error.field or "password": t.error(error)}}
        return render(request, "set_password.html", values, status_code=422)
    return message_page(
        request,
        title=t("password.set.done_title"),
        message=t("password.set.done"),
        link=login_after_link(back),
        link_text=t("login.title"),
    )


# --- My account --------------------------------------------------------------------------


@router.get(ACCOUNT)
async def my_account(request: Request, session: SignedIn, database: Db) -> Response:
    """My account; after a password sign-in, the invitation to add a passkey until the user
    has one or says no (issue 18)."""
    user = await service.get_user(database, user_id=session.user_id)
    invite = "pwd" in session.amr and await passkeys.invitation_due(database, user_id=user.id)
    values = {
        "user": user,
        "session": session,
        "language_name": EU_LANGUAGES.get(user.email_language),
        "passkey_invitation": invite,
    }
    return render(request, "account.html", values)


@router.post(ACCOUNT + "/passkey-invitation/dismiss")
async def dismiss_passkey_invitation(
    _fields: Form, session: SignedIn, database: Db, runtime: Runtime
) -> Response:
    await passkeys.dismiss_invitation(database, runtime, user_id=session.user_id)
    return redirect(ACCOUNT)


PROFILE = ACCOUNT + "/profile"
MAX_NAME_LENGTH = 100  # as accounts/fields.Name
PROFILE_FIELDS = ("first_name", "last_name", "email_language")


@router.get(PROFILE)
async def profile_form(request: Request, session: SignedIn, database: Db) -> Response:
    """Change one's name and e-mail language (the registry's "Update your information" lands
    here; only PATCH /api/v1/me could before)."""
    user = await service.get_user(database, user_id=session.user_id)
    form = {"first_name": user.first_name, "last_name": user.last_name}
    form["email_language"] = user.email_language
    return render(request, "profile.html", {"form": form, "languages": EU_LANGUAGES})


@router.post(PROFILE)
async def change_profile(
    request: Request, fields: Form, session: SignedIn, database: Db
) -> Response:
    t = translator(request)
    form = {name: fields.get(name, "").strip()[:200] for name in PROFILE_FIELDS}
    errors = {
        name: t(f"field.{name}.invalid")
        for name, valid in (
            ("first_name", 0 < len(form["first_name"]) <= MAX_NAME_LENGTH),
            ("last_name", 0 < len(form["last_name"]) <= MAX_NAME_LENGTH),
            ("email_language", form["email_language"] in EU_LANGUAGES),
        )
        if not valid
    }
    if errors:
        values = {"form": form, "errors": errors, "languages": EU_LANGUAGES}
        return render(request, "profile.html", values, status_code=422)
    await service.update_profile(database, user_id=session.user_id, **form)
    return message_page(
        request,
        title=t("profile.saved.title"),
        message=t("profile.saved.message"),
        link=ACCOUNT,
        link_text=t("account.title"),
    )


@router.get(CHANGE_PASSWORD)
async def change_password_form(request: Request, _session: SignedIn) -> Response:
    return render(request, "change_password.html")


@router.post(CHANGE_PASSWORD)
async def change_password(
    request: Request,
    fields: Form,
    session: ChangingPassword,
    database: Db,
    hasher: Hasher,
) -> Response:
    t = translator(request)
    if fields.get("new_password") != fields.get("new_password_confirmation"):
        errors = {"new_password_confirmation": t("field.password_confirmation.mismatch")}
        return render(request, "change_password.html", {"errors": errors}, status_code=422)
    try:
        await service.change_password(
            database,
            hasher=hasher,
            user_id=session.user_id,
            current_password=fields.get("current_password", "")[:MAX_PASSWORD_LENGTH],
            new_password=fields.get("new_password", "")[:MAX_PASSWORD_LENGTH],
            keep_session_hash=session.id_hash,
        )
    except AccountError as error:
        errors = {error.field or "new_password": t.error(error)}
        return render(request, "change_password.html", {"errors": errors}, status_code=422)
    return message_page(
        request,
        title=t("password.changed.title"),
        message=t("password.changed.message"),
        link=ACCOUNT,
        link_text=t("account.title"),
    )


# --- Forgotten password ------------------------------------------------------------------


@router.get("/password/forgot")
async def forgot_password_form(
    request: Request, next_url: NextQuery = "", level: LevelQuery = ""
) -> HTMLResponse:
    values = return_values({"next": next_url, "level": level})
    return render(request, "forgot_password.html", values)


@router.post("/password/forgot")
async def forgot_password(request: Request, fields: Form, database: Db) -> Response:
    t = translator(request)
    email = fields.get("email", "").strip()[:MAX_EMAIL_LENGTH]
    if "@" not in email:
        values = {
            "form": {"email": email},
            "errors": {"email": t("field.email.invalid")},
            **return_values(fields),
        }
        return render(request, "forgot_password.html", values, status_code=422)
    await service.request_password_reset(database, email=email, back=link_return(fields))
    return message_page(request, title=t("forgot.sent.title"), message=t("forgot.sent.message"))
