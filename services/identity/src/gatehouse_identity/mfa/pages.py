"""Web pages for second factors: the second step of sign-in (choose a method, answer it) and
My account → Security (authenticator apps, mobile devices, security keys, phone numbers,
recovery codes, "always require", reset).

Pages work without JavaScript except where the browser itself must act: the page waiting for
an app approval polls and continues by itself (/static/gatehouse-mfa.js), and WebAuthn needs
navigator.credentials. The CSP allows scripts from this origin only, so data reaches the
script through data- attributes and a JSON <script> block, never inline code.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import ValidationError

from gatehouse_identity.accounts import service
from gatehouse_identity.accounts.api import set_session_cookie
from gatehouse_identity.accounts.sessions import AuthLevel, Session
from gatehouse_identity.context import IdentityContext
from gatehouse_identity.mfa import (
    factors,
    mobile_app,
    recovery_codes,
    signin,
    sms,
    totp,
)
from gatehouse_identity.mfa import webauthn as security_keys
from gatehouse_identity.mfa.errors import (
    AttemptEndedError,
    InvalidFactorInputError,
    MfaError,
    NotFoundError,
    StepUpRequiredError,
)
from gatehouse_identity.mfa.levels import FactorKind, Method, parse_level
from gatehouse_identity.mfa.navigation import (
    flow_query,
    login_url,
    safe_next,
    second_factor_url,
)
from gatehouse_identity.mfa.qr import png_data_uri
from gatehouse_identity.mfa.runtime import MfaRuntime, runtime_for
from gatehouse_identity.mfa.schemas import AuthenticationCredential, RegistrationCredential
from gatehouse_identity.web.i18n import Translator, page_language
from gatehouse_identity.web.pages import (
    csrf_failure,
    read_form,
    redirect,
    render,
    signed_in_session,
)

router = APIRouter(include_in_schema=False)
SECURITY = "/account/security"


def _context(request: Request) -> IdentityContext:
    context: IdentityContext = request.app.state.context
    return context


def _t(request: Request) -> Translator:
    return Translator(page_language(request))


@dataclass(frozen=True)
class Flow:
    """Where a sign-in goes after the second factor, carried from page to page."""

    next_url: str
    level: str | None
    fresh: bool

    @classmethod
    def read(cls, values: Mapping[str, str]) -> Flow:
        return cls(
            next_url=safe_next(values.get("next")),
            level=parse_level(values.get("level"), default="") or None,
            fresh=values.get("fresh") == "1",
        )

    @property
    def query(self) -> str:
        return flow_query(next_url=self.next_url, level=self.level, fresh=self.fresh)

    def fields(self) -> dict[str, str]:
        return {
            "next": self.next_url,
            "level": self.level or "",
            "fresh": "1" if self.fresh else "",
        }


def _message(
    request: Request,
    title: str,
    message: str,
    *,
    link: str | None = None,
    link_text: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    values = {"title": title, "message": message, "link": link, "link_text": link_text}
    return render(request, "message.html", values, status_code=status_code)


def _error_text(request: Request, error: MfaError) -> str:
    """The error's message in the page's language (domain errors are written in English)."""
    return Translator(page_language(request)).message(error.message)


# --- sign-in: the second step -----------------------------------------------------------------


async def _requirement(request: Request, session: Session, flow: Flow) -> factors.Requirement:
    return await factors.requirement(
        _context(request).pool,
        runtime_for(request),
        session=session,
        requested_level=flow.level,
        fresh=flow.fresh,
    )


@router.get("/login/second-factor")
async def choose_method(request: Request) -> Response:
    flow = Flow.read(request.query_params)
    session = await signed_in_session(request)
    if session is None:
        return redirect(login_url(next_url=flow.next_url, level=flow.level, fresh=flow.fresh))
    need = await _requirement(request, session, flow)
    if need.satisfied:
        return redirect(flow.next_url)
    runtime = runtime_for(request)
    if need.enrolment_required:
        return render(
            request,
            "mfa/login_enrol.html",
            {
                "flow": flow,
                "sms_withdrawn": not runtime.sms_allowed,
                "sunset_date": runtime.settings.sms_sunset_date.isoformat(),
                "level": need.level,
            },
        )
    return render(
        request,
        "mfa/login_choose.html",
        {"flow": flow, "methods": need.methods, "sms_warning": need.sms_sunset_warning},
    )


def _method(value: str) -> Method | None:
    try:
        return Method(value)
    except ValueError:
        return None


async def _method_page(
    request: Request,
    session: Session,
    flow: Flow,
    method: Method,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    challenge_id: uuid.UUID | None = None,
) -> Response:
    """The page for answering `method` (creating the challenge it needs, or showing
    `challenge_id` again while it can still be answered)."""
    context, runtime = _context(request), runtime_for(request)
    values: dict[str, Any] = {"flow": flow, "method": method, "errors": errors or {}}
    if method is Method.MOBILE_APP_PUSH:
        push = await mobile_app.create_push(
            context.pool,
            runtime,
            session=session,
            ip_address=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent"),
        )
        values |= {"challenge_id": push.id, "number": push.number, "expires_at": push.expires_at}
        return render(request, "mfa/login_push.html", values, status_code=status_code)
    if method is Method.MOBILE_APP_QR:
        existing = (
            await mobile_app.pending_qr(
                context.pool, runtime, session=session, challenge_id=challenge_id
            )
            if challenge_id
            else None
        )
        qr = existing or await mobile_app.create_qr(context.pool, runtime, session=session)
        values |= {
            "challenge_id": qr.id,
            "qr_image": png_data_uri(qr.payload),
            "qr_payload": qr.payload,
            "code_length": mobile_app.OTP_DIGITS,
        }
        return render(request, "mfa/login_code.html", values, status_code=status_code)
    if method is Method.WEBAUTHN:
        ceremony = await security_keys.authentication_options(
            context.pool, runtime, session=session
        )
        values |= {
            "challenge_id": ceremony.challenge_id,
            "options_json": json.dumps(ceremony.options),
        }
        return render(request, "mfa/login_webauthn.html", values, status_code=status_code)
    if method is Method.SMS:
        numbers = await sms.phone_numbers(context.pool, user_id=session.user_id)
        values |= {
            "numbers": numbers,
            "sunset_date": runtime.settings.sms_sunset_date.isoformat(),
        }
        return render(request, "mfa/login_sms.html", values, status_code=status_code)
    values |= {
        "code_length": totp.DIGITS if method is Method.TOTP else recovery_codes.CODE_LENGTH + 1
    }
    return render(request, "mfa/login_code.html", values, status_code=status_code)


@router.get("/login/second-factor/{method_name}")
async def method_form(request: Request, method_name: str) -> Response:
    flow = Flow.read(request.query_params)
    session = await signed_in_session(request)
    if session is None:
        return redirect(login_url(next_url=flow.next_url, level=flow.level, fresh=flow.fresh))
    method = _method(method_name)
    need = await _requirement(request, session, flow)
    if need.satisfied:
        return redirect(flow.next_url)
    if method is None or method not in need.methods:
        return redirect(
            second_factor_url(next_url=flow.next_url, level=flow.level, fresh=flow.fresh)
        )
    try:
        return await _method_page(request, session, flow, method)
    except MfaError as error:
        return _message(
            request,
            _t(request)("error.title"),
            _error_text(request, error),
            link=f"/login/second-factor?{flow.query}",
            link_text=_t(request)("mfa.login.other_method"),
            status_code=error.status_code,
        )


@router.post("/login/second-factor/sms/send")
async def send_sms_code(request: Request) -> Response:
    fields = await read_form(request)
    if fields is None:
        return csrf_failure(request)
    flow = Flow.read(fields)
    session = await signed_in_session(request)
    if session is None:
        return redirect(login_url(next_url=flow.next_url, level=flow.level, fresh=flow.fresh))
    context, runtime, t = _context(request), runtime_for(request), _t(request)
    user = await service.get_user(context.pool, user_id=session.user_id)
    try:
        factor_id = uuid.UUID(fields.get("factor_id", ""))
    except ValueError:
        factor_id = None
    try:
        sent = await sms.send_sign_in_code(
            context.pool,
            runtime,
            session=session,
            factor_id=factor_id,
            language=user.email_language,
        )
    except MfaError as error:
        return _message(
            request,
            t("error.title"),
            _error_text(request, error),
            link=f"/login/second-factor?{flow.query}",
            link_text=t("mfa.login.other_method"),
            status_code=error.status_code,
        )
    return render(
        request,
        "mfa/login_code.html",
        {
            "flow": flow,
            "method": Method.SMS,
            "sent_to": sent.sent_to,
            "sunset_date": sent.sms_sunset_date,
            "code_length": sms.CODE_DIGITS,
        },
    )


@router.post("/login/second-factor/{method_name}")
async def answer_method(request: Request, method_name: str) -> Response:
    fields = await read_form(request)
    if fields is None:
        return csrf_failure(request)
    flow = Flow.read(fields)
    session = await signed_in_session(request)
    if session is None:
        return redirect(login_url(next_url=flow.next_url, level=flow.level, fresh=flow.fresh))
    method = _method(method_name)
    if method is None:
        return redirect(
            second_factor_url(next_url=flow.next_url, level=flow.level, fresh=flow.fresh)
        )
    context, runtime = _context(request), runtime_for(request)
    try:
        answer = _answer_from_form(method, fields)
        new = await signin.answer_second_factor(
            context.pool, runtime, session=session, answer=answer
        )
    except MfaError as error:
        try:
            shown = uuid.UUID(fields.get("challenge_id", ""))
        except ValueError:
            shown = None
        return await _answer_failed(request, session, flow, method, error, challenge_id=shown)
    success: Response = redirect(flow.next_url)
    set_session_cookie(success, context, new.token)
    return success


async def _answer_failed(
    request: Request,
    session: Session,
    flow: Flow,
    method: Method,
    error: MfaError,
    *,
    challenge_id: uuid.UUID | None,
) -> Response:
    """The page after a refused answer: the same form with the error beside the field, or a
    message when this attempt (or this challenge) cannot go on."""
    t = _t(request)
    if isinstance(error, AttemptEndedError):
        ended = _message(
            request,
            t("mfa.login.ended_title"),
            _error_text(request, error),
            link=login_url(next_url=flow.next_url, level=flow.level),
            link_text=t("login.title"),
            status_code=status.HTTP_401_UNAUTHORIZED,
        )
        name = _context(request).settings.session_cookie_name
        ended.delete_cookie(name, path="/", secure=True, httponly=True, samesite="lax")
        return ended
    if error.field in ("code", "credential") and method is Method.SMS:
        runtime = runtime_for(request)
        values = {
            "flow": flow,
            "method": method,
            "errors": {"code": _error_text(request, error)},
            "sunset_date": runtime.settings.sms_sunset_date.isoformat(),
            "code_length": sms.CODE_DIGITS,
        }
        return render(request, "mfa/login_code.html", values, status_code=error.status_code)
    if error.field in ("code", "credential") and method is not Method.MOBILE_APP_PUSH:
        return await _method_page(
            request,
            session,
            flow,
            method,
            errors={"code": _error_text(request, error)},
            status_code=error.status_code,
            challenge_id=challenge_id,
        )
    return _message(
        request,
        t("error.title"),
        _error_text(request, error),
        link=f"/login/second-factor?{flow.query}",
        link_text=t("mfa.login.try_again"),
        status_code=error.status_code,
    )


def _answer_from_form(method: Method, fields: Mapping[str, str]) -> signin.Answer:
    challenge_id = None
    if fields.get("challenge_id"):
        try:
            challenge_id = uuid.UUID(fields["challenge_id"])
        except ValueError as error:
            raise InvalidFactorInputError("not a challenge id", field="challenge_id") from error
    credential = None
    if method is Method.WEBAUTHN:
        try:
            parsed = AuthenticationCredential.model_validate_json(fields.get("credential", ""))
        except ValidationError as error:
            raise InvalidFactorInputError(
                "the security key's answer could not be read", field="credential"
            ) from error
        credential = parsed.model_dump(exclude_none=True)
    return signin.Answer(
        method=method,
        code=fields.get("code", "")[:40] or None,
        challenge_id=challenge_id,
        credential=credential,
    )


@router.get("/login/second-factor/challenges/{challenge_id}/status")
async def poll_challenge(request: Request, challenge_id: uuid.UUID) -> Response:
    """What the waiting page polls (JSON): pending until the app answers."""
    session = await signed_in_session(request)
    if session is None:
        return JSONResponse({"status": "signed_out"}, status_code=status.HTTP_401_UNAUTHORIZED)
    try:
        state = await mobile_app.challenge_status(
            _context(request).pool, runtime_for(request), session=session, challenge_id=challenge_id
        )
    except NotFoundError:
        return JSONResponse({"status": "unknown"}, status_code=status.HTTP_404_NOT_FOUND)
    return JSONResponse({"status": state})


# --- My account → Security --------------------------------------------------------------------


async def _managing(request: Request) -> Session | Response:
    """The session if it may manage second factors, else where to send the browser."""
    session = await signed_in_session(request)
    path = request.url.path if request.method == "GET" else SECURITY
    if session is None:
        return redirect(login_url(next_url=path, level=None))
    try:
        await factors.require_manage_level(
            _context(request).pool, runtime_for(request), session=session
        )
    except StepUpRequiredError:
        return redirect(second_factor_url(next_url=path, level=AuthLevel.MULTI_FACTOR))
    return session


async def _security_page(
    request: Request,
    session: Session,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context, runtime = _context(request), runtime_for(request)
    pool = context.pool
    listed = await factors.list_factors(pool, user_id=session.user_id)
    return render(
        request,
        "mfa/security.html",
        {
            "by_kind": {kind: [f for f in listed if f.kind is kind] for kind in FactorKind},
            "kinds": FactorKind,
            "recovery_left": await recovery_codes.remaining(pool, user_id=session.user_id),
            "always_require": await factors.always_require_mfa(pool, user_id=session.user_id),
            "sms_allowed": runtime.sms_allowed,
            "sunset_date": runtime.settings.sms_sunset_date.isoformat(),
            "has_factors": bool(listed),
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get(SECURITY)
async def security(request: Request) -> Response:
    session = await _managing(request)
    if not isinstance(session, Session):
        return session
    return await _security_page(request, session)


async def _posted(request: Request) -> tuple[dict[str, str], Session] | Response:
    fields = await read_form(request)
    if fields is None:
        return csrf_failure(request)
    session = await _managing(request)
    if not isinstance(session, Session):
        return session
    return fields, session


@router.post(f"{SECURITY}/always-require")
async def always_require(request: Request) -> Response:
    posted = await _posted(request)
    if not isinstance(posted, tuple):
        return posted
    fields, session = posted
    try:
        await factors.set_always_require_mfa(
            _context(request).pool,
            runtime_for(request),
            user_id=session.user_id,
            enabled=fields.get("enabled") == "1",
        )
    except MfaError as error:
        return await _security_page(
            request,
            session,
            errors={"always_require_mfa": _error_text(request, error)},
            status_code=error.status_code,
        )
    return redirect(SECURITY)


@router.post(SECURITY + "/factors/{factor_id}/rename")
async def rename_factor(request: Request, factor_id: uuid.UUID) -> Response:
    posted = await _posted(request)
    if not isinstance(posted, tuple):
        return posted
    fields, session = posted
    try:
        await factors.rename(
            _context(request).pool,
            user_id=session.user_id,
            factor_id=factor_id,
            name=fields.get("name", "")[:200],
        )
    except MfaError as error:
        return await _security_page(
            request,
            session,
            errors={f"name-{factor_id}": _error_text(request, error)},
            status_code=error.status_code,
        )
    return redirect(SECURITY)


@router.post(SECURITY + "/factors/{factor_id}/remove")
async def remove_factor(request: Request, factor_id: uuid.UUID) -> Response:
    posted = await _posted(request)
    if not isinstance(posted, tuple):
        return posted
    _fields, session = posted
    t = _t(request)
    try:
        removed = await factors.remove(
            _context(request).pool, runtime_for(request), session=session, factor_id=factor_id
        )
    except StepUpRequiredError:
        # The last strong method: prove a second factor again, then come back and confirm.
        return redirect(
            second_factor_url(next_url=SECURITY, level=AuthLevel.MULTI_FACTOR, fresh=True)
        )
    except MfaError as error:
        return await _security_page(
            request,
            session,
            errors={"form": _error_text(request, error)},
            status_code=error.status_code,
        )
    return _message(
        request,
        t("mfa.removed.title"),
        t("mfa.removed.message", name=removed.name),
        link=SECURITY,
        link_text=t("mfa.security.title"),
    )


@router.post(f"{SECURITY}/reset")
async def reset_devices(request: Request) -> Response:
    posted = await _posted(request)
    if not isinstance(posted, tuple):
        return posted
    fields, session = posted
    context, t = _context(request), _t(request)
    if fields.get("confirm") != "yes":
        return await _security_page(
            request, session, errors={"confirm": t("mfa.reset.confirm_needed")}, status_code=422
        )
    await factors.reset_all(context.pool, user_id=session.user_id)
    response = _message(
        request,
        t("mfa.reset.done_title"),
        t("mfa.reset.done"),
        link="/login",
        link_text=t("login.title"),
    )
    response.delete_cookie(
        context.settings.session_cookie_name, path="/", secure=True, httponly=True, samesite="lax"
    )
    return response


def _codes_page(
    request: Request, codes: list[str], *, title_key: str, intro_key: str
) -> HTMLResponse:
    t = _t(request)
    return render(
        request,
        "mfa/recovery_codes.html",
        {"codes": codes, "title": t(title_key), "intro": t(intro_key)},
    )


@router.post(f"{SECURITY}/recovery-codes")
async def new_recovery_codes(request: Request) -> Response:
    posted = await _posted(request)
    if not isinstance(posted, tuple):
        return posted
    _fields, session = posted
    context = _context(request)
    if not await factors.has_enrolled_factor(context.pool, user_id=session.user_id):
        return redirect(SECURITY)
    async with context.pool.acquire() as connection, connection.transaction():
        codes = await recovery_codes.generate(connection, user_id=session.user_id)
    return _codes_page(
        request, codes, title_key="mfa.recovery.new_title", intro_key="mfa.recovery.new_intro"
    )


async def _enrolled(request: Request, session: Session, factor: factors.Factor) -> HTMLResponse:
    """After an enrolment: the recovery codes if this was the first one, else a confirmation."""
    context, t = _context(request), _t(request)
    async with context.pool.acquire() as connection, connection.transaction():
        codes = await recovery_codes.issue_first_set(connection, user_id=session.user_id)
    if codes:
        return _codes_page(
            request, codes, title_key="mfa.enrolled.title", intro_key="mfa.recovery.first_intro"
        )
    return _message(
        request,
        t("mfa.enrolled.title"),
        t("mfa.enrolled.message", name=factor.name),
        link=SECURITY,
        link_text=t("mfa.security.title"),
    )


# Authenticator app (TOTP)


@router.get(SECURITY + "/authenticator-apps/new")
async def totp_form(request: Request) -> Response:
    session = await _managing(request)
    if not isinstance(session, Session):
        return session
    return render(
        request, "mfa/totp_new.html", {"form": {"name": _t(request)("mfa.totp.default_name")}}
    )


@router.post(SECURITY + "/authenticator-apps/new")
async def totp_start(request: Request) -> Response:
    posted = await _posted(request)
    if not isinstance(posted, tuple):
        return posted
    fields, session = posted
    context = _context(request)
    user = await service.get_user(context.pool, user_id=session.user_id)
    try:
        enrolment = await totp.start_enrolment(
            context.pool,
            runtime_for(request),
            user_id=session.user_id,
            account=user.email,
            name=fields.get("name", "")[:200],
        )
    except MfaError as error:
        return render(
            request,
            "mfa/totp_new.html",
            {"form": fields, "errors": {"name": _error_text(request, error)}},
            status_code=422,
        )
    return _totp_qr_page(request, enrolment)


def _totp_qr_page(
    request: Request,
    enrolment: totp.TotpEnrolment,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "mfa/totp_qr.html",
        {
            "factor_id": enrolment.factor_id,
            "qr_image": png_data_uri(enrolment.uri),
            "secret": " ".join(
                enrolment.secret_base32[i : i + 4]
                for i in range(0, len(enrolment.secret_base32), 4)
            ),
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.post(SECURITY + "/authenticator-apps/{factor_id}/confirm")
async def totp_confirm(request: Request, factor_id: uuid.UUID) -> Response:
    posted = await _posted(request)
    if not isinstance(posted, tuple):
        return posted
    fields, session = posted
    context, runtime = _context(request), runtime_for(request)
    try:
        async with context.pool.acquire() as connection, connection.transaction():
            factor = await totp.confirm_enrolment(
                connection,
                runtime,
                user_id=session.user_id,
                factor_id=factor_id,
                code=fields.get("code", "")[:40],
            )
    except NotFoundError as error:
        return _message(
            request,
            _t(request)("error.title"),
            _error_text(request, error),
            link=SECURITY,
            link_text=_t(request)("mfa.security.title"),
            status_code=404,
        )
    except MfaError as error:
        user = await service.get_user(context.pool, user_id=session.user_id)
        enrolment = await totp.pending_enrolment(
            context.pool, runtime, user_id=session.user_id, factor_id=factor_id, account=user.email
        )
        return _totp_qr_page(
            request,
            enrolment,
            errors={"code": _error_text(request, error)},
            status_code=error.status_code,
        )
    return await _enrolled(request, session, factor)


# Mobile devices


@router.get(SECURITY + "/mobile-devices/new")
async def mobile_form(request: Request) -> Response:
    session = await _managing(request)
    if not isinstance(session, Session):
        return session
    return render(request, "mfa/mobile_new.html")


@router.post(SECURITY + "/mobile-devices/new")
async def mobile_start(request: Request) -> Response:
    posted = await _posted(request)
    if not isinstance(posted, tuple):
        return posted
    fields, session = posted
    context = _context(request)
    user = await service.get_user(context.pool, user_id=session.user_id)
    try:
        enrolment = await mobile_app.start_enrolment(
            context.pool,
            runtime_for(request),
            user_id=session.user_id,
            session_hash=session.id_hash,
            account=user.email,
            name=fields.get("name", "")[:200],
            pin=fields.get("pin", "")[:16],
            pin_confirmation=fields.get("pin_confirmation", "")[:16],
        )
    except MfaError as error:
        return render(
            request,
            "mfa/mobile_new.html",
            {
                "form": {"name": fields.get("name", "")},
                "errors": {error.field or "name": _error_text(request, error)},
            },
            status_code=422,
        )
    return render(
        request,
        "mfa/mobile_qr.html",
        {
            "factor_id": enrolment.factor_id,
            "qr_image": png_data_uri(enrolment.payload),
            "qr_payload": enrolment.payload,
        },
    )


@router.get(SECURITY + "/mobile-devices/{factor_id}/status")
async def mobile_enrolment_status(request: Request, factor_id: uuid.UUID) -> Response:
    """What the enrolment page polls (JSON) until the app has registered."""
    session = await signed_in_session(request)
    if session is None:
        return JSONResponse({"status": "signed_out"}, status_code=status.HTTP_401_UNAUTHORIZED)
    try:
        state = await mobile_app.enrolment_status(
            _context(request).pool,
            runtime_for(request),
            user_id=session.user_id,
            factor_id=factor_id,
        )
    except NotFoundError:
        return JSONResponse({"status": "unknown"}, status_code=status.HTTP_404_NOT_FOUND)
    return JSONResponse({"status": state})


@router.get(SECURITY + "/mobile-devices/{factor_id}/complete")
async def mobile_complete(request: Request, factor_id: uuid.UUID) -> Response:
    session = await signed_in_session(request)
    if session is None:
        return redirect(login_url(next_url=SECURITY, level=None))
    try:
        factor = await factors.get_factor(
            _context(request).pool,
            user_id=session.user_id,
            factor_id=factor_id,
            kind=FactorKind.MOBILE_APP,
        )
    except NotFoundError:
        return redirect(SECURITY)
    if factor.status != "active":
        return redirect(SECURITY)
    codes = await mobile_app.first_recovery_codes(
        _context(request).pool, session=session, factor_id=factor_id
    )
    if codes:
        return _codes_page(
            request, codes, title_key="mfa.mobile.complete", intro_key="mfa.recovery.first_intro"
        )
    t = _t(request)
    return _message(
        request,
        t("mfa.mobile.complete"),
        t("mfa.enrolled.message", name=factor.name),
        link=SECURITY,
        link_text=t("mfa.security.title"),
    )


# Security keys and passkeys


@router.get(SECURITY + "/security-keys/new")
async def security_key_form(request: Request) -> Response:
    session = await _managing(request)
    if not isinstance(session, Session):
        return session
    return await _security_key_page(request, session)


async def _security_key_page(
    request: Request,
    session: Session,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = _context(request)
    user = await service.get_user(context.pool, user_id=session.user_id)
    ceremony = await security_keys.registration_options(
        context.pool,
        runtime_for(request),
        session=session,
        user_name=user.email,
        display_name=user.full_name,
    )
    return render(
        request,
        "mfa/security_key_new.html",
        {
            "challenge_id": ceremony.challenge_id,
            "options_json": json.dumps(ceremony.options),
            "form": {"name": _t(request)("mfa.webauthn.default_name")},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.post(SECURITY + "/security-keys/new")
async def security_key_register(request: Request) -> Response:
    posted = await _posted(request)
    if not isinstance(posted, tuple):
        return posted
    fields, session = posted
    try:
        credential = RegistrationCredential.model_validate_json(fields.get("credential", ""))
        challenge_id = uuid.UUID(fields.get("challenge_id", ""))
    except (ValidationError, ValueError):
        message = _t(request)("mfa.webauthn.unreadable")
        return await _security_key_page(
            request, session, errors={"credential": message}, status_code=422
        )
    try:
        factor = await security_keys.register(
            _context(request).pool,
            runtime_for(request),
            session=session,
            challenge_id=challenge_id,
            name=fields.get("name", "")[:200],
            credential=credential.model_dump(exclude_none=True),
        )
    except MfaError as error:
        return await _security_key_page(
            request,
            session,
            errors={error.field or "credential": _error_text(request, error)},
            status_code=error.status_code,
        )
    return await _enrolled(request, session, factor)


# Mobile phone numbers (SMS)


def _sms_withdrawn(request: Request, runtime: MfaRuntime) -> HTMLResponse:
    t = _t(request)
    return _message(
        request,
        t("mfa.sms.withdrawn_title"),
        t("mfa.sms.withdrawn", date=runtime.settings.sms_sunset_date.isoformat()),
        link=SECURITY,
        link_text=t("mfa.security.title"),
        status_code=status.HTTP_403_FORBIDDEN,
    )


@router.get(SECURITY + "/phone-numbers/new")
async def phone_form(request: Request) -> Response:
    session = await _managing(request)
    if not isinstance(session, Session):
        return session
    runtime = runtime_for(request)
    if not runtime.sms_allowed:
        return _sms_withdrawn(request, runtime)
    return render(
        request, "mfa/phone_new.html", {"sunset_date": runtime.settings.sms_sunset_date.isoformat()}
    )


@router.post(SECURITY + "/phone-numbers/new")
async def phone_start(request: Request) -> Response:
    posted = await _posted(request)
    if not isinstance(posted, tuple):
        return posted
    fields, session = posted
    context, runtime = _context(request), runtime_for(request)
    if not runtime.sms_allowed:
        return _sms_withdrawn(request, runtime)
    user = await service.get_user(context.pool, user_id=session.user_id)
    try:
        sent = await sms.start_enrolment(
            context.pool,
            runtime,
            session=session,
            phone_number=fields.get("phone_number", "")[:40],
            language=user.email_language,
        )
    except MfaError as error:
        return render(
            request,
            "mfa/phone_new.html",
            {
                "form": {"phone_number": fields.get("phone_number", "")[:40]},
                "errors": {"phone_number": _error_text(request, error)},
                "sunset_date": runtime.settings.sms_sunset_date.isoformat(),
            },
            status_code=error.status_code,
        )
    return render(
        request,
        "mfa/phone_confirm.html",
        {"factor_id": sent.factor_id, "sent_to": sent.sent_to, "sunset_date": sent.sms_sunset_date},
    )


@router.post(SECURITY + "/phone-numbers/{factor_id}/confirm")
async def phone_confirm(request: Request, factor_id: uuid.UUID) -> Response:
    posted = await _posted(request)
    if not isinstance(posted, tuple):
        return posted
    fields, session = posted
    context, runtime = _context(request), runtime_for(request)
    try:
        factor = await sms.confirm_enrolment(
            context.pool,
            runtime,
            session=session,
            factor_id=factor_id,
            code=fields.get("code", "")[:40],
        )
    except MfaError as error:
        return render(
            request,
            "mfa/phone_confirm.html",
            {
                "factor_id": factor_id,
                "errors": {"code": _error_text(request, error)},
                "sunset_date": runtime.settings.sms_sunset_date.isoformat(),
            },
            status_code=error.status_code,
        )
    return await _enrolled(request, session, factor)
