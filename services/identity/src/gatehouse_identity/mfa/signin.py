"""Answering a second factor in a session: start the method's challenge, verify the answer,
then raise the session's level.

A raised level gets a new session id (sessions.service.rotate) in the same transaction that
spends the code, approval or assertion, so one answer raises one session, once. Wrong answers
are counted (failures.py) after that transaction has rolled back. Which method does what is
asked of the method itself (registry.py): nothing here names one.
"""

from __future__ import annotations

from gatehouse_common.db import Database
from gatehouse_identity.audit import service as audit
from gatehouse_identity.audit.service import AuditKind
from gatehouse_identity.mfa import failures, policy
from gatehouse_identity.mfa.errors import AttemptEndedError, MethodUnavailableError, WrongCodeError
from gatehouse_identity.mfa.levels import Method, merged_amr, raised_level
from gatehouse_identity.mfa.methods import Answer, Challenge, ChallengeStart
from gatehouse_identity.mfa.registry import sign_in_method
from gatehouse_identity.mfa.runtime import MfaRuntime
from gatehouse_identity.sessions import service as sessions
from gatehouse_identity.sessions.models import NewSession, Session

__all__ = ["Answer", "ChallengeStart", "answer_second_factor", "start_challenge"]


async def start_challenge(
    database: Database,
    runtime: MfaRuntime,
    *,
    session: Session,
    method: Method,
    start: ChallengeStart,
) -> Challenge:
    """Start what the user will answer with `method` (a push request, a QR code, a WebAuthn
    ceremony, an SMS code); MethodUnavailableError for methods the user cannot use or that
    need no challenge."""
    await policy.check_usable(database, runtime, user_id=session.user_id, method=method)
    challenge = await sign_in_method(method).challenge(
        database, runtime, session=session, start=start
    )
    if challenge is None:
        raise MethodUnavailableError(f"{method.value} needs no challenge", field="method")
    return challenge


async def show_challenge(
    database: Database,
    runtime: MfaRuntime,
    *,
    session: Session,
    method: Method,
    start: ChallengeStart,
) -> Challenge | None:
    """What the sign-in page for `method` shows: its challenge, or None when the user answers
    with something they already have (an authenticator app's code, a recovery code)."""
    return await sign_in_method(method).challenge(database, runtime, session=session, start=start)


async def answer_second_factor(
    database: Database, runtime: MfaRuntime, *, session: Session, answer: Answer
) -> NewSession:
    """Verify `answer` and return the stepped-up session (new token)."""
    await policy.check_usable(database, runtime, user_id=session.user_id, method=answer.method)
    method = sign_in_method(answer.method)
    try:
        async with database.transaction() as connection:
            amr = await method.verify(connection, runtime, session=session, answer=answer)
            new = await sessions.rotate(
                connection,
                session=session,
                level=raised_level(session, answer.method),
                amr=merged_amr(session.amr, amr),
                now=runtime.now(),
            )
            await failures.clear(connection, session=session)
            await audit.record(
                connection,
                kind=AuditKind.SECOND_FACTOR_USED,
                user_id=session.user_id,
                detail={"method": answer.method.value, "level": new.session.level},
            )
            return new
    except AttemptEndedError:
        # The request was denied on the device ("this was not me"): end this attempt.
        await audit.record(
            database,
            kind=AuditKind.SECOND_FACTOR_FAILED,
            user_id=session.user_id,
            detail={"method": answer.method.value, "reason": "denied", "attempt_ended": True},
        )
        await failures.end_attempt(database, runtime, session=session, method=answer.method)
        raise
    except WrongCodeError as error:
        await method.refused(database, runtime, session=session)
        await failures.record_failure(
            database, runtime, session=session, method=answer.method, error=error
        )
        raise  # record_failure raises; this satisfies the type checker
