"""Wire shapes of the JSON API. Every string has a length limit, so oversized input is a 422
naming the field before any code looks at it.

This module holds many small shapes on purpose (one per request and answer of every route), so
it is longer than most; splitting it by route would scatter the shared ones.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from gatehouse_identity.accounts.fields import Email, LanguageCode, Name
from gatehouse_identity.mfa.levels import Method

Password = Annotated[str, Field(min_length=1, max_length=256)]
Token = Annotated[str, Field(min_length=1, max_length=200)]


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


# --- second factors ------------------------------------------------------------------------

FactorName = Annotated[str, StringConstraints(min_length=1, max_length=60)]
Code = Annotated[str, Field(min_length=1, max_length=32)]
Pin = Annotated[str, Field(min_length=1, max_length=16)]
B64 = Annotated[str, Field(min_length=1, max_length=400)]
Level = Literal["password", "multi_factor", "phishing_resistant"]


# --- WebAuthn credentials as browsers serialise them (base64url strings) -------------------


class LenientModel(BaseModel):
    # Browsers add fields over time (toJSON() gives publicKey, authenticatorData, ...): ignored.
    model_config = ConfigDict(extra="ignore")


class AttestationResponse(LenientModel):
    clientDataJSON: Annotated[str, Field(min_length=1, max_length=4096)]  # noqa: N815
    attestationObject: Annotated[str, Field(min_length=1, max_length=16384)]  # noqa: N815
    transports: Annotated[list[Annotated[str, Field(max_length=20)]], Field(max_length=10)] = []


class AssertionResponse(LenientModel):
    clientDataJSON: Annotated[str, Field(min_length=1, max_length=4096)]  # noqa: N815
    authenticatorData: Annotated[str, Field(min_length=1, max_length=4096)]  # noqa: N815
    signature: Annotated[str, Field(min_length=1, max_length=1024)]
    userHandle: Annotated[str, Field(max_length=512)] | None = None  # noqa: N815


class CredentialBase(LenientModel):
    id: Annotated[str, Field(min_length=1, max_length=1400)]
    rawId: Annotated[str, Field(min_length=1, max_length=1400)]  # noqa: N815
    type: Literal["public-key"]
    authenticatorAttachment: Annotated[str, Field(max_length=30)] | None = None  # noqa: N815
    clientExtensionResults: Annotated[dict[str, Any], Field(max_length=10)] = {}  # noqa: N815


class RegistrationCredential(CredentialBase):
    response: AttestationResponse


class AuthenticationCredential(CredentialBase):
    response: AssertionResponse


# --- signing in ----------------------------------------------------------------------------


class SignInResponse(SessionResponse):
    """A password session, and what it still needs (see mfa.factors for the policy)."""

    required_level: str
    second_factor_required: bool
    available_methods: list[Method]
    enrolment_required: bool
    sms_sunset_warning: str | None = Field(
        default=None, description="Shown with SMS: the date SMS stops being accepted"
    )


class PasskeyOptionsResponse(BaseModel):
    """For navigator.credentials.get(): a discoverable credential with user verification."""

    options: dict[str, Any]
    expires_at: datetime


class PasskeySignInRequest(StrictModel):
    credential: AuthenticationCredential


class SessionStatusResponse(BaseModel):
    level: str
    amr: list[str]
    expires_at: datetime
    required_level: str
    second_factor_required: bool
    available_methods: list[Method]
    enrolment_required: bool
    sms_sunset_warning: str | None = None


class ChallengeRequest(StrictModel):
    method: Literal["mobile_app_push", "mobile_app_qr", "webauthn", "sms"]
    phone_number_id: uuid.UUID | None = None


class ChallengeResponse(BaseModel):
    challenge_id: uuid.UUID
    method: str
    expires_at: datetime
    number: int | None = Field(
        default=None, description="Push: show it; the user types it in the app"
    )
    qr_payload: str | None = None
    qr_image: str | None = Field(default=None, description="PNG data URI of the QR code")
    options: dict[str, Any] | None = Field(default=None, description="WebAuthn request options")
    sent_to: str | None = None
    sms_sunset_warning: str | None = None


class ChallengeStatusResponse(BaseModel):
    challenge_id: uuid.UUID
    status: Literal["pending", "approved", "denied", "rejected", "used", "expired"]


class SecondFactorRequest(StrictModel):
    method: Method
    code: Code | None = None
    challenge_id: uuid.UUID | None = None
    credential: AuthenticationCredential | None = None


class SteppedUpResponse(BaseModel):
    session_token: str = Field(description="The session's new token: the old one is gone")
    expires_at: datetime
    level: str
    amr: list[str]


# --- managing methods ---------------------------------------------------------------------


class FactorResponse(BaseModel):
    factor_id: uuid.UUID
    method: str
    name: str
    status: str
    created_at: datetime
    last_used_at: datetime | None


class FactorsResponse(BaseModel):
    factors: list[FactorResponse]
    recovery_codes_left: int
    always_require_mfa: bool
    sms_sunset_date: str
    sms_allowed: bool


class RenameRequest(StrictModel):
    name: FactorName


class AlwaysRequireRequest(StrictModel):
    enabled: bool


class EnrolledResponse(BaseModel):
    factor: FactorResponse
    recovery_codes: list[str] | None = Field(
        default=None, description="Only at the first enrolment: shown once, never again"
    )


class TotpStartRequest(StrictModel):
    name: FactorName = "Authenticator app"


class TotpStartResponse(BaseModel):
    factor_id: uuid.UUID
    secret: str = Field(description="Base32, for typing into the app by hand")
    otpauth_uri: str
    qr_image: str
    expires_at: datetime


class CodeRequest(StrictModel):
    code: Code


class MobileStartRequest(StrictModel):
    name: FactorName
    pin: Pin
    pin_confirmation: Pin


class MobileStartResponse(BaseModel):
    factor_id: uuid.UUID
    qr_payload: str
    qr_image: str
    expires_at: datetime


class MobileStatusResponse(BaseModel):
    factor_id: uuid.UUID
    status: str
    recovery_codes: list[str] | None = None


class WebAuthnOptionsResponse(BaseModel):
    challenge_id: uuid.UUID
    options: dict[str, Any]


class SecurityKeyRequest(StrictModel):
    challenge_id: uuid.UUID
    name: FactorName = "Security key"
    credential: RegistrationCredential


class PhoneNumberRequest(StrictModel):
    phone_number: Annotated[str, Field(min_length=1, max_length=32)]


class PhoneNumberResponse(BaseModel):
    factor_id: uuid.UUID
    sent_to: str
    expires_at: datetime
    sms_sunset_date: str


class RecoveryCodesResponse(BaseModel):
    recovery_codes: list[str]


# --- the mobile app's own endpoints ---------------------------------------------------------


class DeviceRegistrationRequest(StrictModel):
    enrolment_token: Annotated[str, Field(min_length=1, max_length=64)]
    key_type: Annotated[str, Field(min_length=1, max_length=20)]
    public_key: B64
    pin_proof: B64
    signature: B64


class DeviceRegistrationResponse(BaseModel):
    device_id: uuid.UUID
    user_id: uuid.UUID
    device_token: str
    ocra_key: str = Field(description="base64url; the app keeps it for offline passwords")
    ocra_suite: str


class PendingRequestResponse(BaseModel):
    request_id: uuid.UUID
    challenge: str
    created_at: datetime
    expires_at: datetime
    origin_ip: str | None
    origin_browser: str | None
    service: str


class PendingRequestsResponse(BaseModel):
    requests: list[PendingRequestResponse]


class PushAnswerRequest(StrictModel):
    decision: Literal["approve", "deny"]
    number: Annotated[str, Field(max_length=8)] = ""
    pin_proof: B64 | None = None
    signature: B64


class PushAnswerResponse(BaseModel):
    request_id: uuid.UUID
    status: str
