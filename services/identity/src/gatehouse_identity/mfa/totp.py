"""Authenticator apps: TOTP (RFC 6238) — 6 digits, 30-second steps, one step either way. A
second-factor method (methods.py): `ENROLMENT` and `SIGN_IN` at the end of this module.

The secret (160 random bits, as RFC 4226 recommends) is encrypted at rest. A time step, once
accepted, is never accepted again for that user: the highest accepted step is kept per user and
raised with a conditional upsert, so of many parallel submissions of one code exactly one wins.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode

from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.db import Database
from gatehouse_identity.accounts import service as accounts
from gatehouse_identity.accounts.models import User
from gatehouse_identity.mfa import factors, queries
from gatehouse_identity.mfa import totp_queries as totp_rows
from gatehouse_identity.mfa.crypto import SecretBoxError
from gatehouse_identity.mfa.errors import (
    EnrolmentExpiredError,
    TotpCodeMalformedError,
    TotpCodeReusedError,
    TotpCodeWrongError,
)
from gatehouse_identity.mfa.levels import FactorKind, Method
from gatehouse_identity.mfa.methods import (
    Amr,
    Answer,
    AnswerForm,
    EnrolmentProof,
    EnrolmentRequest,
    SignInMethodDefaults,
)
from gatehouse_identity.mfa.models import Factor
from gatehouse_identity.mfa.runtime import MfaRuntime
from gatehouse_identity.sessions.models import Session

STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1  # steps accepted before and after the current one (clock drift, typing time)
SECRET_BYTES = 20
ENROLMENT_TTL = timedelta(minutes=15)
DIGESTS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}


def hotp(key: bytes, counter: int, *, digits: int = DIGITS, digest: str = "sha1") -> str:
    """RFC 4226 HOTP with dynamic truncation."""
    mac = hmac.new(key, struct.pack(">Q", counter), DIGESTS[digest]).digest()
    offset = mac[-1] & 0x0F
    binary = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(binary % 10**digits).zfill(digits)


def time_step(unix_time: float, *, step: int = STEP_SECONDS, t0: int = 0) -> int:
    return int((unix_time - t0) // step)


def totp(
    key: bytes,
    unix_time: float,
    *,
    digits: int = DIGITS,
    digest: str = "sha1",
    step: int = STEP_SECONDS,
) -> str:
    """RFC 6238: HOTP over the number of `step`-second periods since the epoch."""
    return hotp(key, time_step(unix_time, step=step), digits=digits, digest=digest)


def matching_step(key: bytes, code: str, unix_time: float) -> int | None:
    """The time step within the window whose code is `code`, or None."""
    current = time_step(unix_time)
    found = None
    for candidate in range(current - WINDOW, current + WINDOW + 1):
        # Every candidate is compared (constant work), in constant time.
        if hmac.compare_digest(hotp(key, candidate), code):
            found = candidate
    return found


def check_code(code: str) -> str:
    compact = "".join(code.split())
    if len(compact) != DIGITS or not compact.isascii() or not compact.isdigit():
        raise TotpCodeMalformedError(
            f"the code from the authenticator app has {DIGITS} digits", field="code", digits=DIGITS
        )
    return compact


def provisioning_uri(secret: bytes, *, account: str, issuer: str) -> str:
    """The otpauth:// URI every RFC 6238 app understands (Key Uri Format)."""
    label = quote(f"{issuer}:{account}", safe="@:")
    query = urlencode(
        {
            "secret": base32(secret),
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP_SECONDS,
        }
    )
    return f"otpauth://totp/{label}?{query}"


def base32(secret: bytes) -> str:
    return base64.b32encode(secret).decode().rstrip("=")


@dataclass(frozen=True)
class TotpEnrolment:
    factor_id: uuid.UUID
    secret_base32: str
    uri: str
    expires_at: datetime


async def start_enrolment(
    database: Database, runtime: MfaRuntime, *, user_id: uuid.UUID, account: str, name: str
) -> TotpEnrolment:
    name = factors.check_name(name)
    secret = secrets.token_bytes(SECRET_BYTES)
    factor_id = uuid.uuid4()
    expires_at = runtime.now() + ENROLMENT_TTL
    async with database.transaction() as connection:
        await queries.prune_pending(connection, user_id=user_id, now=runtime.now())
        await factors.add_pending(
            connection,
            factor_id=factor_id,
            user_id=user_id,
            kind=FactorKind.TOTP,
            name=name,
            pending_until=expires_at,
        )
        await totp_rows.add_authenticator(
            connection, factor_id=factor_id, secret_encrypted=runtime.box.encrypt(secret)
        )
    return TotpEnrolment(
        factor_id=factor_id,
        secret_base32=base32(secret),
        uri=provisioning_uri(secret, account=account, issuer=runtime.settings.webauthn_rp_name),
        expires_at=expires_at,
    )


