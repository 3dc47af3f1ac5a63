"""Wire shapes of the accounts JSON API. Limits here are the first line against bad input."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from gatehouse_identity.languages import EU_LANGUAGES

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Email = Annotated[EmailStr, Field(max_length=254)]
Password = Annotated[str, Field(min_length=1, max_length=256)]
Token = Annotated[str, Field(min_length=1, max_length=200)]


def _known_language(code: str) -> str:
    if code not in EU_LANGUAGES:
        raise ValueError(f"must be one of the 24 EU language codes: {', '.join(EU_LANGUAGES)}")
    return code


LanguageCode = Annotated[
    str, AfterValidator(_known_language), Field(json_schema_extra={"enum": list(EU_LANGUAGES)})
]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateAccountRequest(StrictModel):
    first_name: Name
    last_name: Name
    email: Email
    email_confirmation: Email
    email_language: LanguageCode = Field(description="ISO 639-1 code of one of the 24 EU languages")
    privacy_statement_accepted: bool
    captcha_id: uuid.UUID | None = None
    captcha_answer: Annotated[str, Field(max_length=20)] | None = None

    @field_validator("email_confirmation")
    @classmethod
    def _emails_match(cls, value: str, info: ValidationInfo) -> str:
        email = info.data.get("email")
        if email is not None and value.lower() != email.lower():
            raise ValueError("does not match the e-mail address")
        return value

    @field_validator("privacy_statement_accepted")
    @classmethod
    def _privacy_accepted(cls, value: bool) -> bool:
        if not value:
            raise ValueError("the privacy statement must be accepted")
        return value


class AcceptedResponse(BaseModel):
    status: Literal["accepted"] = "accepted"
    message: str


class SetPasswordRequest(StrictModel):
    token: Token
    password: Password


class ForgotPasswordRequest(StrictModel):
    email: Email


class CreateSessionRequest(StrictModel):
    email: Annotated[str, Field(min_length=1, max_length=254)]
    password: Password
    # Needed only after several failed sign-ins from the caller's address (answer 422 names it).
    captcha_id: uuid.UUID | None = None
    captcha_answer: Annotated[str, Field(max_length=20)] | None = None


class UserResponse(BaseModel):
    user_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    email_language: str
    status: str


class SessionResponse(BaseModel):
    session_token: str = Field(description="Send as `Authorization: Bearer <token>`")
    expires_at: datetime
    level: str
    amr: list[str]
    user: UserResponse


class UpdateProfileRequest(StrictModel):
    first_name: Name
    last_name: Name
    email_language: LanguageCode = Field(description="ISO 639-1 code of one of the 24 EU languages")


class ChangePasswordRequest(StrictModel):
    current_password: Password
    new_password: Password


class CaptchaResponse(BaseModel):
    captcha_id: uuid.UUID
    image_url: str
    audio_url: str
