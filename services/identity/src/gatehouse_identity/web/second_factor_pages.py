"""The second step of signing in on the web: choose a method, answer it, and (for the app's
push request) wait while the page polls.

Pages work without JavaScript except where the browser itself must act: the page waiting for
an app approval polls and continues by itself (/static/gatehouse-mfa.js), and WebAuthn needs
navigator.credentials. The CSP allows scripts from this origin only, so data reaches the
script through data- attributes, never inline code. Which page a method gets depends on how
it is answered (`AnswerForm`), not on the method, so a new method needs no page of its own.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from gatehouse_identity.api.errors import status_of
from gatehouse_identity.api.schemas import AuthenticationCredential
from gatehouse_identity.cookies import clear_session_cookie, set_session_cookie
from gatehouse_identity.mfa import signin, sms
from gatehouse_identity.mfa.errors import (
    AttemptEndedError,
    MfaError,
    NotFoundError,
    SecurityKeyResponseInvalidError,
)
from gatehouse_identity.mfa.levels import Method
from gatehouse_identity.mfa.methods import AnswerForm, Challenge, ChallengeStart
from gatehouse_identity.mfa.mobile_app import push
from gatehouse_identity.mfa.qr import png_data_uri
from gatehouse_identity.mfa.registry import sign_in_method
from gatehouse_identity.sessions.models import Session
from gatehouse_identity.sign_in import service
from gatehouse_identity.web.account_pages import optional_uuid
from gatehouse_identity.web.dependencies import (
    BrowserSession,
    ClientAddress,
    Context,
    Form,
    Runtime,
    UserAgent,
)
from gatehouse_identity.web.navigation import Flow, login_url, remember_return
from gatehouse_identity.web.rendering import (
    PageRoute,
    Redirect,
    error_page,
    redirect,
    render,
    translator,
)

router = APIRouter(include_in_schema=False, route_class=PageRoute)
SECOND_FACTOR = "/login/second-factor"
MAX_CODE_LENGTH = 40
PAGE_OF_FORM = {
    AnswerForm.CODE: "mfa/login_code.html",
    AnswerForm.SENT_CODE: "mfa/login_sms.html",
    AnswerForm.APP_APPROVAL: "mfa/login_push.html",
    AnswerForm.SECURITY_KEY: "mfa/login_webauthn.html",
}


def _signed_in(session: Session | None, flow: Flow) -> Session:
    """The sign-in attempt's session; without one, back to the password (and on the flow)."""
    if session is None:
        raise Redirect(flow.login_url)
    return session


def _method(value: str) -> Method | None:
    try:
        return Method(value)
    except ValueError:
        return None


def _challenge_values(challenge: Challenge | None) -> dict[str, Any]:
    if challenge is None:
        return {}
    return {
        "challenge_id": challenge.id,
        "expires_at": challenge.expires_at,
        "number": challenge.number,
        "qr_payload": challenge.qr_payload,
        "qr_image": png_data_uri(challenge.qr_payload) if challenge.qr_payload else None,
        "options_json": json.dumps(challenge.options) if challenge.options else None,
        "sent_to": challenge.sent_to,
    }


@router.get(SECOND_FACTOR)
async def choose_method(
    request: Request, session: BrowserSession, context: Context, runtime: Runtime
) -> Response:
    flow = Flow.read(request.query_params)
    found = await service.session_status(
        context.database,
        runtime,
        session=_signed_in(session, flow),
        requested_level=flow.level,
        fresh=flow.fresh,
    )
    need = found.requirement
    if need.satisfied:
        return redirect(flow.next_url)
    if need.enrolment_required:
        values = {
            "flow": flow,
            "sms_withdrawn": not runtime.sms_allowed,
            "sunset_date": runtime.settings.sms_sunset_date.isoformat(),
            "level": need.level,
        }
        response = render(request, "mfa/login_enrol.html", values)
        remember_return(response, flow)
        return response
    values = {"flow": flow, "methods": need.methods, "sms_warning": need.sms_sunset_warning}
    return render(request, "mfa/login_choose.html", values)


