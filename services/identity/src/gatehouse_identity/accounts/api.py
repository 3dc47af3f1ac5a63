"""The accounts JSON API (`/api/v1`): a thin translation between HTTP and accounts.service."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gatehouse_identity.accounts import service, sessions
from gatehouse_identity.accounts.errors import InvalidInputError, NotSignedInError
from gatehouse_identity.accounts.models import User
from gatehouse_identity.accounts.schemas import (
    AcceptedResponse,
    CaptchaResponse,
    ChangePasswordRequest,
    CreateAccountRequest,
    CreateSessionRequest,
    ForgotPasswordRequest,
    SetPasswordRequest,
    UpdateProfileRequest,
    UserResponse,
)
from gatehouse_identity.captcha import service as captcha
from gatehouse_identity.context import IdentityContext
from gatehouse_identity.mfa import factors as mfa_factors
from gatehouse_identity.mfa.levels import parse_level
from gatehouse_identity.mfa.runtime import runtime_for as mfa_runtime_for
from gatehouse_identity.mfa.schemas import SignInResponse
from gatehouse_identity.throttling.sign_in import set_device_cookie, sign_in_with_password

router = APIRouter(prefix="/api/v1", tags=["accounts"])
bearer = HTTPBearer(auto_error=False)


def get_context(request: Request) -> IdentityContext:
    context: IdentityContext = request.app.state.context
    return context


Context = Annotated[IdentityContext, Depends(get_context)]


def user_response(user: User) -> UserResponse:
    return UserResponse(
        user_id=user.id,
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        email_language=user.email_language,
        status=user.status.value,
    )


async def current_session(
    request: Request,
    context: Context,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> sessions.Session:
    token = (
        credentials.credentials
        if credentials
        else request.cookies.get(context.settings.session_cookie_name, "")
    )
    session = await sessions.resume_session(
        context.pool,
        token=token,
        idle_timeout=timedelta(seconds=context.settings.session_idle_timeout_s),
    )
    if session is None:
        raise NotSignedInError("sign in first")
    return session


CurrentSession = Annotated[sessions.Session, Depends(current_session)]

ACCEPTED_MESSAGE = (
    "If this address can receive e-mail, a message with the next step is on its way to it."
)


@router.post(
    "/accounts",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Create an account; the set-password link is e-mailed",
    responses={422: {"description": "A field is missing or invalid (named in `detail`)"}},
)
async def create_account(body: CreateAccountRequest, context: Context) -> AcceptedResponse:
    if context.settings.captcha_enabled:
        if body.captcha_id is None or body.captcha_answer is None:
            raise InvalidInputError("type the code shown in the picture", field="captcha_answer")
        try:
            await captcha.solve_challenge(
                context.pool, challenge_id=body.captcha_id, answer=body.captcha_answer
            )
        except captcha.CaptchaFailedError as error:
            raise InvalidInputError(str(error), field="captcha_answer") from error
    await service.create_account(
        context.pool,
        email=body.email,
        first_name=body.first_name,
        last_name=body.last_name,
        email_language=body.email_language,
        privacy_statement_version=context.settings.privacy_statement_version,
    )
    return AcceptedResponse(message=ACCEPTED_MESSAGE)


@router.post("/captcha", status_code=status.HTTP_201_CREATED, summary="A new captcha challenge")
async def create_captcha(context: Context) -> CaptchaResponse:
    challenge_id = await captcha.create_challenge(context.pool)
    return CaptchaResponse(
        captcha_id=challenge_id,
        image_url=f"/captcha/{challenge_id}/image.png",
        audio_url=f"/captcha/{challenge_id}/audio.wav",
    )


@router.post(
    "/password/set",
    summary="Set the password with the token from an e-mailed link",
    responses={400: {"description": "The link is unknown, used or expired"}},
)
async def set_password(body: SetPasswordRequest, context: Context) -> UserResponse:
    user = await service.set_password_with_link(
        context.pool, hasher=context.hasher, token=body.token, password=body.password
    )
    return user_response(user)


@router.post(
    "/password/forgot", status_code=status.HTTP_202_ACCEPTED, summary="E-mail a reset link"
)
async def forgot_password(body: ForgotPasswordRequest, context: Context) -> AcceptedResponse:
    await service.request_password_reset(context.pool, email=body.email)
    return AcceptedResponse(message=ACCEPTED_MESSAGE)


@router.post(
    "/sessions",
    status_code=status.HTTP_201_CREATED,
    summary="Sign in with e-mail and password",
    responses={401: {"description": "Wrong e-mail address or password"}},
)
async def create_session(
    body: CreateSessionRequest,
    request: Request,
    response: Response,
    context: Context,
    level: Annotated[
        str | None,
        Query(max_length=30, description="Level the caller needs (default: the user's policy)"),
    ] = None,
) -> SignInResponse:
    settings = context.settings
    wanted = parse_level(level, default="")
    if wanted is None:
        raise InvalidInputError(
            "level must be password, multi_factor or phishing_resistant", field="level"
        )
    user, device_cookie = await sign_in_with_password(
        request,
        context,
        email=body.email,
        password=body.password,
        captcha_id=body.captcha_id,
        captcha_answer=body.captcha_answer,
    )
    set_device_cookie(response, device_cookie)
    new = await sessions.start_session(
        context.pool,
        user_id=user.id,
        amr=["pwd"],
        level=sessions.AuthLevel.PASSWORD,
        absolute_timeout=timedelta(seconds=settings.session_absolute_timeout_s),
        ip_address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )
    set_session_cookie(response, context, new.token)
    # What the password session still needs (second factor, or enrolling one): mfa.factors.
    need = await mfa_factors.requirement(
        context.pool, mfa_runtime_for(request), session=new.session, requested_level=wanted or None
    )
    return SignInResponse(
        session_token=new.token,
        expires_at=new.session.expires_at,
        level=new.session.level,
        amr=new.session.amr,
        user=user_response(user),
        required_level=need.level,
        second_factor_required=not need.satisfied,
        available_methods=need.methods,
        enrolment_required=need.enrolment_required,
        sms_sunset_warning=need.sms_sunset_warning,
    )


def set_session_cookie(response: Response, context: IdentityContext, token: str) -> None:
    response.set_cookie(
        context.settings.session_cookie_name,
        token,
        max_age=context.settings.session_absolute_timeout_s,
        path="/",
        secure=True,
        httponly=True,
        samesite="lax",
    )


@router.delete("/sessions/current", status_code=status.HTTP_204_NO_CONTENT, summary="Sign out")
async def delete_session(
    request: Request,
    response: Response,
    context: Context,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    name = context.settings.session_cookie_name
    token = credentials.credentials if credentials else request.cookies.get(name, "")
    await sessions.end_session(context.pool, token=token)
    response.delete_cookie(name, path="/", secure=True, httponly=True, samesite="lax")


@router.get("/me", summary="The signed-in user", responses={401: {"description": "Not signed in"}})
async def get_me(session: CurrentSession, context: Context) -> UserResponse:
    return user_response(await service.get_user(context.pool, user_id=session.user_id))


@router.patch(
    "/me",
    summary="Change my name and e-mail language",
    responses={401: {"description": "Not signed in"}, 422: {"description": "Invalid input"}},
)
async def update_me(
    body: UpdateProfileRequest, session: CurrentSession, context: Context
) -> UserResponse:
    user = await service.update_profile(
        context.pool,
        user_id=session.user_id,
        first_name=body.first_name,
        last_name=body.last_name,
        email_language=body.email_language,
    )
    return user_response(user)


@router.post(
    "/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Change the password (the current one is asked again)",
    responses={401: {"description": "Not signed in"}, 422: {"description": "Invalid input"}},
)
async def change_password(
    body: ChangePasswordRequest, session: CurrentSession, context: Context
) -> None:
    await service.change_password(
        context.pool,
        hasher=context.hasher,
        user_id=session.user_id,
        current_password=body.current_password,
        new_password=body.new_password,
        keep_session_hash=session.id_hash,
    )
