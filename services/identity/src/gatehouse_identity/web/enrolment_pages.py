"""My account → Security → add a method: an authenticator app, the mobile app, a security key
or passkey, a mobile phone number. Each is started and confirmed through mfa.enrolment, which
also issues the first recovery codes, shown here once."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import ValidationError

from gatehouse_identity.api.errors import status_of
from gatehouse_identity.api.schemas import RegistrationCredential
from gatehouse_identity.mfa import enrolment, sms, totp, webauthn
from gatehouse_identity.mfa.enrolment import Enrolled
from gatehouse_identity.mfa.errors import MfaError, NotFoundError, SmsWithdrawnError
from gatehouse_identity.mfa.methods import EnrolmentProof, EnrolmentRequest
from gatehouse_identity.mfa.mobile_app import enrolment as mobile_app
from gatehouse_identity.mfa.qr import png_data_uri
from gatehouse_identity.sessions.models import Session
from gatehouse_identity.web.dependencies import (
    BrowserSession,
    Db,
    Form,
    Runtime,
    managing,
    signed_in,
)
from gatehouse_identity.web.navigation import continue_url
from gatehouse_identity.web.rendering import (
    PageRoute,
    error_page,
    message_page,
    redirect,
    render,
    translator,
)
from gatehouse_identity.web.security_pages import SECURITY, codes_page

router = APIRouter(include_in_schema=False, route_class=PageRoute)
MAX_NAME_LENGTH = 200
MAX_PIN_LENGTH = 16
MAX_CODE_LENGTH = 40
MAX_PHONE_LENGTH = 40

Managing = Annotated[Session, Depends(managing(then=SECURITY))]
SignedInForSecurity = Annotated[Session, Depends(signed_in(then=SECURITY))]


def _enrolled_page(request: Request, enrolled: Enrolled, *, title_key: str) -> HTMLResponse:
    """After an enrolment: the recovery codes if this was the first one, else a confirmation."""
    if enrolled.recovery_codes:
        return codes_page(
            request,
            enrolled.recovery_codes,
            title_key=title_key,
            intro_key="mfa.recovery.first_intro",
        )
    t = translator(request)
    back = continue_url(request)  # a sign-in asked for this enrolment: back to it
    return message_page(
        request,
        title=t(title_key),
        message=t("mfa.enrolled.message", name=enrolled.factor.name),
        link=back or SECURITY,
        link_text=t("mfa.login.continue_to_service") if back else t("mfa.security.title"),
    )


# --- Authenticator app (TOTP) --------------------------------------------------------------


@router.get(SECURITY + "/authenticator-apps/new")
async def totp_form(request: Request, _session: Managing) -> Response:
    name = translator(request)("mfa.totp.default_name")
    return render(request, "mfa/totp_new.html", {"form": {"name": name}})


def _totp_qr_page(
    request: Request,
    started: totp.TotpEnrolment,
    *,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    secret = started.secret_base32
    values = {
        "factor_id": started.factor_id,
        "qr_image": png_data_uri(started.uri),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "errors": errors or {},
    }
    return render(request, "mfa/totp_qr.html", values, status_code=status_code)


@router.post(SECURITY + "/authenticator-apps/new")
async def totp_start(
    request: Request, fields: Form, session: Managing, database: Db, runtime: Runtime
) -> Response:
    try:
        started = await enrolment.start(
            database,
            runtime,
            session=session,
            method=totp.ENROLMENT,
            request=EnrolmentRequest(name=fields.get("name", "")[:MAX_NAME_LENGTH]),
        )
    except MfaError as error:
        values = {"form": fields, "errors": {"name": translator(request).error(error)}}
        return render(request, "mfa/totp_new.html", values, status_code=422)
    return _totp_qr_page(request, started)


@router.post(SECURITY + "/authenticator-apps/{factor_id}/confirm")
async def totp_confirm(
    request: Request,
    *,
    factor_id: uuid.UUID,
    fields: Form,
    session: Managing,
    database: Db,
    runtime: Runtime,
) -> Response:
    try:
        enrolled = await enrolment.confirm(
            database,
            runtime,
            session=session,
            method=totp.ENROLMENT,
            proof=EnrolmentProof(
                factor_id=factor_id, code=fields.get("code", "")[:MAX_CODE_LENGTH]
            ),
        )
    except NotFoundError as error:
        return error_page(request, error, link=SECURITY, link_text_key="mfa.security.title")
    except MfaError as error:
        shown = await totp.shown_enrolment(database, runtime, session=session, factor_id=factor_id)
        errors = {"code": translator(request).error(error)}
        return _totp_qr_page(request, shown, errors=errors, status_code=status_of(error))
    return _enrolled_page(request, enrolled, title_key="mfa.enrolled.title")


# --- Mobile devices ----------------------------------------------------------------------


@router.get(SECURITY + "/mobile-devices/new")
async def mobile_form(request: Request, _session: Managing) -> Response:
    return render(request, "mfa/mobile_new.html")


@router.post(SECURITY + "/mobile-devices/new")
async def mobile_start(
    request: Request, fields: Form, session: Managing, database: Db, runtime: Runtime
) -> Response:
    try:
        started = await enrolment.start(
            database,
            runtime,
            session=session,
            method=mobile_app.ENROLMENT,
            request=EnrolmentRequest(
                name=fields.get("name", "")[:MAX_NAME_LENGTH],
                pin=fields.get("pin", "")[:MAX_PIN_LENGTH],
                pin_confirmation=fields.get("pin_confirmation", "")[:MAX_PIN_LENGTH],
            ),
        )
    except MfaError as error:
        values: dict[str, Any] = {
            "form": {"name": fields.get("name", "")},
            "errors": {error.field or "name": translator(request).error(error)},
        }
        return render(request, "mfa/mobile_new.html", values, status_code=422)
    values = {
        "factor_id": started.factor_id,
        "qr_image": png_data_uri(started.payload),
        "qr_payload": started.payload,
    }
    return render(request, "mfa/mobile_qr.html", values)


@router.get(SECURITY + "/mobile-devices/{factor_id}/status")
async def mobile_enrolment_status(
    factor_id: uuid.UUID, session: BrowserSession, database: Db, runtime: Runtime
) -> Response:
    """What the enrolment page polls (JSON) until the app has registered."""
    if session is None:
        return JSONResponse({"status": "signed_out"}, status_code=status.HTTP_401_UNAUTHORIZED)
    try:
        state = await mobile_app.enrolment_status(
            database, runtime, user_id=session.user_id, factor_id=factor_id
        )
    except NotFoundError:
        return JSONResponse({"status": "unknown"}, status_code=status.HTTP_404_NOT_FOUND)
    return JSONResponse({"status": state})


@router.get(SECURITY + "/mobile-devices/{factor_id}/complete")
async def mobile_complete(
    request: Request,
    factor_id: uuid.UUID,
    session: SignedInForSecurity,
    database: Db,
    runtime: Runtime,
) -> Response:
    try:
        enrolled = await enrolment.confirm(
            database,
            runtime,
            session=session,
            method=mobile_app.ENROLMENT,
            proof=EnrolmentProof(factor_id=factor_id),
        )
    except NotFoundError:
        return redirect(SECURITY)
    return _enrolled_page(request, enrolled, title_key="mfa.mobile.complete")


# --- Security keys and passkeys ----------------------------------------------------------


async def _security_key_page(
    request: Request,
    database: Db,
    runtime: Runtime,
    session: Session,
    *,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    ceremony = await enrolment.start(
        database, runtime, session=session, method=webauthn.ENROLMENT, request=EnrolmentRequest()
    )
    values = {
        "challenge_id": ceremony.challenge_id,
        "options_json": json.dumps(ceremony.options),
        "form": {"name": translator(request)("mfa.webauthn.default_name")},
        "errors": errors or {},
    }
    return render(request, "mfa/security_key_new.html", values, status_code=status_code)


@router.get(SECURITY + "/security-keys/new")
async def security_key_form(
    request: Request, session: Managing, database: Db, runtime: Runtime
) -> Response:
    return await _security_key_page(request, database, runtime, session)


@router.post(SECURITY + "/security-keys/new")
async def security_key_register(
    request: Request, fields: Form, session: Managing, database: Db, runtime: Runtime
) -> Response:
    t = translator(request)
    try:
        credential = RegistrationCredential.model_validate_json(fields.get("credential", ""))
        challenge_id = uuid.UUID(fields.get("challenge_id", ""))
    except (ValidationError, ValueError):
        errors = {"credential": t("mfa.webauthn.unreadable")}
        return await _security_key_page(
            request, database, runtime, session, errors=errors, status_code=422
        )
    try:
        enrolled = await enrolment.confirm(
            database,
            runtime,
            session=session,
            method=webauthn.ENROLMENT,
            proof=EnrolmentProof(
                challenge_id=challenge_id,
                name=fields.get("name", "")[:MAX_NAME_LENGTH],
                credential=credential.model_dump(exclude_none=True),
            ),
        )
    except MfaError as error:
        errors = {error.field or "credential": t.error(error)}
        return await _security_key_page(
            request, database, runtime, session, errors=errors, status_code=status_of(error)
        )
    return _enrolled_page(request, enrolled, title_key="mfa.enrolled.title")


# --- Mobile phone numbers (SMS) ----------------------------------------------------------


def _sms_withdrawn(request: Request, error: SmsWithdrawnError) -> HTMLResponse:
    return error_page(
        request,
        error,
        title_key="mfa.sms.withdrawn_title",
        link=SECURITY,
        link_text_key="mfa.security.title",
    )


@router.get(SECURITY + "/phone-numbers/new")
async def phone_form(request: Request, _session: Managing, runtime: Runtime) -> Response:
    if not runtime.sms_allowed:
        return _sms_withdrawn(request, sms.sunset_error(runtime, field="phone_number"))
    sunset_date = runtime.settings.sms_sunset_date.isoformat()
    return render(request, "mfa/phone_new.html", {"sunset_date": sunset_date})


@router.post(SECURITY + "/phone-numbers/new")
async def phone_start(
    request: Request, fields: Form, session: Managing, database: Db, runtime: Runtime
) -> Response:
    phone_number = fields.get("phone_number", "")[:MAX_PHONE_LENGTH]
    try:
        sent = await enrolment.start(
            database,
            runtime,
            session=session,
            method=sms.ENROLMENT,
            request=EnrolmentRequest(phone_number=phone_number),
        )
    except SmsWithdrawnError as error:
        return _sms_withdrawn(request, error)
    except MfaError as error:
        values: dict[str, Any] = {
            "form": {"phone_number": phone_number},
            "errors": {"phone_number": translator(request).error(error)},
            "sunset_date": runtime.settings.sms_sunset_date.isoformat(),
        }
        return render(request, "mfa/phone_new.html", values, status_code=status_of(error))
    values = {
        "factor_id": sent.factor_id,
        "sent_to": sent.sent_to,
        "sunset_date": sent.sms_sunset_date,
    }
    return render(request, "mfa/phone_confirm.html", values)


@router.post(SECURITY + "/phone-numbers/{factor_id}/confirm")
async def phone_confirm(
    request: Request,
    *,
    factor_id: uuid.UUID,
    fields: Form,
    session: Managing,
    database: Db,
    runtime: Runtime,
) -> Response:
    try:
        enrolled = await enrolment.confirm(
            database,
            runtime,
            session=session,
            method=sms.ENROLMENT,
            proof=EnrolmentProof(
                factor_id=factor_id, code=fields.get("code", "")[:MAX_CODE_LENGTH]
            ),
        )
    except MfaError as error:
        values = {
            "factor_id": factor_id,
            "errors": {"code": translator(request).error(error)},
            "sunset_date": runtime.settings.sms_sunset_date.isoformat(),
        }
        return render(request, "mfa/phone_confirm.html", values, status_code=status_of(error))
    return _enrolled_page(request, enrolled, title_key="mfa.enrolled.title")
