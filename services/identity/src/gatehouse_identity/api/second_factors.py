"""Managing my second factors over the JSON API (`/api/v1/me/...`): list, rename, remove, reset,
"always require", recovery codes, and adding each kind of method.

Managing needs a multi-factor session once the user has a usable method (`ManagingSession`).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from gatehouse_identity.api.dependencies import Context, CurrentSession, Db, Runtime
from gatehouse_identity.api.schemas import (
    AlwaysRequireRequest,
    CodeRequest,
    EnrolledResponse,
    FactorResponse,
    FactorsResponse,
    MobileStartRequest,
    MobileStartResponse,
    MobileStatusResponse,
    PhoneNumberRequest,
    PhoneNumberResponse,
    RecoveryCodesResponse,
    RenameRequest,
    SecurityKeyRequest,
    TotpStartRequest,
    TotpStartResponse,
    WebAuthnOptionsResponse,
)
from gatehouse_identity.mfa import enrolment, factors, policy, sms, totp, webauthn
from gatehouse_identity.mfa.enrolment import Enrolled
from gatehouse_identity.mfa.methods import Enrolment, EnrolmentProof, EnrolmentRequest
from gatehouse_identity.mfa.mobile_app import enrolment as mobile_app
from gatehouse_identity.mfa.models import Factor
from gatehouse_identity.mfa.qr import png_data_uri
from gatehouse_identity.sessions.models import Session

router = APIRouter(prefix="/api/v1/me", tags=["second factors"])


async def managing_session(session: CurrentSession, database: Db, runtime: Runtime) -> Session:
    await policy.require_manage_level(database, runtime, session=session)
    return session


ManagingSession = Annotated[Session, Depends(managing_session)]


def factor_response(factor: Factor) -> FactorResponse:
    return FactorResponse(
        factor_id=factor.id,
        method=factor.kind.value,
        name=factor.name,
        status=factor.status,
        created_at=factor.created_at,
        last_used_at=factor.last_used_at,
    )


def enrolled_response(enrolled: Enrolled) -> EnrolledResponse:
    return EnrolledResponse(
        factor=factor_response(enrolled.factor), recovery_codes=enrolled.recovery_codes
    )


async def confirm_with_code(
    method: Enrolment[object],
    *,
    factor_id: uuid.UUID,
    code: str,
    session: Session,
    database: Db,
    runtime: Runtime,
) -> EnrolledResponse:
    """Methods confirmed by the first code they give (authenticator app, SMS)."""
    enrolled = await enrolment.confirm(
        database,
        runtime,
        session=session,
        method=method,
        proof=EnrolmentProof(factor_id=factor_id, code=code),
    )
    return enrolled_response(enrolled)


@router.get("/second-factors", summary="My second factors")
async def list_second_factors(
    session: CurrentSession, database: Db, runtime: Runtime
) -> FactorsResponse:
    found = await policy.overview(database, runtime, user_id=session.user_id)
    return FactorsResponse(
        factors=[factor_response(factor) for factor in found.factors],
        recovery_codes_left=found.recovery_codes_left,
        always_require_mfa=found.always_require_mfa,
        sms_sunset_date=found.sms_sunset_date,
        sms_allowed=found.sms_allowed,
    )


@router.patch("/second-factors/{factor_id}", summary="Rename a second factor")
async def rename_second_factor(
    factor_id: uuid.UUID, body: RenameRequest, session: ManagingSession, database: Db
) -> FactorResponse:
    factor = await factors.rename(
        database, user_id=session.user_id, factor_id=factor_id, name=body.name
    )
    return factor_response(factor)


@router.delete(
    "/second-factors/{factor_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a second factor (the last strong one needs a fresh second factor)",
)
async def remove_second_factor(
    factor_id: uuid.UUID, session: ManagingSession, database: Db, runtime: Runtime
) -> None:
    await factors.remove(database, runtime, session=session, factor_id=factor_id)


@router.post(
    "/second-factors/reset",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Reset all my devices: remove every method and sign out every session",
)
async def reset_second_factors(session: ManagingSession, database: Db) -> None:
    await factors.reset_all(database, user_id=session.user_id)


@router.put(
    "/always-require-mfa",
    status_code=status.HTTP_204_NO_CONTENT,
    summary='"Always require multi-factor authentication"',
)
async def set_always_require(
    body: AlwaysRequireRequest, session: ManagingSession, database: Db, runtime: Runtime
) -> None:
    await policy.set_always_require_mfa(
        database, runtime, user_id=session.user_id, enabled=body.enabled
    )


@router.post(
    "/recovery-codes",
    status_code=status.HTTP_201_CREATED,
    summary="A new set of recovery codes (the old set stops working)",
)
async def regenerate_recovery_codes(
    session: ManagingSession, database: Db
) -> RecoveryCodesResponse:
    codes = await enrolment.new_recovery_codes(database, user_id=session.user_id)
    return RecoveryCodesResponse(recovery_codes=codes)


# Authenticator app (TOTP)


@router.post(
    "/authenticator-apps",
    status_code=status.HTTP_201_CREATED,
    summary="Start adding an authenticator app: the QR code and the secret",
)
async def start_totp(
    body: TotpStartRequest, session: ManagingSession, database: Db, runtime: Runtime
) -> TotpStartResponse:
    started = await enrolment.start(
        database,
        runtime,
        session=session,
        method=totp.ENROLMENT,
        request=EnrolmentRequest(name=body.name),
    )
    return TotpStartResponse(
        factor_id=started.factor_id,
        secret=started.secret_base32,
        otpauth_uri=started.uri,
        qr_image=png_data_uri(started.uri),
        expires_at=started.expires_at,
    )


@router.post(
    "/authenticator-apps/{factor_id}/confirm",
    summary="Confirm an authenticator app with its first code",
)
async def confirm_totp(
    factor_id: uuid.UUID,
    body: CodeRequest,
    session: ManagingSession,
    database: Db,
    runtime: Runtime,
) -> EnrolledResponse:
    return await confirm_with_code(
        totp.ENROLMENT,
        factor_id=factor_id,
        code=body.code,
        session=session,
        database=database,
        runtime=runtime,
    )


# Mobile app


@router.post(
    "/mobile-devices",
    status_code=status.HTTP_201_CREATED,
    summary="Start adding a mobile device: name and PIN; the QR code for the app",
)
async def start_mobile(
    body: MobileStartRequest, session: ManagingSession, database: Db, runtime: Runtime
) -> MobileStartResponse:
    started = await enrolment.start(
        database,
        runtime,
        session=session,
        method=mobile_app.ENROLMENT,
        request=EnrolmentRequest(
            name=body.name, pin=body.pin, pin_confirmation=body.pin_confirmation
        ),
    )
    return MobileStartResponse(
        factor_id=started.factor_id,
        qr_payload=started.payload,
        qr_image=png_data_uri(started.payload),
        expires_at=started.expires_at,
    )


@router.get(
    "/mobile-devices/{factor_id}",
    summary="Enrolment status (polled until the app has registered)",
)
async def mobile_status(
    factor_id: uuid.UUID, session: CurrentSession, context: Context, runtime: Runtime
) -> MobileStatusResponse:
    state = await mobile_app.enrolment_status(
        context.database, runtime, user_id=session.user_id, factor_id=factor_id
    )
    codes = None
    if state == "active":
        enrolled = await enrolment.confirm(
            context.database,
            runtime,
            session=session,
            method=mobile_app.ENROLMENT,
            proof=EnrolmentProof(factor_id=factor_id),
        )
        codes = enrolled.recovery_codes
    return MobileStatusResponse(factor_id=factor_id, status=state, recovery_codes=codes)


# Security keys and passkeys (WebAuthn)


@router.post("/security-keys/options", summary="Registration options for a new security key")
async def security_key_options(
    session: ManagingSession, database: Db, runtime: Runtime
) -> WebAuthnOptionsResponse:
    started = await enrolment.start(
        database, runtime, session=session, method=webauthn.ENROLMENT, request=EnrolmentRequest()
    )
    return WebAuthnOptionsResponse(challenge_id=started.challenge_id, options=started.options)


@router.post(
    "/security-keys",
    status_code=status.HTTP_201_CREATED,
    summary="Register a security key or passkey (the credential from navigator.credentials.create)",
)
async def register_security_key(
    body: SecurityKeyRequest, session: ManagingSession, database: Db, runtime: Runtime
) -> EnrolledResponse:
    enrolled = await enrolment.confirm(
        database,
        runtime,
        session=session,
        method=webauthn.ENROLMENT,
        proof=EnrolmentProof(
            challenge_id=body.challenge_id,
            name=body.name,
            credential=body.credential.model_dump(exclude_none=True),
        ),
    )
    return enrolled_response(enrolled)


# Mobile phone numbers (SMS)


@router.post(
    "/phone-numbers",
    status_code=status.HTTP_201_CREATED,
    summary="Add a mobile phone number: a code is sent to it by SMS",
    responses={403: {"description": "After the SMS sunset date"}},
)
async def add_phone_number(
    body: PhoneNumberRequest, session: ManagingSession, database: Db, runtime: Runtime
) -> PhoneNumberResponse:
    started = await enrolment.start(
        database,
        runtime,
        session=session,
        method=sms.ENROLMENT,
        request=EnrolmentRequest(phone_number=body.phone_number),
    )
    return PhoneNumberResponse(
        factor_id=started.factor_id,
        sent_to=started.sent_to,
        expires_at=started.expires_at,
        sms_sunset_date=started.sms_sunset_date,
    )


@router.post("/phone-numbers/{factor_id}/confirm", summary="Confirm a number with its code")
async def confirm_phone_number(
    factor_id: uuid.UUID,
    body: CodeRequest,
    session: ManagingSession,
    database: Db,
    runtime: Runtime,
) -> EnrolledResponse:
    return await confirm_with_code(
        sms.ENROLMENT,
        factor_id=factor_id,
        code=body.code,
        session=session,
        database=database,
        runtime=runtime,
    )
