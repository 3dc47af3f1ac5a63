"""Signing in over the JSON API (`/api/v1/sessions`).

`POST /api/v1/sessions` (password) answers with the level reached and, when more is needed,
`second_factor_required` and `available_methods`. Then, with that session:
- `POST /api/v1/sessions/current/second-factor/challenges` starts a method that needs one
  (mobile_app_push, mobile_app_qr, webauthn, sms);
- `GET  /api/v1/sessions/current/second-factor/challenges/{id}` is what a waiting page polls;
- `POST /api/v1/sessions/current/second-factor` answers (totp, mobile_app_qr, sms,
  recovery_code: `code`; mobile_app_push: `challenge_id` once approved; webauthn:
  `challenge_id` + `credential`) and returns the session's *new* token at the raised level.

Or with a passkey and no e-mail: `POST /api/v1/sessions/passkey/options` (a challenge for any
discoverable credential), then `POST /api/v1/sessions/passkey` with the assertion; the session
starts at `phishing_resistant`.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from gatehouse_identity.api.accounts import user_response
from gatehouse_identity.api.dependencies import (
    ClientAddress,
    Context,
    CurrentSession,
    Runtime,
    SessionToken,
    UserAgent,
)
from gatehouse_identity.api.schemas import (
    ChallengeRequest,
    ChallengeResponse,
    ChallengeStatusResponse,
    CreateSessionRequest,
    PasskeyOptionsResponse,
    PasskeySignInRequest,
    SecondFactorRequest,
    SessionStatusResponse,
    SignInResponse,
    SteppedUpResponse,
)
from gatehouse_identity.cookies import clear_session_cookie, set_device_cookie, set_session_cookie
from gatehouse_identity.errors import UnknownLevelError
from gatehouse_identity.levels import parse_level
from gatehouse_identity.mfa import passkeys, signin
from gatehouse_identity.mfa.levels import Method
from gatehouse_identity.mfa.mobile_app import push
from gatehouse_identity.mfa.qr import png_data_uri
from gatehouse_identity.sign_in import service
from gatehouse_identity.throttling.devices import DEVICE_COOKIE

router = APIRouter(prefix="/api/v1", tags=["signing in"])

LevelQuery = Annotated[
    str | None,
    Query(max_length=30, description="Level the caller needs (default: the user's policy)"),
]


def requested_level(level: str | None) -> str | None:
    """The level a caller asked for, None for the user's policy; UnknownLevelError otherwise."""
    wanted = parse_level(level, default="")
    if wanted is None:
        raise UnknownLevelError
    return wanted or None


@router.post(
    "/sessions",
    status_code=status.HTTP_201_CREATED,
    summary="Sign in with e-mail and password",
    responses={401: {"description": "Wrong e-mail address or password"}},
)
async def create_session(
    body: CreateSessionRequest,
    *,
    request: Request,
    response: Response,
    context: Context,
    runtime: Runtime,
    address: ClientAddress,
    user_agent: UserAgent,
    level: LevelQuery = None,
) -> SignInResponse:
    signed_in = await service.sign_in_with_password(
        context.database,
        runtime,
        hasher=context.hasher,
        settings=context.settings,
        email=body.email,
        password=body.password,
        address=address,
        user_agent=user_agent,
        device_cookie=request.cookies.get(DEVICE_COOKIE),
        captcha_id=body.captcha_id,
        captcha_answer=body.captcha_answer,
        requested_level=requested_level(level),
    )
    set_device_cookie(response, signed_in.new_device_cookie)
    set_session_cookie(response, context.settings, signed_in.new.token)
    return _sign_in_response(signed_in)


def _sign_in_response(signed_in: service.SignedIn) -> SignInResponse:
    need, session = signed_in.requirement, signed_in.new.session
    return SignInResponse(
        session_token=signed_in.new.token,
        expires_at=session.expires_at,
        level=session.level,
        amr=session.amr,
        user=user_response(signed_in.user),
        required_level=need.level,
        second_factor_required=not need.satisfied,
        available_methods=need.methods,
        enrolment_required=need.enrolment_required,
        sms_sunset_warning=need.sms_sunset_warning,
    )


