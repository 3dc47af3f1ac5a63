"""The mobile app's own endpoints (`/api/v1/mobile-app/...`): it registers with the token from
the enrolment QR code, lists pending sign-in requests and answers them, each call signed by its
device key (mfa/mobile_app)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, status

from gatehouse_identity.api.dependencies import Db, Runtime
from gatehouse_identity.api.schemas import (
    DeviceRegistrationRequest,
    DeviceRegistrationResponse,
    PendingRequestResponse,
    PendingRequestsResponse,
    PushAnswerRequest,
    PushAnswerResponse,
)
from gatehouse_identity.mfa.errors import DeviceUnknownError
from gatehouse_identity.mfa.mobile_app import enrolment, push
from gatehouse_identity.mfa.mobile_app.wire import b64url

router = APIRouter(prefix="/api/v1/mobile-app", tags=["mobile app"])

Authorization = Annotated[str | None, Header(max_length=200)]


def device_token(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise DeviceUnknownError(
            "send the device token as 'Authorization: Bearer <token>'", field="authorization"
        )
    return token.strip()


@router.post(
    "/registrations",
    status_code=status.HTTP_201_CREATED,
    summary="The app registers its public key with the token from the enrolment QR code",
)
async def register_device(
    body: DeviceRegistrationRequest, database: Db, runtime: Runtime
) -> DeviceRegistrationResponse:
    registration = await enrolment.register_device(
        database,
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
        ocra_key=b64url(registration.ocra_key),
        ocra_suite=registration.ocra_suite,
    )


@router.get(
    "/requests",
    summary="Pending sign-in requests for this device's user, with where they come from",
)
async def pending_requests(
    database: Db, runtime: Runtime, authorization: Authorization = None
) -> PendingRequestsResponse:
    requests = await push.pending_requests(
        database, runtime, device_token=device_token(authorization)
    )
    return PendingRequestsResponse(
        requests=[
            PendingRequestResponse(
                request_id=item.id,
                challenge=b64url(item.challenge),
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
    "/requests/{request_id}/answer",
    summary="Approve (PIN proof + the number shown in the browser) or deny, signed by the device",
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
    database: Db,
    runtime: Runtime,
    authorization: Authorization = None,
) -> PushAnswerResponse:
    state = await push.answer_push(
        database,
        runtime,
        request_id=request_id,
        device_token=device_token(authorization),
        decision=body.decision,
        number=body.number,
        pin_proof_value=body.pin_proof,
        signature=body.signature,
    )
    return PushAnswerResponse(request_id=request_id, status=state)
