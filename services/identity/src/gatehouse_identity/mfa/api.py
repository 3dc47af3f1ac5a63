"""The second-factor JSON API (`/api/v1`): every method can be enrolled and used from here.

Signing in: `POST /api/v1/sessions` (password) answers with the level reached and, when more is
needed, `second_factor_required` and `available_methods`. Then, with that session:
- `POST /api/v1/sessions/current/second-factor/challenges` starts a method that needs one
  (mobile_app_push, mobile_app_qr, webauthn, sms);
- `GET  /api/v1/sessions/current/second-factor/challenges/{id}` is what a waiting page polls;
- `POST /api/v1/sessions/current/second-factor` answers (totp, mobile_app_qr, sms,
  recovery_code: `code`; mobile_app_push: `challenge_id` once approved; webauthn:
  `challenge_id` + `credential`) and returns the session's *new* token at the raised level.

Managing (`/api/v1/me/...`) needs a multi-factor session once the user has a usable method.
The mobile app uses `/api/v1/mobile-app/...` with its device token and signatures.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status

from gatehouse_identity.accounts import service
from gatehouse_identity.accounts.api import Context, CurrentSession, set_session_cookie
from gatehouse_identity.accounts.sessions import Session
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
    DeviceUnknownError,
    InvalidFactorInputError,
    MethodUnavailableError,
)
from gatehouse_identity.mfa.levels import Method, effective_level, parse_level
from gatehouse_identity.mfa.qr import png_data_uri
from gatehouse_identity.mfa.runtime import MfaRuntime, runtime_for
from gatehouse_identity.mfa.schemas import (
    AlwaysRequireRequest,
    ChallengeRequest,
    ChallengeResponse,
    ChallengeStatusResponse,
    CodeRequest,
    DeviceRegistrationRequest,
    DeviceRegistrationResponse,
    EnrolledResponse,
    FactorResponse,
    FactorsResponse,
    MobileStartRequest,
    MobileStartResponse,
    MobileStatusResponse,
    PendingRequestResponse,
    PendingRequestsResponse,
    PhoneNumberRequest,
    PhoneNumberResponse,
    PushAnswerRequest,
    PushAnswerResponse,
    RecoveryCodesResponse,
    RenameRequest,
    SecondFactorRequest,
    SecurityKeyRequest,
    SessionStatusResponse,
    SteppedUpResponse,
    TotpStartRequest,
    TotpStartResponse,
    WebAuthnOptionsResponse,
)

router = APIRouter(prefix="/api/v1", tags=["second factors"])


Runtime = Annotated[MfaRuntime, Depends(runtime_for)]


def factor_response(factor: factors.Factor) -> FactorResponse:
    return FactorResponse(
        factor_id=factor.id,
        method=factor.kind.value,
        name=factor.name,
        status=factor.status,
        created_at=factor.created_at,
        last_used_at=factor.last_used_at,
    )


async def managing_session(session: CurrentSession, context: Context, runtime: Runtime) -> Session:
    await factors.require_manage_level(context.pool, runtime, session=session)
    return session


ManagingSession = Annotated[Session, Depends(managing_session)]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


# --- signing in ------------------------------------------------------------------------------


@router.get(
    "/sessions/current",
    summary="The session's level and what it still needs for `level`",
    responses={401: {"description": "Not signed in"}, 422: {"description": "Unknown level"}},
)
async def session_status(
    session: CurrentSession,
    context: Context,
    runtime: Runtime,
    level: Annotated[str | None, Query(max_length=30)] = None,
) -> SessionStatusResponse:
    wanted = parse_level(level, default="")
    if wanted is None:
        raise InvalidFactorInputError(
            "level must be password, multi_factor or phishing_resistant", field="level"
        )
    need = await factors.requirement(
        context.pool, runtime, session=session, requested_level=wanted or None
    )
    return SessionStatusResponse(
        level=effective_level(session, sms_allowed=runtime.sms_allowed),
        amr=session.amr,
        expires_at=session.expires_at,
        required_level=need.level,
        second_factor_required=not need.satisfied,
        available_methods=need.methods,
        enrolment_required=need.enrolment_required,
        sms_sunset_warning=need.sms_sunset_warning,
    )


@router.post(
    "/sessions/current/second-factor/challenges",
    status_code=status.HTTP_201_CREATED,
    summary="Start a second factor that needs a challenge (push, app QR, WebAuthn, SMS)",
    responses={
        401: {"description": "Not signed in"},
        403: {"description": "Method not available (not enrolled, locked, SMS after sunset)"},
    },
)
async def create_challenge(
    body: ChallengeRequest,
    request: Request,
    session: CurrentSession,
    context: Context,
    runtime: Runtime,
) -> ChallengeResponse:
    method = Method(body.method)
    if method not in await factors.usable_methods(context.pool, runtime, user_id=session.user_id):
        if method is Method.SMS and not runtime.sms_allowed:
            raise sms.sunset_error(runtime, field="method")
        raise MethodUnavailableError(
            f"{method.value} is not available for this account", field="method"
        )
    if method is Method.MOBILE_APP_PUSH:
        push = await mobile_app.create_push(
            context.pool,
            runtime,
            session=session,
            ip_address=client_ip(request),
            user_agent=request.headers.get("user-agent"),
        )
        return ChallengeResponse(
            challenge_id=push.id, method=method, expires_at=push.expires_at, number=push.number
        )
    if method is Method.MOBILE_APP_QR:
        qr = await mobile_app.create_qr(context.pool, runtime, session=session)
        return ChallengeResponse(
            challenge_id=qr.id,
            method=method,
            expires_at=qr.expires_at,
            qr_payload=qr.payload,
            qr_image=png_data_uri(qr.payload),
        )
    if method is Method.WEBAUTHN:
        ceremony = await security_keys.authentication_options(
            context.pool, runtime, session=session
        )
        return ChallengeResponse(
            challenge_id=ceremony.challenge_id,
            method=method,
            expires_at=ceremony.expires_at,
            options=ceremony.options,
        )
    user = await service.get_user(context.pool, user_id=session.user_id)
    sent = await sms.send_sign_in_code(
        context.pool,
        runtime,
        session=session,
        factor_id=body.phone_number_id,
        language=user.email_language,
    )
    return ChallengeResponse(
        challenge_id=sent.challenge_id,
        method=method,
        expires_at=sent.expires_at,
        sent_to=sent.sent_to,
        sms_sunset_warning=sent.sms_sunset_date,
    )


@router.get(
    "/sessions/current/second-factor/challenges/{challenge_id}",
    summary="Poll a push request or QR challenge (what the waiting page polls)",
)
async def challenge_status(
    challenge_id: uuid.UUID, session: CurrentSession, context: Context, runtime: Runtime
) -> ChallengeStatusResponse:
    state = await mobile_app.challenge_status(
        context.pool, runtime, session=session, challenge_id=challenge_id
    )
    return ChallengeStatusResponse(challenge_id=challenge_id, status=state)


@router.post(
    "/sessions/current/second-factor",
    summary="Answer a second factor; the session gets a new token at the raised level",
    responses={
        401: {"description": "Wrong answer (attempts_left) or sign-in attempt ended"},
        403: {"description": "Method not available"},
        409: {"description": "Already used, or push not approved yet"},
        410: {"description": "Expired"},
        422: {"description": "Malformed answer (the field is named)"},
    },
)
async def answer_second_factor(
    body: SecondFactorRequest,
    response: Response,
    session: CurrentSession,
    context: Context,
    runtime: Runtime,
) -> SteppedUpResponse:
    answer = signin.Answer(
        method=body.method,
        code=body.code,
        challenge_id=body.challenge_id,
        credential=body.credential.model_dump(exclude_none=True) if body.credential else None,
    )
    new = await signin.answer_second_factor(context.pool, runtime, session=session, answer=answer)
    set_session_cookie(response, context, new.token)
    return SteppedUpResponse(
        session_token=new.token,
        expires_at=new.session.expires_at,
        level=new.session.level,
        amr=new.session.amr,
    )


# --- managing methods -----------------------------------------------------------------------


@router.get("/me/second-factors", summary="My second factors")
async def list_second_factors(
    session: CurrentSession, context: Context, runtime: Runtime
) -> FactorsResponse:
    pool = context.pool
    return FactorsResponse(
        factors=[
            factor_response(f) for f in await factors.list_factors(pool, user_id=session.user_id)
        ],
        recovery_codes_left=await recovery_codes.remaining(pool, user_id=session.user_id),
        always_require_mfa=await factors.always_require_mfa(pool, user_id=session.user_id),
        sms_sunset_date=runtime.settings.sms_sunset_date.isoformat(),
        sms_allowed=runtime.sms_allowed,
    )


@router.patch("/me/second-factors/{factor_id}", summary="Rename a second factor")
async def rename_second_factor(
    factor_id: uuid.UUID, body: RenameRequest, session: ManagingSession, context: Context
) -> FactorResponse:
    factor = await factors.rename(
        context.pool, user_id=session.user_id, factor_id=factor_id, name=body.name
    )
    return factor_response(factor)


@router.delete(
    "/me/second-factors/{factor_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a second factor (the last strong one needs a fresh second factor)",
)
async def remove_second_factor(
    factor_id: uuid.UUID, session: ManagingSession, context: Context, runtime: Runtime
) -> None:
    await factors.remove(context.pool, runtime, session=session, factor_id=factor_id)


@router.post(
    "/me/second-factors/reset",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Reset all my devices: remove every method and sign out every session",
)
async def reset_second_factors(session: ManagingSession, context: Context) -> None:
    await factors.reset_all(context.pool, user_id=session.user_id)


@router.put(
    "/me/always-require-mfa",
    status_code=status.HTTP_204_NO_CONTENT,
    summary='"Always require multi-factor authentication"',
)
async def set_always_require(
    body: AlwaysRequireRequest, session: ManagingSession, context: Context, runtime: Runtime
) -> None:
    await factors.set_always_require_mfa(
        context.pool, runtime, user_id=session.user_id, enabled=body.enabled
    )


async def _first_codes(context: Context, user_id: uuid.UUID) -> list[str] | None:
    async with context.pool.acquire() as connection, connection.transaction():
        return await recovery_codes.issue_first_set(connection, user_id=user_id)


@router.post(
    "/me/recovery-codes",
    status_code=status.HTTP_201_CREATED,
    summary="A new set of recovery codes (the old set stops working)",
)
async def regenerate_recovery_codes(
    session: ManagingSession, context: Context
) -> RecoveryCodesResponse:
    if not await factors.has_enrolled_factor(context.pool, user_id=session.user_id):
        raise MethodUnavailableError("add a second factor first", field="method")
    async with context.pool.acquire() as connection, connection.transaction():
        codes = await recovery_codes.generate(connection, user_id=session.user_id)
    return RecoveryCodesResponse(recovery_codes=codes)


# Authenticator app (TOTP)


@router.post(
    "/me/authenticator-apps",
    status_code=status.HTTP_201_CREATED,
    summary="Start adding an authenticator app: the QR code and the secret",
)
async def start_totp(
    body: TotpStartRequest, session: ManagingSession, context: Context, runtime: Runtime
) -> TotpStartResponse:
    user = await service.get_user(context.pool, user_id=session.user_id)
    enrolment = await totp.start_enrolment(
        context.pool, runtime, user_id=session.user_id, account=user.email, name=body.name
    )
    return TotpStartResponse(
        factor_id=enrolment.factor_id,
        secret=enrolment.secret_base32,
        otpauth_uri=enrolment.uri,
        qr_image=png_data_uri(enrolment.uri),
        expires_at=enrolment.expires_at,
    )


@router.post(
    "/me/authenticator-apps/{factor_id}/confirm",
    summary="Confirm an authenticator app with its first code",
)
async def confirm_totp(
    factor_id: uuid.UUID,
    body: CodeRequest,
    session: ManagingSession,
    context: Context,
    runtime: Runtime,
) -> EnrolledResponse:
    async with context.pool.acquire() as connection, connection.transaction():
        factor = await totp.confirm_enrolment(
            connection, runtime, user_id=session.user_id, factor_id=factor_id, code=body.code
        )
    return EnrolledResponse(
        factor=factor_response(factor), recovery_codes=await _first_codes(context, session.user_id)
    )


# Mobile app


@router.post(
    "/me/mobile-devices",
    status_code=status.HTTP_201_CREATED,
    summary="Start adding a mobile device: name and PIN; the QR code for the app",
)
async def start_mobile(
    body: MobileStartRequest, session: ManagingSession, context: Context, runtime: Runtime
) -> MobileStartResponse:
    user = await service.get_user(context.pool, user_id=session.user_id)
    enrolment = await mobile_app.start_enrolment(
        context.pool,
        runtime,
        user_id=session.user_id,
        session_hash=session.id_hash,
        account=user.email,
        name=body.name,
        pin=body.pin,
        pin_confirmation=body.pin_confirmation,
    )
    return MobileStartResponse(
        factor_id=enrolment.factor_id,
        qr_payload=enrolment.payload,
        qr_image=png_data_uri(enrolment.payload),
        expires_at=enrolment.expires_at,
    )


@router.get(
    "/me/mobile-devices/{factor_id}",
    summary="Enrolment status (polled until the app has registered)",
)
async def mobile_status(
    factor_id: uuid.UUID, session: CurrentSession, context: Context, runtime: Runtime
) -> MobileStatusResponse:
    state = await mobile_app.enrolment_status(
        context.pool, runtime, user_id=session.user_id, factor_id=factor_id
    )
    codes = (
        await mobile_app.first_recovery_codes(context.pool, session=session, factor_id=factor_id)
        if state == "active"
        else None
    )
    return MobileStatusResponse(factor_id=factor_id, status=state, recovery_codes=codes)


# Security keys and passkeys (WebAuthn)


@router.post("/me/security-keys/options", summary="Registration options for a new security key")
async def security_key_options(
    session: ManagingSession, context: Context, runtime: Runtime
) -> WebAuthnOptionsResponse:
    user = await service.get_user(context.pool, user_id=session.user_id)
    ceremony = await security_keys.registration_options(
        context.pool, runtime, session=session, user_name=user.email, display_name=user.full_name
    )
    return WebAuthnOptionsResponse(challenge_id=ceremony.challenge_id, options=ceremony.options)


@router.post(
    "/me/security-keys",
    status_code=status.HTTP_201_CREATED,
    summary="Register a security key or passkey (the credential from navigator.credentials.create)",
)
async def register_security_key(
    body: SecurityKeyRequest, session: ManagingSession, context: Context, runtime: Runtime
) -> EnrolledResponse:
    factor = await security_keys.register(
        context.pool,
        runtime,
        session=session,
        challenge_id=body.challenge_id,
        name=body.name,
        credential=body.credential.model_dump(exclude_none=True),
    )
    return EnrolledResponse(
        factor=factor_response(factor), recovery_codes=await _first_codes(context, session.user_id)
    )


# Mobile phone numbers (SMS)


@router.post(
    "/me/phone-numbers",
    status_code=status.HTTP_201_CREATED,
    summary="Add a mobile phone number: a code is sent to it by SMS",
    responses={403: {"description": "After the SMS sunset date"}},
)
async def add_phone_number(
    body: PhoneNumberRequest, session: ManagingSession, context: Context, runtime: Runtime
) -> PhoneNumberResponse:
    user = await service.get_user(context.pool, user_id=session.user_id)
    sent = await sms.start_enrolment(
        context.pool,
        runtime,
        session=session,
        phone_number=body.phone_number,
        language=user.email_language,
    )
    return PhoneNumberResponse(
        factor_id=sent.factor_id,
        sent_to=sent.sent_to,
        expires_at=sent.expires_at,
        sms_sunset_date=sent.sms_sunset_date,
    )


@router.post("/me/phone-numbers/{factor_id}/confirm", summary="Confirm a number with its code")
async def confirm_phone_number(
    factor_id: uuid.UUID,
    body: CodeRequest,
    session: ManagingSession,
    context: Context,
    runtime: Runtime,
) -> EnrolledResponse:
    factor = await sms.confirm_enrolment(
        context.pool, runtime, session=session, factor_id=factor_id, code=body.code
    )
    return EnrolledResponse(
        factor=factor_response(factor), recovery_codes=await _first_codes(context, session.user_id)
    )


# --- the mobile app's side --------------------------------------------------------------------


def device_token(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise DeviceUnknownError(
            "send the device token as 'Authorization: Bearer <token>'", field="authorization"
        )
    return token.strip()


@router.post(
    "/mobile-app/registrations",
    status_code=status.HTTP_201_CREATED,
    summary="The app registers its public key with the token from the enrolment QR code",
    tags=["mobile app"],
)
async def register_device(
    body: DeviceRegistrationRequest, context: Context, runtime: Runtime
) -> DeviceRegistrationResponse:
    registration = await mobile_app.register_device(
        context.pool,
        runtime,
        enrolment_token=body.enrolment_token,
        key_type=body.key_type,
        public_key=body.public_key,
        pin_proof_value=body.pin_proof,
        signature=body.signature,
    )
    return DeviceRegistrationResponse(
        device_id=registration.device_id,
        user_id=registration.user_id,
        device_token=registration.device_token,
        ocra_key=mobile_app.b64url(registration.ocra_key),
        ocra_suite=registration.ocra_suite,
    )


@router.get(
    "/mobile-app/requests",
    summary="Pending sign-in requests for this device's user, with where they come from",
    tags=["mobile app"],
)
async def pending_requests(
    context: Context,
    runtime: Runtime,
    authorization: Annotated[str | None, Header(max_length=200)] = None,
) -> PendingRequestsResponse:
    requests = await mobile_app.pending_requests(
        context.pool, runtime, device_token=device_token(authorization)
    )
    return PendingRequestsResponse(
        requests=[
            PendingRequestResponse(
                request_id=item.id,
                challenge=mobile_app.b64url(item.challenge),
                created_at=item.created_at,
                expires_at=item.expires_at,
                origin_ip=item.origin_ip,
                origin_browser=item.origin_user_agent,
                service=runtime.settings.webauthn_rp_name,
            )
            for item in requests
        ]
    )


@router.post(
    "/mobile-app/requests/{request_id}/answer",
    summary="Approve (PIN proof + the number shown in the browser) or deny, signed by the device",
    tags=["mobile app"],
    responses={
        401: {"description": "Bad signature, wrong PIN or wrong number"},
        409: {"description": "Already answered (a replay)"},
        410: {"description": "Expired"},
        423: {"description": "Device locked after too many wrong PINs"},
    },
)
async def answer_request(
    request_id: uuid.UUID,
    body: PushAnswerRequest,
    context: Context,
    runtime: Runtime,
    authorization: Annotated[str | None, Header(max_length=200)] = None,
) -> PushAnswerResponse:
    state = await mobile_app.answer_push(
        context.pool,
        runtime,
        request_id=request_id,
        device_token=device_token(authorization),
        decision=body.decision,
        number=body.number,
        pin_proof_value=body.pin_proof,
        signature=body.signature,
    )
    return PushAnswerResponse(request_id=request_id, status=state)
