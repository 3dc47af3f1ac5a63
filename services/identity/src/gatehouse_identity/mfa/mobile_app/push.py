"""PIN push with number matching: the browser asks for a request (`create_push`, showing a
two-digit number), the app lists it (`pending_requests`) and approves it with the PIN and that
number, or denies it (`answer_push`), and the browser collects the approval (`SIGN_IN.verify`).

Requests live at most two minutes, at most five per attempt per two minutes (a new one replaces
the earlier ones: no push flood); a wrong number cancels the request; a denial ends the sign-in
attempt.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.db import Database
from gatehouse_identity.mfa import challenges
from gatehouse_identity.mfa import queries as factor_rows
from gatehouse_identity.mfa.errors import (
    AppRequestMalformedError,
    ApprovalExpiredError,
    ApprovalUsedError,
    AppSignatureInvalidError,
    AttemptEndedError,
    ChallengePendingError,
    DeviceLockedError,
    NoMobileDeviceError,
    NotFoundError,
    PinWrongError,
    PushNumberMalformedError,
    PushNumberMismatchError,
    PushRejectedError,
    PushRequestAnsweredError,
    PushRequestExpiredError,
    PushRequestNotFoundError,
    TooManyAppRequestsError,
)
from gatehouse_identity.mfa.levels import Method
from gatehouse_identity.mfa.methods import (
    Amr,
    Answer,
    AnswerForm,
    Challenge,
    ChallengeStart,
    SignInMethodDefaults,
)
from gatehouse_identity.mfa.mobile_app import queries
from gatehouse_identity.mfa.mobile_app.devices import (
    active_devices,
    device_by_token,
    right_pin,
    wrong_pin,
)
from gatehouse_identity.mfa.mobile_app.queries import PendingRequest
from gatehouse_identity.mfa.mobile_app.wire import (
    Decision,
    from_b64url,
    pin_proof,
    push_message,
    signature_valid,
)
from gatehouse_identity.mfa.runtime import MfaRuntime
from gatehouse_identity.sessions.models import Session

# How long an approved push may wait for the browser to collect it.
APPROVAL_GRACE = timedelta(seconds=60)
MAX_REQUESTS_PER_WINDOW = 5
# Answered and expired challenges are kept this long (to answer "expired" rather than
# "unknown"), then deleted.
CHALLENGE_RETENTION = timedelta(hours=1)
MAX_USER_AGENT_LENGTH = 300


@dataclass(frozen=True)
class PushRequest:
    id: uuid.UUID
    number: int
    expires_at: datetime


async def limit_requests(
    connection: AsyncConnection, runtime: MfaRuntime, *, session: Session, kind: str
) -> None:
    """At most a few requests per sign-in attempt and lifetime: a flood of pushes is how
    "MFA fatigue" attacks wear users down. A new request replaces the attempt's earlier ones,
    so the app never shows two for one sign-in. Old rows of the user are cleared on the way."""
    now = runtime.now()
    window = timedelta(seconds=runtime.settings.mobile_request_ttl_s)
    recent = await challenges.count_recent(
        connection, session=session, kind=kind, since=now - window
    )
    if recent >= MAX_REQUESTS_PER_WINDOW:
        raise TooManyAppRequestsError(
            "too many requests: wait a minute and try again", field="method"
        )
    await challenges.supersede_pending(connection, session=session, kind=kind)
    await challenges.delete_expired(
        connection, user_id=session.user_id, before=now - CHALLENGE_RETENTION
    )


async def create_push(
    database: Database,
    runtime: MfaRuntime,
    *,
    session: Session,
    ip_address: str | None,
    user_agent: str | None,
) -> PushRequest:
    async with database.connection() as connection:
        if not await active_devices(connection, user_id=session.user_id):
            raise NoMobileDeviceError(
                "no mobile device is registered (or it is locked)", field="method"
            )
        number = 10 + secrets.randbelow(90)
        expires_at = runtime.now() + timedelta(seconds=runtime.settings.mobile_request_ttl_s)
        await limit_requests(connection, runtime, session=session, kind="push")
        request_id = await challenges.store(
            connection,
            session=session,
            kind="push",
            challenge=secrets.token_bytes(32),
            number=number,
            origin_ip=ip_address,
            origin_user_agent=(user_agent or "")[:MAX_USER_AGENT_LENGTH],
            created_at=runtime.now(),
            expires_at=expires_at,
        )
    return PushRequest(id=request_id, number=number, expires_at=expires_at)


async def pending_requests(
    database: Database, runtime: MfaRuntime, *, device_token: str
) -> list[PendingRequest]:
    """What the app lists: pending requests of its user, with where they come from."""
    device = await device_by_token(database, device_token=device_token)
    async with database.connection() as connection:
        return await queries.pending_requests(connection, user_id=device.user_id, now=runtime.now())


def _check_approval(decision: Decision, number: str, proof: bytes | None) -> None:
    if decision != "approve":
        return
    if len(number) != 2 or not number.isascii() or not number.isdigit():
        raise PushNumberMalformedError(
            "type the two-digit number shown in the browser", field="number"
        )
    if proof is None:
        raise AppRequestMalformedError("an approval needs the PIN proof", field="pin_proof")


async def answer_push(
    database: Database,
    runtime: MfaRuntime,
    *,
    request_id: uuid.UUID,
    device_token: str,
    decision: Decision,
    number: str,
    pin_proof_value: str | None,
    signature: str,
) -> str:
    """The app approves (PIN + the number shown in the browser) or denies a request, signed by
    its key. Returns the request's new status."""
    raw_signature = from_b64url(signature, field="signature", max_bytes=200)
    proof = (
        from_b64url(pin_proof_value, field="pin_proof", max_bytes=64) if pin_proof_value else None
    )
    _check_approval(decision, number, proof)
    device = await device_by_token(database, device_token=device_token)
    async with database.connection() as connection:
        request = await queries.push_request_of_user(
            connection, request_id=request_id, user_id=device.user_id
        )
    if request is None:
        raise PushRequestNotFoundError("no such request for this device", field="request_id")
    message = push_message(request_id, request.challenge, decision, number)
    if not signature_valid(device.key_type, device.public_key, raw_signature, message):
        raise AppSignatureInvalidError(
            "the signature does not match this request", field="signature"
        )
    if request.status != "pending":
        raise PushRequestAnsweredError("this request was already answered", field="request_id")
    if request.expires_at <= runtime.now():
        raise PushRequestExpiredError("this request has expired: sign in again", field="request_id")
    if decision == "deny":
        return await _settle(
            database, runtime, request_id=request_id, status="denied", device=device.id
        )
    verifier = runtime.box.decrypt(device.pin_verifier_encrypted)
    if proof is None or not hmac.compare_digest(pin_proof(verifier, message), proof):
        left = await wrong_pin(database, runtime, device_id=device.id)
        if left == 0:
            raise DeviceLockedError(
                "wrong PIN too many times: this device is locked; enrol it again", field="pin"
            )
        raise PinWrongError("wrong PIN", field="pin", attempts_left=left)
    async with database.connection() as connection:
        await right_pin(connection, runtime, device=device)
    if not hmac.compare_digest(number, str(request.number)):
        # Number matching: the user is approving a request they did not start (or mistyped).
        # The request is cancelled so that it cannot be approved by trying numbers.
        await _settle(database, runtime, request_id=request_id, status="rejected", device=device.id)
        raise PushNumberMismatchError(
            "the number does not match the one shown in the browser; the request is cancelled",
            field="number",
        )
    return await _settle(
        database, runtime, request_id=request_id, status="approved", device=device.id
    )