@router.post(
    "/sessions/passkey/options",
    status_code=status.HTTP_201_CREATED,
    summary="Options to sign in with a passkey (no e-mail: any discoverable credential)",
)
async def passkey_options(context: Context, runtime: Runtime) -> PasskeyOptionsResponse:
    found = await passkeys.sign_in_options(context.database, runtime)
    return PasskeyOptionsResponse(options=found.options, expires_at=found.expires_at)


@router.post(
    "/sessions/passkey",
    status_code=status.HTTP_201_CREATED,
    summary="Sign in with a passkey: the session starts at the phishing-resistant level",
    responses={
        401: {"description": "Unknown passkey, user not verified, or the account is blocked"},
        404: {"description": "No such challenge"},
        409: {"description": "The challenge was used already"},
        410: {"description": "The challenge expired"},
        422: {"description": "Malformed credential"},
    },
)
async def create_passkey_session(
    body: PasskeySignInRequest,
    *,
    request: Request,
    response: Response,
    context: Context,
    runtime: Runtime,
    address: ClientAddress,
    user_agent: UserAgent,
    level: LevelQuery = None,
) -> SignInResponse:
    signed_in = await service.sign_in_with_passkey(
        context.database,
        runtime,
        settings=context.settings,
        credential=body.credential.model_dump(exclude_none=True),
        address=address,
        user_agent=user_agent,
        device_cookie=request.cookies.get(DEVICE_COOKIE),
        requested_level=requested_level(level),
    )
    set_device_cookie(response, signed_in.new_device_cookie)
    set_session_cookie(response, context.settings, signed_in.new.token)
    return _sign_in_response(signed_in)


@router.delete("/sessions/current", status_code=status.HTTP_204_NO_CONTENT, summary="Sign out")
async def delete_session(token: SessionToken, response: Response, context: Context) -> None:
    await service.sign_out(context.database, token=token)
    clear_session_cookie(response, context.settings)


@router.get(
    "/sessions/current",
    summary="The session's level and what it still needs for `level`",
    responses={401: {"description": "Not signed in"}, 422: {"description": "Unknown level"}},
)
async def session_status(
    session: CurrentSession, context: Context, runtime: Runtime, level: LevelQuery = None
) -> SessionStatusResponse:
    found = await service.session_status(
        context.database, runtime, session=session, requested_level=requested_level(level)
    )
    need = found.requirement
    return SessionStatusResponse(
        level=found.level,
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
    *,
    session: CurrentSession,
    context: Context,
    runtime: Runtime,
    address: ClientAddress,
    user_agent: UserAgent,
) -> ChallengeResponse:
    challenge = await signin.start_challenge(
        context.database,
        runtime,
        session=session,
        method=Method(body.method),
        start=signin.ChallengeStart(
            ip_address=address, user_agent=user_agent, phone_number_id=body.phone_number_id
        ),
    )
    return ChallengeResponse(
        challenge_id=challenge.id,
        method=challenge.method,
        expires_at=challenge.expires_at,
        number=challenge.number,
        qr_payload=challenge.qr_payload,
        qr_image=png_data_uri(challenge.qr_payload) if challenge.qr_payload else None,
        options=challenge.options,
        sent_to=challenge.sent_to,
        sms_sunset_warning=challenge.sms_sunset_date,
    )


@router.get(
    "/sessions/current/second-factor/challenges/{challenge_id}",
    summary="Poll a push request or QR challenge (what the waiting page polls)",
)
async def challenge_status(
    challenge_id: uuid.UUID, session: CurrentSession, context: Context, runtime: Runtime
) -> ChallengeStatusResponse:
    state = await push.challenge_status(
        context.database, runtime, session=session, challenge_id=challenge_id
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
    new = await signin.answer_second_factor(
        context.database, runtime, session=session, answer=answer
    )
    set_session_cookie(response, context.settings, new.token)
    return SteppedUpResponse(
        session_token=new.token,
        expires_at=new.session.expires_at,
        level=new.session.level,
        amr=new.session.amr,
    )
