"""Wrong second-factor answers, counted apart from wrong passwords.

Per sign-in attempt (the password session) and method: the fifth wrong answer in a row ends
the attempt (the session is deleted; the user starts again with the password). Each ended
attempt is a "burst"; when bursts repeat within a window the user is e-mailed
(identity.second_factor.failures_repeated): someone else may know the password.
"""

from __future__ import annotations

from datetime import timedelta

import asyncpg
from prometheus_client import Counter

from gatehouse.events.v1 import identity_events_pb2 as events
from gatehouse_common.db import Connection
from gatehouse_identity.audit import service as audit
from gatehouse_identity.audit.service import AuditKind
from gatehouse_identity.events import emit
from gatehouse_identity.mfa.errors import AttemptEndedError, WrongCodeError
from gatehouse_identity.mfa.levels import Method
from gatehouse_identity.mfa.runtime import MfaRuntime
from gatehouse_identity.sessions.models import Session
from gatehouse_identity.sessions.service import end_session_by_hash

WIRE_SIGN_IN_METHOD: dict[Method, events.SecondFactorMethod.ValueType] = {
    Method.TOTP: events.SECOND_FACTOR_METHOD_TOTP,
    Method.MOBILE_APP_PUSH: events.SECOND_FACTOR_METHOD_MOBILE_APP,
    Method.MOBILE_APP_QR: events.SECOND_FACTOR_METHOD_MOBILE_APP,
    Method.WEBAUTHN: events.SECOND_FACTOR_METHOD_WEBAUTHN,
    Method.SMS: events.SECOND_FACTOR_METHOD_SMS,
    Method.RECOVERY_CODE: events.SECOND_FACTOR_METHOD_RECOVERY_CODE,
}

SECOND_FACTOR_FAILURES = Counter(
    "gatehouse_identity_second_factor_failures_total",
    "Wrong second-factor answers (codes, signatures, PINs, assertions)",
    ["method"],
)


async def record_failure(
    pool: asyncpg.Pool,
    runtime: MfaRuntime,
    *,
    session: Session,
    method: Method,
    error: WrongCodeError,
) -> None:
    """Count a wrong answer and raise what the caller should answer: the same WrongCodeError
    with the tries left, or AttemptEndedError at the limit."""
    SECOND_FACTOR_FAILURES.labels(method.value).inc()
    limit = runtime.settings.max_second_factor_failures
    failures = await pool.fetchval(
        """INSERT INTO second_factor_failures (session_hash, method, failures)
           VALUES ($1, $2, 1)
           ON CONFLICT (session_hash, method)
           DO UPDATE SET failures = second_factor_failures.failures + 1, updated_at = now()
        RETURNING failures""",
        session.id_hash,
        method.value,
    )
    await audit.record(
        pool,
        kind=AuditKind.SECOND_FACTOR_FAILED,
        user_id=session.user_id,
        detail={
            "method": method.value,
            "reason": "wrong_answer",
            "attempt_ended": failures >= limit,
        },
    )
    if failures < limit:
        error.params["attempts_left"] = limit - failures
        raise error
    await end_attempt(pool, runtime, session=session, method=method)
    raise AttemptEndedError(
        f"{limit} wrong answers in a row: this sign-in attempt has ended. Sign in again.",
        field=error.field,
    )


async def end_attempt(
    pool: asyncpg.Pool, runtime: MfaRuntime, *, session: Session, method: Method
) -> None:
    settings = runtime.settings
    async with pool.acquire() as connection, connection.transaction():
        ended = await end_session_by_hash(connection, id_hash=session.id_hash)
        await clear(connection, session=session)
        if not ended:  # a parallel wrong answer ended it first: one burst, one e-mail
            return
        since = runtime.now() - timedelta(seconds=settings.second_factor_burst_window_s)
        await connection.execute(
            "DELETE FROM second_factor_failure_bursts WHERE user_id = $1 AND created_at <= $2",
            session.user_id,
            since,
        )
        bursts = await connection.fetchval(
            """WITH added AS (
                   INSERT INTO second_factor_failure_bursts (user_id, method, created_at)
                   VALUES ($1, $2, $3) RETURNING 1)
               SELECT count(*) + 1 FROM second_factor_failure_bursts
                WHERE user_id = $1 AND created_at > $4""",
            session.user_id,
            method.value,
            runtime.now(),
            since,
        )
        # Tell the user at the threshold and at every further multiple of it, not at every
        # burst: an attacker must not be able to flood the mailbox.
        threshold = settings.second_factor_bursts_before_email
        if bursts >= threshold and bursts % threshold == 0:
            await emit(
                connection,
                "identity.second_factor.failures_repeated",
                user_id=session.user_id,
                message=events.SecondFactorFailuresRepeated(
                    user_id=str(session.user_id),
                    method=WIRE_SIGN_IN_METHOD[method],
                    bursts=bursts,
                ),
            )


async def clear(connection: Connection, *, session: Session) -> None:
    await connection.execute(
        "DELETE FROM second_factor_failures WHERE session_hash = $1", session.id_hash
    )
