"""What happens to users without anyone acting: the inactivity job (a warning before, then
inactive after INACTIVITY_MONTHS without signing in) and the suspension of every approved role
when identity reset the user's devices (a consumed event).

Both run in transactions of their own and write their events and audit entries with the change.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from gatehouse.events.v1 import registry_events_pb2 as events
from gatehouse_common.db import Database
from gatehouse_common.timestamps import timestamp
from gatehouse_registry.audit import service as audit
from gatehouse_registry.events import emit
from gatehouse_registry.users import queries
from gatehouse_registry.users.models import InactivityOutcome

BATCH_SIZE = 500
DEVICES_RESET = "identity.user.devices_reset"


async def run_inactivity_check(
    database: Database,
    *,
    inactive_after_months: int,
    warning_days: int,
    now: datetime | None = None,
) -> InactivityOutcome:
    """Warn users who become inactive within `warning_days`, inactivate those who have not been
    seen for `inactive_after_months`. Batches are claimed with SKIP LOCKED, so several registry
    replicas may run the job at once without warning anyone twice."""
    moment = now or datetime.now(UTC)
    warned = inactivated = 0
    while True:
        count = await _warn_batch(
            database, now=moment, months=inactive_after_months, warning_days=warning_days
        )
        warned += count
        if count < BATCH_SIZE:
            break
    while True:
        count = await _inactivate_batch(database, now=moment, months=inactive_after_months)
        inactivated += count
        if count < BATCH_SIZE:
            break
    return InactivityOutcome(warned=warned, inactivated=inactivated)


async def _warn_batch(database: Database, *, now: datetime, months: int, warning_days: int) -> int:
    async with database.transaction() as connection:
        due = await queries.warn_batch(
            connection, now=now, months=months, warning_days=warning_days, batch=BATCH_SIZE
        )
        for user in due:
            await emit(
                connection,
                "registry.user.inactivity_warned",
                subject=user.user_id,
                message=events.UserInactivityWarned(
                    user_id=str(user.user_id), inactive_time=timestamp(user.moment)
                ),
            )
    return len(due)


async def _inactivate_batch(database: Database, *, now: datetime, months: int) -> int:
    async with database.transaction() as connection:
        due = await queries.inactivate_batch(connection, now=now, months=months, batch=BATCH_SIZE)
        for user in due:
            await emit(
                connection,
                "registry.user.inactivated",
                subject=user.user_id,
                message=events.UserInactivated(
                    user_id=str(user.user_id), last_sign_in_time=timestamp(user.moment)
                ),
            )
            await audit.record(
                connection,
                actor=None,
                action="user.inactivated",
                subject_type="user",
                subject_id=user.user_id,
                scope=await queries.organizations_of_approved_roles(connection, user.user_id),
                target_user_id=user.user_id,
                reason=f"no sign-in for {months} months",
            )
    return len(due)


DEVICES_RESET_REASON = "the user's sign-in devices were reset in identity"
# identity.user.devices_reset with sign_in_reported: "This wasn't me" on a new-device notice.
SIGN_IN_REPORTED_REASON = "the user reported a sign-in to identity as not theirs"


async def suspend_after_devices_reset(
    database: Database,
    *,
    user_id: uuid.UUID,
    event_id: uuid.UUID,
    sign_in_reported: bool = False,
) -> list[uuid.UUID] | None:
    """Identity reset the user's second factors, or the user reported a sign-in as not theirs:
    suspend every approved role of theirs until a decider unsuspends it (the audit trail says
    which, for the decider reviewing it). Returns the suspended role ids, or None if the event
    was handled before (a redelivery)."""
    async with database.transaction() as connection:
        if not await queries.first_handling(connection, event_id, event_type=DEVICES_RESET):
            return None
        suspended = await queries.suspend_approved_roles(connection, user_id)
        if not suspended:
            return []
        role_ids = [role.role_id for role in suspended]
        await emit(
            connection,
            "registry.user.suspended",
            subject=user_id,
            message=events.UserSuspended(
                user_id=str(user_id),
                role_request_ids=[str(role_id) for role_id in role_ids],
                cause_event_id=str(event_id),
            ),
        )
        for role in suspended:
            await audit.record(
                connection,
                actor=None,
                action="role.suspended",
                subject_type="role_request",
                subject_id=role.role_id,
                organization_id=role.organization_id,
                target_user_id=user_id,
                reason=SIGN_IN_REPORTED_REASON if sign_in_reported else DEVICES_RESET_REASON,
                details={"cause_event_id": str(event_id)},
            )
    return role_ids
