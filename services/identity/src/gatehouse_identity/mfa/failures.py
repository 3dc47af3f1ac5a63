"""Wrong second-factor answers, counted apart from wrong passwords.

Per sign-in attempt (the password session) and method: the fifth wrong answer in a row ends
the attempt (the session is deleted; the user starts again with the password). Each ended
attempt is a "burst"; when bursts repeat within a window the user is e-mailed
(identity.second_factor.failures_repeated): someone else may know the password.
"""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse.events.v1 import identity_events_pb2 as events
from gatehouse_common.db import Database
from gatehouse_identity.audit import service as audit
from gatehouse_identity.audit.service import AuditKind
from gatehouse_identity.events import emit
from gatehouse_identity.mfa import queries
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
    database: Database,
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
    async with database.connection() as connection:
        failures = await queries.count_failure(
            connection, session_hash=session.id_hash, method=method.value
        )
    await audit.record(
        database,
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
    await end_attempt(database, runtime, session=session, method=method)
    raise AttemptEndedError(
        f"{limit} wrong answers in a row: this sign-in attempt has ended. Sign in again.",
        field=error.field,
    )


async def end_attempt(
    database: Database, runtime: MfaRuntime, *, session: Session, method: Method
) -> None:
    settings = runtime.settings
    async with database.transaction() as connection:
        ended = await end_session_by_hash(connection, id_hash=session.id_hash)
        await clear(connection, session=session)
        if not ended:  # a parallel wrong answer ended it first: one burst, one e-mail
            return
        since = runtime.now() - timedelta(seconds=settings.second_factor_burst_window_s)
        await queries.delete_bursts_before(connection, user_id=session.user_id, before=since)
        bursts = await queries.add_burst(
            connection,
            user_id=session.user_id,
            method=method.value,
            now=runtime.now(),
            since=since,
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


async def clear(connection: AsyncConnection, *, session: Session) -> None:
    await queries.delete_failures(connection, session_hash=session.id_hash)