async def pending_enrolment(
    database: Database,
    runtime: MfaRuntime,
    *,
    user_id: uuid.UUID,
    factor_id: uuid.UUID,
    account: str,
) -> TotpEnrolment:
    """The QR code and secret of an enrolment not yet confirmed (to show the page again)."""
    async with database.connection() as connection:
        pending = await totp_rows.pending_secret(
            connection, user_id=user_id, factor_id=factor_id, now=runtime.now()
        )
    if pending is None:
        raise EnrolmentExpiredError("this enrolment has expired: start again", field="factor_id")
    secret = runtime.box.decrypt(pending.secret_encrypted)
    return TotpEnrolment(
        factor_id=factor_id,
        secret_base32=base32(secret),
        uri=provisioning_uri(secret, account=account, issuer=runtime.settings.webauthn_rp_name),
        expires_at=pending.pending_until,
    )


async def shown_enrolment(
    database: Database, runtime: MfaRuntime, *, session: Session, factor_id: uuid.UUID
) -> TotpEnrolment:
    """The enrolment being confirmed, to show its QR code again after a wrong code."""
    user = await accounts.get_user(database, user_id=session.user_id)
    return await pending_enrolment(
        database, runtime, user_id=session.user_id, factor_id=factor_id, account=user.email
    )


async def confirm_enrolment(
    database: Database,
    runtime: MfaRuntime,
    *,
    user_id: uuid.UUID,
    factor_id: uuid.UUID,
    code: str,
) -> Factor:
    """The first code from the app proves it holds the secret; the authenticator goes live."""
    code = check_code(code)
    async with database.transaction() as connection:
        return await _confirm(connection, runtime, user_id=user_id, factor_id=factor_id, code=code)


async def _confirm(
    connection: AsyncConnection,
    runtime: MfaRuntime,
    *,
    user_id: uuid.UUID,
    factor_id: uuid.UUID,
    code: str,
) -> Factor:
    pending = await totp_rows.pending_secret(
        connection, user_id=user_id, factor_id=factor_id, now=runtime.now(), lock=True
    )
    if pending is None:
        raise EnrolmentExpiredError("this enrolment has expired: start again", field="factor_id")
    step = matching_step(
        runtime.box.decrypt(pending.secret_encrypted), code, runtime.now().timestamp()
    )
    if step is None or not await totp_rows.consume_step(connection, user_id=user_id, step=step):
        raise TotpCodeWrongError("the code is wrong: type the code the app shows now", field="code")
    return await factors.activate(connection, factor_id=factor_id, now=runtime.now())


async def verify(
    connection: AsyncConnection, runtime: MfaRuntime, *, user_id: uuid.UUID, code: str
) -> tuple[str, ...]:
    """Check a sign-in code against each of the user's apps; amr on success."""
    code = check_code(code)
    authenticators = await totp_rows.active_secrets(
        connection, user_id=user_id, method=FactorKind.TOTP.value
    )
    now = runtime.now()
    for authenticator in authenticators:
        try:
            secret = runtime.box.decrypt(authenticator.secret_encrypted)
        except SecretBoxError:
            continue  # a key was removed too early; the other apps may still work
        step = matching_step(secret, code, now.timestamp())
        if step is None:
            continue
        if not await totp_rows.consume_step(connection, user_id=user_id, step=step):
            raise TotpCodeReusedError(
                "this code was already used: wait for the app to show a new one", field="code"
            )
        rotated = runtime.box.rotated(authenticator.secret_encrypted)
        await queries.mark_used(connection, factor_id=authenticator.factor_id, now=now)
        if rotated is not None:
            await totp_rows.replace_secret(
                connection, factor_id=authenticator.factor_id, secret_encrypted=rotated
            )
        return ("otp",)
    raise TotpCodeWrongError("the code is wrong", field="code")


class TotpEnrolling:
    kind = FactorKind.TOTP

    async def enrol(
        self,
        database: Database,
        runtime: MfaRuntime,
        *,
        session: Session,
        user: User,
        request: EnrolmentRequest,
    ) -> TotpEnrolment:
        return await start_enrolment(
            database,
            runtime,
            user_id=session.user_id,
            account=user.email,
            name=request.needed("name"),
        )

    async def confirm(
        self,
        database: Database,
        runtime: MfaRuntime,
        *,
        session: Session,
        proof: EnrolmentProof,
    ) -> Factor:
        return await confirm_enrolment(
            database,
            runtime,
            user_id=session.user_id,
            factor_id=proof.needed("factor_id"),
            code=proof.code or "",
        )


class TotpSignIn(SignInMethodDefaults):
    method = Method.TOTP
    answer_form = AnswerForm.CODE
    code_length = DIGITS

    async def verify(
        self, connection: AsyncConnection, runtime: MfaRuntime, *, session: Session, answer: Answer
    ) -> Amr:
        return await verify(
            connection, runtime, user_id=session.user_id, code=answer.needed("code")
        )


ENROLMENT = TotpEnrolling()
SIGN_IN = TotpSignIn()
