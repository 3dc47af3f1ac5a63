"""Adding a second factor, whatever the method: start it, confirm it, and at the user's first
enrolment issue the recovery codes (shown once).

The first codes go to the session that confirmed the enrolment — for the mobile app, which the
phone finishes, to the session that started it, never to another browser that happens to ask.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TypeVar

from gatehouse_common.db import Database
from gatehouse_identity.accounts import service as accounts
from gatehouse_identity.mfa import queries, recovery_codes
from gatehouse_identity.mfa.errors import SecondFactorNeededError
from gatehouse_identity.mfa.methods import Enrolment, EnrolmentProof, EnrolmentRequest
from gatehouse_identity.mfa.models import Factor
from gatehouse_identity.mfa.runtime import MfaRuntime
from gatehouse_identity.sessions.models import Session

StartedT = TypeVar("StartedT")


@dataclass(frozen=True)
class Enrolled:
    factor: Factor
    # Only at the user's first enrolment, and only to the session that made it: shown once.
    recovery_codes: list[str] | None


async def start(
    database: Database,
    runtime: MfaRuntime,
    *,
    session: Session,
    method: Enrolment[StartedT],
    request: EnrolmentRequest,
) -> StartedT:
    """Start adding a factor with `method` (e.g. totp.ENROLMENT)."""
    user = await accounts.get_user(database, user_id=session.user_id)
    return await method.enrol(database, runtime, session=session, user=user, request=request)


async def confirm(
    database: Database,
    runtime: MfaRuntime,
    *,
    session: Session,
    method: Enrolment[object],
    proof: EnrolmentProof,
) -> Enrolled:
    """Confirm the enrolment, then issue the first recovery codes if this was the first one."""
    factor = await method.confirm(database, runtime, session=session, proof=proof)
    codes = None
    if factor.enrolled_by is None or factor.enrolled_by == session.id_hash:
        async with database.transaction() as connection:
            codes = await recovery_codes.issue_first_set(connection, user_id=session.user_id)
    return Enrolled(factor=factor, recovery_codes=codes)


async def new_recovery_codes(database: Database, *, user_id: uuid.UUID) -> list[str]:
    """A new set of recovery codes (the old set stops working): only beside a second factor."""
    async with database.connection() as connection:
        enrolled = await queries.has_enrolled_factor(connection, user_id=user_id)
    if not enrolled:
        raise SecondFactorNeededError("add a second factor first", field="method")
    async with database.transaction() as connection:
        return await recovery_codes.generate(connection, user_id=user_id)
