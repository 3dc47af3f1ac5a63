"""Answering a second factor in a session: verify, then raise the session's level.

A raised level gets a new session id (OWASP: rotate the identifier whenever privileges change);
the old row is deleted in the same transaction that spends the code, so a code, an approval or
an assertion raises exactly one session, once. Wrong answers are counted (failures.py) after
that transaction has rolled back.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

from gatehouse_common.db import Connection
from gatehouse_identity.accounts.errors import NotSignedInError
from gatehouse_identity.accounts.sessions import (
    SESSION_TOKEN_BYTES,
    NewSession,
    Session,
    session_hash,
)
from gatehouse_identity.audit import service as audit
from gatehouse_identity.audit.service import AuditKind
from gatehouse_identity.mfa import (
    factors,
    failures,
    mobile_app,
    recovery_codes,
    sms,
    totp,
)
from gatehouse_identity.mfa import webauthn as security_keys
from gatehouse_identity.mfa.errors import (
    AttemptEndedError,
    InvalidFactorInputError,
    MethodUnavailableError,
    WrongCodeError,
)
from gatehouse_identity.mfa.levels import METHOD_LEVEL, Method, merged_amr, stronger
from gatehouse_identity.mfa.runtime import MfaRuntime


@dataclass(frozen=True)
class Answer:
    """What the user sent for `method`: a code, a challenge id, a WebAuthn credential."""

    method: Method
    code: str | None = None
    challenge_id: uuid.UUID | None = None
    credential: dict[str, Any] | None = None


async def rotate(
    connection: Connection,
    runtime: MfaRuntime,
    *,
    session: Session,
    method: Method,
    amr: tuple[str, ...],
) -> NewSession:
    """Replace the session by one with a new id, the merged amr and the raised level. Its
    absolute expiry stays: stepping up does not lengthen a session's life."""
    old = await connection.fetchrow(
        """DELETE FROM sessions WHERE id_hash = $1
        RETURNING user_id, amr, level, created_at, expires_at, ip_address, user_agent""",
        session.id_hash,
    )
    if old is None:  # signed out, expired, or a parallel answer already raised it
        raise NotSignedInError("this sign-in attempt is over: sign in again")
    token = secrets.token_urlsafe(SESSION_TOKEN_BYTES)
    level = stronger(old["level"], METHOD_LEVEL[method])
    new_amr = merged_amr(old["amr"], amr)
    now = runtime.now()
    await connection.execute(
        """INSERT INTO sessions (id_hash, user_id, amr, level, created_at, last_seen_at,
                                 expires_at, ip_address, user_agent, second_factor_at)
           VALUES ($1, $2, $3, $4, $5, now(), $6, $7, $8, $9)""",
        session_hash(token),
        old["user_id"],
        new_amr,
        level,
        old["created_at"],
        old["expires_at"],
        old["ip_address"],
        old["user_agent"],
        now,
    )
    await failures.clear(connection, session=session)
    await audit.record(
        connection,
        kind=AuditKind.SECOND_FACTOR_USED,
        user_id=old["user_id"],
        detail={"method": method.value, "level": level},
    )
    return NewSession(
        token=token,
        session=Session(
            id_hash=session_hash(token),
            user_id=old["user_id"],
            amr=new_amr,
            level=level,
            created_at=old["created_at"],
            expires_at=old["expires_at"],
            second_factor_at=now,
        ),
    )


def _need(value: Any, field: str) -> Any:
    if value is None:
        raise InvalidFactorInputError(f"{field} is required for this method", field=field)
    return value


async def _verify(
    connection: Connection, runtime: MfaRuntime, *, session: Session, answer: Answer
) -> tuple[str, ...]:
    method = answer.method
    if method is Method.TOTP:
        return await totp.verify(
            connection, runtime, user_id=session.user_id, code=_need(answer.code, "code")
        )
    if method is Method.MOBILE_APP_PUSH:
        return await mobile_app.complete_push(
            connection,
            runtime,
            session=session,
            challenge_id=_need(answer.challenge_id, "challenge_id"),
        )
    if method is Method.MOBILE_APP_QR:
        return await mobile_app.verify_qr(
            connection,
            runtime,
            session=session,
            challenge_id=_need(answer.challenge_id, "challenge_id"),
            code=_need(answer.code, "code"),
        )
    if method is Method.WEBAUTHN:
        return await security_keys.verify_assertion(
            connection,
            runtime,
            session=session,
            challenge_id=_need(answer.challenge_id, "challenge_id"),
            credential=_need(answer.credential, "credential"),
        )
    if method is Method.SMS:
        return await sms.verify_sign_in(
            connection, runtime, session=session, code=_need(answer.code, "code")
        )
    await recovery_codes.use(connection, user_id=session.user_id, code=_need(answer.code, "code"))
    return ("otp",)


async def answer_second_factor(
    pool: asyncpg.Pool, runtime: MfaRuntime, *, session: Session, answer: Answer
) -> NewSession:
    """Verify `answer` and return the stepped-up session (new token)."""
    if answer.method not in await factors.usable_methods(pool, runtime, user_id=session.user_id):
        if answer.method is Method.SMS and not runtime.sms_allowed:
            raise sms.sunset_error(runtime, field="method")
        raise MethodUnavailableError(
            f"{answer.method.value} is not available for this account", field="method"
        )
    try:
        async with pool.acquire() as connection, connection.transaction():
            amr = await _verify(connection, runtime, session=session, answer=answer)
            return await rotate(connection, runtime, session=session, method=answer.method, amr=amr)
    except AttemptEndedError:
        # The request was denied on the device ("this was not me"): end this attempt.
        await audit.record(
            pool,
            kind=AuditKind.SECOND_FACTOR_FAILED,
            user_id=session.user_id,
            detail={"method": answer.method.value, "reason": "denied", "attempt_ended": True},
        )
        await failures.end_attempt(pool, runtime, session=session, method=answer.method)
        raise
    except WrongCodeError as error:
        if answer.method is Method.MOBILE_APP_QR:
            await mobile_app.wrong_qr_password(pool, runtime, user_id=session.user_id)
        await failures.record_failure(
            pool, runtime, session=session, method=answer.method, error=error
        )
        raise  # record_failure raises; this satisfies the type checker
