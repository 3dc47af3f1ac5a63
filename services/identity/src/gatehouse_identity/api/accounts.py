"""The accounts JSON API (`/api/v1`): sign up, set and reset the password, my profile."""

from __future__ import annotations

from fastapi import APIRouter, status

from gatehouse_identity.accounts import service
from gatehouse_identity.accounts.models import User
from gatehouse_identity.api.dependencies import Context, CurrentSession, Db, Hasher
from gatehouse_identity.api.schemas import (
    AcceptedResponse,
    ChangePasswordRequest,
    CreateAccountRequest,
    ForgotPasswordRequest,
    SetPasswordRequest,
    UpdateProfileRequest,
    UserResponse,
)

router = APIRouter(prefix="/api/v1", tags=["accounts"])

ACCEPTED_MESSAGE = (
    "If this address can receive e-mail, a message with the next step is on its way to it."
)


def user_response(user: User) -> UserResponse:
    return UserResponse(
        user_id=user.id,
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        email_language=user.email_language,
        status=user.status.value,
    )


@router.post(
    "/accounts",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Create an account; the set-password link is e-mailed",
    responses={422: {"description": "A field is missing or invalid (named in `detail`)"}},
)
async def create_account(body: CreateAccountRequest, context: Context) -> AcceptedResponse:
    await service.create_account(
        context.database,
        email=body.email,
        first_name=body.first_name,
        last_name=body.last_name,
        email_language=body.email_language,
        privacy_statement_version=context.settings.privacy_statement_version,
        captcha_required=context.settings.captcha_enabled,
        captcha_id=body.captcha_id,
        captcha_answer=body.captcha_answer,
    )
    return AcceptedResponse(message=ACCEPTED_MESSAGE)


@router.post(
    "/password/set",
    summary="Set the password with the token from an e-mailed link",
    responses={400: {"description": "The link is unknown, used or expired"}},
)
async def set_password(body: SetPasswordRequest, database: Db, hasher: Hasher) -> UserResponse:
    user = await service.set_password_with_link(
        database, hasher=hasher, token=body.token, password=body.password
    )
    return user_response(user)


@router.post(
    "/password/forgot", status_code=status.HTTP_202_ACCEPTED, summary="E-mail a reset link"
)
async def forgot_password(body: ForgotPasswordRequest, database: Db) -> AcceptedResponse:
    await service.request_password_reset(database, email=body.email)
    return AcceptedResponse(message=ACCEPTED_MESSAGE)


@router.get("/me", summary="The signed-in user", responses={401: {"description": "Not signed in"}})
async def get_me(session: CurrentSession, database: Db) -> UserResponse:
    return user_response(await service.get_user(database, user_id=session.user_id))


@router.patch(
    "/me",
    summary="Change my name and e-mail language",
    responses={401: {"description": "Not signed in"}, 422: {"description": "Invalid input"}},
)
async def update_me(
    body: UpdateProfileRequest, session: CurrentSession, database: Db
) -> UserResponse:
    user = await service.update_profile(
        database,
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
    body: ChangePasswordRequest, session: CurrentSession, database: Db, hasher: Hasher
) -> None:
    await service.change_password(
        database,
        hasher=hasher,
        user_id=session.user_id,
        current_password=body.current_password,
        new_password=body.new_password,
        keep_session_hash=session.id_hash,
    )
