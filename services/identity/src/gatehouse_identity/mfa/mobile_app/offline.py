"""The app's QR code and offline one-time password: the browser shows a QR challenge, the app
scans it and shows OCRA(device key, challenge, PIN) — it works with the phone offline — and the
user types that password in the browser. A wrong one most likely means a wrong PIN in the app,
so it counts against the devices too."""

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
    AppPasswordMalformedError,
    AppPasswordWrongError,
    NoMobileDeviceError,
    NotFoundError,
    QrCodeExpiredError,
    QrCodeUsedError,
)
from gatehouse_identity.mfa.levels import Method
from gatehouse_identity.mfa.methods import Amr, Answer, AnswerForm, Challenge, ChallengeStart
from gatehouse_identity.mfa.mobile_app import ocra, queries
from gatehouse_identity.mfa.mobile_app.devices import active_devices, right_pin, wrong_pin
from gatehouse_identity.mfa.mobile_app.push import limit_requests
from gatehouse_identity.mfa.mobile_app.wire import otp_payload
from gatehouse_identity.mfa.runtime import MfaRuntime
from gatehouse_identity.sessions.models import Session

OTP_DIGITS = 8
CHALLENGE_DIGITS = 10


@dataclass(frozen=True)
class QrChallenge:
    id: uuid.UUID
    payload: str
    expires_at: datetime


async def create_qr(database: Database, runtime: MfaRuntime, *, session: Session) -> QrChallenge:
    async with database.connection() as connection:
        if not await active_devices(connection, user_id=session.user_id):
            raise NoMobileDeviceError(
                "no mobile device is registered (or it is locked)", field="method"
            )
        question = "".join(str(secrets.randbelow(10)) for _ in range(CHALLENGE_DIGITS))
        await limit_requests(connection, runtime, session=session, kind="qr")
        expires_at = runtime.now() + timedelta(seconds=runtime.settings.mobile_request_ttl_s)
        challenge_id = await challenges.store(
            connection,
            session=session,
            kind="qr",
            challenge=question.encode(),
            created_at=runtime.now(),
            expires_at=expires_at,
        )
    payload = otp_payload(
        server=runtime.settings.public_url, user_id=session.user_id, challenge=question
    )
    return QrChallenge(id=challenge_id, payload=payload, expires_at=expires_at)


async def pending_qr(
    database: Database, runtime: MfaRuntime, *, session: Session, challenge_id: uuid.UUID
) -> QrChallenge | None:
    """A QR challenge of this sign-in that can still be answered (to show it again after a
    mistyped password, rather than making the user scan a new one)."""
    async with database.connection() as connection:
        request = await queries.pending_qr(
            connection, request_id=challenge_id, session_hash=session.id_hash, now=runtime.now()
        )
    if request is None:
        return None
    payload = otp_payload(
        server=runtime.settings.public_url,
        user_id=session.user_id,
        challenge=request.challenge.decode(),
    )
    return QrChallenge(id=challenge_id, payload=payload, expires_at=request.expires_at)


def check_otp(code: str) -> str:
    compact = "".join(code.split()).replace("-", "")
    if len(compact) != OTP_DIGITS or not compact.isascii() or not compact.isdigit():
        raise AppPasswordMalformedError(
            f"the one-time password from the app has {OTP_DIGITS} digits",
            field="code",
            digits=OTP_DIGITS,
        )
    return compact


async def verify_qr(
    connection: AsyncConnection,
    runtime: MfaRuntime,
    *,
    session: Session,
    challenge_id: uuid.UUID,
    code: str,
) -> Amr:
    code = check_otp(code)
    request = await queries.request_of_session(
        connection,
        request_id=challenge_id,
        session_hash=session.id_hash,
        kinds=("qr",),
        lock=True,
    )
    if request is None:
        raise NotFoundError("no such QR code in this sign-in", field="challenge_id")
    if request.status != "pending":
        raise QrCodeUsedError("this QR code was already used: show a new one", field="challenge_id")
    if request.expires_at <= runtime.now():
        raise QrCodeExpiredError("this QR code has expired: show a new one", field="challenge_id")
    question = request.challenge.decode()
    for device in await active_devices(connection, user_id=session.user_id):
        expected = ocra.ocra(
            ocra.APP_SUITE,
            runtime.box.decrypt(device.ocra_key_encrypted),
            question=question,
            pin_digest_value=runtime.box.decrypt(device.pin_verifier_encrypted),
        )
        if hmac.compare_digest(expected, code):
            await queries.use_request(
                connection, request_id=challenge_id, answered_at=runtime.now(), device_id=device.id
            )
            await right_pin(connection, runtime, device=device)
            await factor_rows.mark_used(connection, factor_id=device.id, now=runtime.now())
            return ("otp", "pin")
    raise AppPasswordWrongError(
        "the one-time password is wrong (check the PIN typed in the app)", field="code"
    )


async def wrong_qr_password(database: Database, runtime: MfaRuntime, *, user_id: uuid.UUID) -> None:
    """A wrong app password most likely means a wrong PIN in the app: count it on each of the
    user's devices, so guessing PINs through QR codes also ends in a lock."""
    async with database.connection() as connection:
        devices = await active_devices(connection, user_id=user_id)
    for device in devices:
        await wrong_pin(database, runtime, device_id=device.id)


class QrSignIn:
    method = Method.MOBILE_APP_QR
    answer_form = AnswerForm.CODE
    code_length = OTP_DIGITS

    async def challenge(
        self, database: Database, runtime: MfaRuntime, *, session: Session, start: ChallengeStart
    ) -> Challenge | None:
        shown = (
            await pending_qr(
                database, runtime, session=session, challenge_id=start.shown_challenge_id
            )
            if start.shown_challenge_id
            else None
        )
        qr = shown or await create_qr(database, runtime, session=session)
        return Challenge(
            id=qr.id, method=self.method, expires_at=qr.expires_at, qr_payload=qr.payload
        )

    async def verify(
        self, connection: AsyncConnection, runtime: MfaRuntime, *, session: Session, answer: Answer
    ) -> Amr:
        return await verify_qr(
            connection,
            runtime,
            session=session,
            challenge_id=answer.needed("challenge_id"),
            code=answer.needed("code"),
        )

    async def refused(self, database: Database, runtime: MfaRuntime, *, session: Session) -> None:
        await wrong_qr_password(database, runtime, user_id=session.user_id)


SIGN_IN = QrSignIn()