async def _settle(
    database: Database,
    runtime: MfaRuntime,
    *,
    request_id: uuid.UUID,
    status: str,
    device: uuid.UUID,
) -> str:
    """Answer a pending request once: a replayed or parallel second answer finds it settled."""
    async with database.connection() as connection:
        settled = await queries.settle(
            connection, request_id=request_id, status=status, device_id=device, now=runtime.now()
        )
    if settled is None:
        raise PushRequestAnsweredError(
            "this request was already answered or has expired", field="request_id"
        )
    return settled


async def challenge_status(
    database: Database, runtime: MfaRuntime, *, session: Session, challenge_id: uuid.UUID
) -> str:
    """What the waiting browser polls: pending, approved, denied, rejected, used or expired."""
    async with database.connection() as connection:
        request = await queries.request_of_session(
            connection,
            request_id=challenge_id,
            session_hash=session.id_hash,
            kinds=("push", "qr"),
        )
    if request is None:
        raise NotFoundError("no such request in this sign-in", field="challenge_id")
    if request.status == "pending" and request.expires_at <= runtime.now():
        return "expired"
    return request.status


async def complete_push(
    connection: AsyncConnection, runtime: MfaRuntime, *, session: Session, challenge_id: uuid.UUID
) -> Amr:
    """The browser collects an approval: used once, by the session that asked for it."""
    request = await queries.request_of_session(
        connection,
        request_id=challenge_id,
        session_hash=session.id_hash,
        kinds=("push",),
        lock=True,
    )
    if request is None:
        raise NotFoundError("no such request in this sign-in", field="challenge_id")
    status, now = request.status, runtime.now()
    if status == "pending":
        if request.expires_at <= now:
            raise PushRequestExpiredError(
                "the request expired: send a new one", field="challenge_id"
            )
        raise ChallengePendingError("not approved on the device yet", field="challenge_id")
    if status == "used":
        raise ApprovalUsedError("this approval was already used", field="challenge_id")
    if status == "denied":
        raise AttemptEndedError("the request was denied on the device", field="challenge_id")
    if status == "rejected":
        raise PushRejectedError(
            "the number typed in the app did not match: send a new request", field="challenge_id"
        )
    if request.expires_at + APPROVAL_GRACE <= now:
        raise ApprovalExpiredError("the approval expired: send a new request", field="challenge_id")
    await queries.use_request(connection, request_id=challenge_id)
    if request.factor_id is not None:  # the approving device (set with the approval)
        await factor_rows.mark_used(connection, factor_id=request.factor_id, now=now)
    return ("swk", "pin")


class PushSignIn(SignInMethodDefaults):
    method = Method.MOBILE_APP_PUSH
    answer_form = AnswerForm.APP_APPROVAL
    code_length = 0

    async def challenge(
        self, database: Database, runtime: MfaRuntime, *, session: Session, start: ChallengeStart
    ) -> Challenge | None:
        push = await create_push(
            database,
            runtime,
            session=session,
            ip_address=start.ip_address,
            user_agent=start.user_agent,
        )
        return Challenge(
            id=push.id, method=self.method, expires_at=push.expires_at, number=push.number
        )

    async def verify(
        self, connection: AsyncConnection, runtime: MfaRuntime, *, session: Session, answer: Answer
    ) -> Amr:
        return await complete_push(
            connection, runtime, session=session, challenge_id=answer.needed("challenge_id")
        )


SIGN_IN = PushSignIn()