async def _method_page(
    request: Request,
    context: Context,
    runtime: Runtime,
    *,
    session: Session,
    flow: Flow,
    method: Method,
    start: ChallengeStart,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The page for answering `method`, with the challenge it needs (or the one shown before,
    while it can still be answered)."""
    impl = sign_in_method(method)
    values: dict[str, Any] = {
        "flow": flow,
        "method": method,
        "errors": errors or {},
        "code_length": impl.code_length,
        "sunset_date": runtime.settings.sms_sunset_date.isoformat(),
    }
    if impl.answer_form is AnswerForm.SENT_CODE:
        values["numbers"] = await sms.phone_numbers(context.database, user_id=session.user_id)
    else:
        challenge = await signin.show_challenge(
            context.database, runtime, session=session, method=method, start=start
        )
        values |= _challenge_values(challenge)
    return render(request, PAGE_OF_FORM[impl.answer_form], values, status_code=status_code)


@router.get(SECOND_FACTOR + "/{method_name}")
async def method_form(
    request: Request,
    *,
    method_name: str,
    session: BrowserSession,
    context: Context,
    runtime: Runtime,
    address: ClientAddress,
    user_agent: UserAgent,
) -> Response:
    flow = Flow.read(request.query_params)
    signed_in = _signed_in(session, flow)
    method = _method(method_name)
    found = await service.session_status(
        context.database, runtime, session=signed_in, requested_level=flow.level, fresh=flow.fresh
    )
    if found.requirement.satisfied:
        return redirect(flow.next_url)
    if method is None or method not in found.requirement.methods:
        return redirect(flow.second_factor_url)
    try:
        return await _method_page(
            request,
            context,
            runtime,
            session=signed_in,
            flow=flow,
            method=method,
            start=ChallengeStart(ip_address=address, user_agent=user_agent),
        )
    except MfaError as error:
        return error_page(
            request,
            error,
            link=f"{SECOND_FACTOR}?{flow.query}",
            link_text_key="mfa.login.other_method",
        )


@router.post(SECOND_FACTOR + "/{method_name}/send")
async def send_code(
    request: Request,
    *,
    method_name: str,
    fields: Form,
    session: BrowserSession,
    context: Context,
    runtime: Runtime,
) -> Response:
    """A method answered with a code that is sent (SMS): send it to the chosen destination."""
    flow = Flow.read(fields)
    signed_in = _signed_in(session, flow)
    method = _method(method_name)
    if method is None or sign_in_method(method).answer_form is not AnswerForm.SENT_CODE:
        return redirect(flow.second_factor_url)
    try:
        sent = await signin.start_challenge(
            context.database,
            runtime,
            session=signed_in,
            method=method,
            start=ChallengeStart(phone_number_id=optional_uuid(fields.get("factor_id"))),
        )
    except MfaError as error:
        return error_page(
            request,
            error,
            link=f"{SECOND_FACTOR}?{flow.query}",
            link_text_key="mfa.login.other_method",
        )
    values = {
        "flow": flow,
        "method": method,
        "sent_to": sent.sent_to,
        "sunset_date": sent.sms_sunset_date,
        "code_length": sign_in_method(method).code_length,
    }
    return render(request, PAGE_OF_FORM[AnswerForm.CODE], values)


@router.post(SECOND_FACTOR + "/{method_name}")
async def answer_method(
    request: Request,
    *,
    method_name: str,
    fields: Form,
    session: BrowserSession,
    context: Context,
    runtime: Runtime,
) -> Response:
    flow = Flow.read(fields)
    signed_in = _signed_in(session, flow)
    method = _method(method_name)
    if method is None:
        return redirect(flow.second_factor_url)
    try:
        new = await signin.answer_second_factor(
            context.database, runtime, session=signed_in, answer=_answer_from_form(method, fields)
        )
    except MfaError as error:
        return await _answer_failed(
            request,
            context,
            runtime,
            session=signed_in,
            flow=flow,
            method=method,
            error=error,
            shown=optional_uuid(fields.get("challenge_id")),
        )
    success: Response = redirect(flow.next_url)
    set_session_cookie(success, context.settings, new.token)
    return success


async def _answer_failed(
    request: Request,
    context: Context,
    runtime: Runtime,
    *,
    session: Session,
    flow: Flow,
    method: Method,
    error: MfaError,
    shown: uuid.UUID | None,
) -> Response:
    """The page after a refused answer: the same form with the error beside the field, or a
    message when this attempt (or this challenge) cannot go on."""
    t = translator(request)
    if isinstance(error, AttemptEndedError):
        ended = error_page(
            request,
            error,
            title_key="mfa.login.ended_title",
            link=login_url(next_url=flow.next_url, level=flow.level),
            link_text_key="login.title",
        )
        clear_session_cookie(ended, context.settings)
        return ended
    form = sign_in_method(method).answer_form
    if error.field in ("code", "credential") and form is AnswerForm.SENT_CODE:
        values = {
            "flow": flow,
            "method": method,
            "errors": {"code": t.error(error)},
            "sunset_date": runtime.settings.sms_sunset_date.isoformat(),
            "code_length": sign_in_method(method).code_length,
        }
        return render(request, PAGE_OF_FORM[AnswerForm.CODE], values, status_code=status_of(error))
    if error.field in ("code", "credential") and form is not AnswerForm.APP_APPROVAL:
        return await _method_page(
            request,
            context,
            runtime,
            session=session,
            flow=flow,
            method=method,
            start=ChallengeStart(shown_challenge_id=shown),
            errors={"code": t.error(error)},
            status_code=status_of(error),
        )
    return error_page(
        request, error, link=f"{SECOND_FACTOR}?{flow.query}", link_text_key="mfa.login.try_again"
    )


def _answer_from_form(method: Method, fields: Mapping[str, str]) -> signin.Answer:
    credential = None
    if sign_in_method(method).answer_form is AnswerForm.SECURITY_KEY:
        try:
            parsed = AuthenticationCredential.model_validate_json(fields.get("credential", ""))
        except ValidationError as error:
            raise SecurityKeyResponseInvalidError(
                "the security key's answer could not be read", field="credential"
            ) from error
        credential = parsed.model_dump(exclude_none=True)
    return signin.Answer(
        method=method,
        code=fields.get("code", "")[:MAX_CODE_LENGTH] or None,
        challenge_id=optional_uuid(fields.get("challenge_id")),
        credential=credential,
    )


@router.get(SECOND_FACTOR + "/challenges/{challenge_id}/status")
async def poll_challenge(
    challenge_id: uuid.UUID, session: BrowserSession, context: Context, runtime: Runtime
) -> Response:
    """What the waiting page polls (JSON): pending until the app answers."""
    if session is None:
        return JSONResponse({"status": "signed_out"}, status_code=status.HTTP_401_UNAUTHORIZED)
    try:
        state = await push.challenge_status(
            context.database, runtime, session=session, challenge_id=challenge_id
        )
    except NotFoundError:
        return JSONResponse({"status": "unknown"}, status_code=status.HTTP_404_NOT_FOUND)
    return JSONResponse({"status": state})
