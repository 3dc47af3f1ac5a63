"""The registry's users: their copy of identity's data, their status, and the rules on it.

- `record_sign_in` is called by the sign-in code after each successful OIDC sign-in.
- Four months without signing in make a user inactive (a job, `run_inactivity_check`), after a
  warning two weeks before; an inactive user's roles do not work until one of the people who may
  decide their roles reactivates them, which they can ask for.
- When identity resets the user's devices, every approved role of theirs is suspended until a
  decider of that role unsuspends it (see roles.service.unsuspend_role).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
from google.protobuf.timestamp_pb2 import Timestamp

from gatehouse.events.v1 import registry_events_pb2 as events
from gatehouse_registry.access import (
    DECIDABLE_BY_ACTOR_SQL,
    Actor,
    UserStatus,
    decider_parameters,
    load_principal,
)
from gatehouse_registry.audit import service as audit
from gatehouse_registry.checks import clean_optional, optional_reason
from gatehouse_registry.errors import (
    NotFoundError,
    PermissionDeniedError,
    SelfDecisionError,
)
from gatehouse_registry.events import emit
from gatehouse_registry.roles.models import RoleRequest, RoleStatus
from gatehouse_registry.roles.service import list_my_requests
from gatehouse_registry.users.errors import AccountActiveError, UserActiveError

BATCH_SIZE = 500


@dataclass(frozen=True)
class Profile:
    user_id: uuid.UUID
    full_name: str
    email: str
    status: UserStatus
    last_sign_in_at: datetime
    inactivated_at: datetime | None
    reactivation_requested_at: datetime | None
    roles: tuple[RoleRequest, ...]

    @property
    def has_valid_role(self) -> bool:
        return self.status is UserStatus.ACTIVE and any(
            role.status is RoleStatus.APPROVED and not role.suspended for role in self.roles
        )

    @property
    def has_pending_request(self) -> bool:
        return any(role.status is RoleStatus.PENDING for role in self.roles)


@dataclass(frozen=True)
class InactiveUser:
    user_id: uuid.UUID
    full_name: str
    email: str
    inactivated_at: datetime
    reactivation_requested_at: datetime | None
    reactivation_message: str | None


async def record_sign_in(
    pool: asyncpg.Pool,
    *,
    user_id: uuid.UUID,
    full_name: str,
    email: str,
    signed_in_at: datetime,
) -> None:
    """Refresh the registry's copy of the user from identity at sign-in. Signing in does not
    reactivate an inactive user: that is their administrators' decision."""
    await pool.execute(
        """INSERT INTO users (id, full_name, email, last_sign_in_at, last_seen_at)
           VALUES ($1, $2, $3, $4, $4)
           ON CONFLICT (id) DO UPDATE
              SET full_name = EXCLUDED.full_name, email = EXCLUDED.email,
                  last_sign_in_at = greatest(users.last_sign_in_at, EXCLUDED.last_sign_in_at),
                  last_seen_at = greatest(users.last_seen_at, EXCLUDED.last_seen_at),
                  updated_at = now()""",
        user_id,
        full_name,
        email,
        signed_in_at,
    )


async def get_profile(pool: asyncpg.Pool, *, actor: Actor) -> Profile:
    """What "Request authorisation" and "Edit your profile" show: personal information, status
    (and why nothing works when inactive), and every request and role."""
    roles = await list_my_requests(pool, actor=actor)
    row = await pool.fetchrow(
        """SELECT id, full_name, email, status, last_sign_in_at, inactivated_at,
                  reactivation_requested_at
             FROM users WHERE id = $1""",
        actor.user_id,
    )
    assert row is not None  # noqa: S101  (list_my_requests created the row if it was missing)
    return Profile(
        user_id=row["id"],
        full_name=row["full_name"],
        email=row["email"],
        status=UserStatus(row["status"]),
        last_sign_in_at=row["last_sign_in_at"],
        inactivated_at=row["inactivated_at"],
        reactivation_requested_at=row["reactivation_requested_at"],
        roles=tuple(roles),
    )


def _scope_of_user_roles_sql() -> str:
    return """SELECT coalesce(array_agg(DISTINCT organization_id), '{}') FROM roles
               WHERE user_id = $1 AND status = 'approved'"""


async def request_reactivation(
    pool: asyncpg.Pool, *, actor: Actor, message: str | None = None
) -> None:
    """An inactive user asks their administrators or authorities to reactivate them."""
    message = clean_optional(message, field="message", max_length=2000)
    async with pool.acquire() as connection, connection.transaction():
        principal = await load_principal(connection, actor)
        if principal.status is not UserStatus.INACTIVE:
            raise AccountActiveError("your account is active")
        await connection.execute(
            """UPDATE users SET reactivation_requested_at = now(), reactivation_message = $2,
                                updated_at = now()
                WHERE id = $1""",
            actor.user_id,
            message,
        )
        await emit(
            connection,
            "registry.user.reactivation_requested",
            subject=actor.user_id,
            message=events.UserReactivationRequested(
                user_id=str(actor.user_id), message=message or ""
            ),
        )
        await audit.record(
            connection,
            actor=principal,
            action="user.reactivation_requested",
            subject_type="user",
            subject_id=actor.user_id,
            scope=await connection.fetchval(_scope_of_user_roles_sql(), actor.user_id),
            target_user_id=actor.user_id,
            reason=message,
        )


# Users whose approved roles the actor ($1-$3, see access.DECIDABLE_BY_ACTOR_SQL) may decide.
REACTIVATABLE_SQL = f"""EXISTS (
    SELECT 1 FROM roles r JOIN organizations o ON o.id = r.organization_id
     WHERE r.user_id = u.id AND r.status = 'approved' AND {DECIDABLE_BY_ACTOR_SQL})"""


async def list_inactive_users(
    pool: asyncpg.Pool, *, actor: Actor, only_requested: bool = True
) -> list[InactiveUser]:
    async with pool.acquire() as connection, connection.transaction():
        principal = await load_principal(connection, actor)
        principal.require_active()
        if not principal.admin_of and not principal.authority_ids:
            raise PermissionDeniedError("only administrators and authorities reactivate users")
        rows = await connection.fetch(
            f"""SELECT u.id, u.full_name, u.email, u.inactivated_at,
                       u.reactivation_requested_at, u.reactivation_message
                  FROM users u
                 WHERE u.status = 'inactive'
                   AND (NOT $4 OR u.reactivation_requested_at IS NOT NULL)
                   AND {REACTIVATABLE_SQL}
                 ORDER BY u.reactivation_requested_at NULLS LAST, u.id
                 LIMIT 500""",
            *decider_parameters(principal),
            only_requested,
        )
    return [
        InactiveUser(
            user_id=row["id"],
            full_name=row["full_name"],
            email=row["email"],
            inactivated_at=row["inactivated_at"],
            reactivation_requested_at=row["reactivation_requested_at"],
            reactivation_message=row["reactivation_message"],
        )
        for row in rows
    ]


async def reactivate_user(
    pool: asyncpg.Pool, *, actor: Actor, user_id: uuid.UUID, reason: str | None = None
) -> None:
    reason = optional_reason(reason)
    async with pool.acquire() as connection, connection.transaction():
        principal = await load_principal(connection, actor)
        principal.require_active()
        if user_id == principal.user_id:
            raise SelfDecisionError("nobody reactivates themselves")
        row = await connection.fetchrow(
            "SELECT status FROM users WHERE id = $1 FOR UPDATE", user_id
        )
        if row is None:
            raise NotFoundError(f"no user {user_id}")
        allowed = await connection.fetchval(
            f"SELECT {REACTIVATABLE_SQL} FROM users u WHERE u.id = $4",
            *decider_parameters(principal),
            user_id,
        )
        if not allowed:
            raise PermissionDeniedError("only the user's administrators or authorities")
        if row["status"] != UserStatus.INACTIVE:
            raise UserActiveError("the user is active")
        await connection.execute(
            """UPDATE users SET status = 'active', last_seen_at = now(), inactivated_at = NULL,
                                inactivity_warned_at = NULL, reactivation_requested_at = NULL,
                                reactivation_message = NULL, updated_at = now()
                WHERE id = $1""",
            user_id,
        )
        await emit(
            connection,
            "registry.user.reactivated",
            subject=user_id,
            message=events.UserReactivated(
                user_id=str(user_id), decided_by_user_id=str(principal.user_id)
            ),
        )
        await audit.record(
            connection,
            actor=principal,
            action="user.reactivated",
            subject_type="user",
            subject_id=user_id,
            scope=await connection.fetchval(_scope_of_user_roles_sql(), user_id),
            target_user_id=user_id,
            reason=reason,
        )


@dataclass(frozen=True)
class InactivityOutcome:
    warned: int
    inactivated: int


def _timestamp(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


async def run_inactivity_check(
    pool: asyncpg.Pool,
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
            pool, now=moment, months=inactive_after_months, warning_days=warning_days
        )
        warned += count
        if count < BATCH_SIZE:
            break
    while True:
        count = await _inactivate_batch(pool, now=moment, months=inactive_after_months)
        inactivated += count
        if count < BATCH_SIZE:
            break
    return InactivityOutcome(warned=warned, inactivated=inactivated)


async def _warn_batch(pool: asyncpg.Pool, *, now: datetime, months: int, warning_days: int) -> int:
    async with pool.acquire() as connection, connection.transaction():
        rows = await connection.fetch(
            """WITH due AS (
                   SELECT id FROM users
                    WHERE status = 'active'
                      AND last_seen_at <= $1::timestamptz - make_interval(months => $2)
                                            + make_interval(days => $3)
                      AND last_seen_at > $1::timestamptz - make_interval(months => $2)
                      AND (inactivity_warned_at IS NULL OR inactivity_warned_at < last_seen_at)
                    ORDER BY last_seen_at
                    LIMIT $4
                    FOR UPDATE SKIP LOCKED)
               UPDATE users SET inactivity_warned_at = $1 FROM due WHERE users.id = due.id
               RETURNING users.id, users.last_seen_at + make_interval(months => $2) AS due_at""",
            now,
            months,
            warning_days,
            BATCH_SIZE,
        )
        for row in rows:
            await emit(
                connection,
                "registry.user.inactivity_warned",
                subject=row["id"],
                message=events.UserInactivityWarned(
                    user_id=str(row["id"]), inactive_time=_timestamp(row["due_at"])
                ),
            )
    return len(rows)


async def _inactivate_batch(pool: asyncpg.Pool, *, now: datetime, months: int) -> int:
    async with pool.acquire() as connection, connection.transaction():
        rows = await connection.fetch(
            """WITH due AS (
                   SELECT id FROM users
                    WHERE status = 'active'
                      AND last_seen_at <= $1::timestamptz - make_interval(months => $2)
                    ORDER BY last_seen_at
                    LIMIT $3
                    FOR UPDATE SKIP LOCKED)
               UPDATE users SET status = 'inactive', inactivated_at = $1,
                                reactivation_requested_at = NULL, reactivation_message = NULL,
                                updated_at = now()
                 FROM due WHERE users.id = due.id
               RETURNING users.id, users.last_sign_in_at""",
            now,
            months,
            BATCH_SIZE,
        )
        for row in rows:
            await emit(
                connection,
                "registry.user.inactivated",
                subject=row["id"],
                message=events.UserInactivated(
                    user_id=str(row["id"]), last_sign_in_time=_timestamp(row["last_sign_in_at"])
                ),
            )
            await audit.record(
                connection,
                actor=None,
                action="user.inactivated",
                subject_type="user",
                subject_id=row["id"],
                scope=await connection.fetchval(_scope_of_user_roles_sql(), row["id"]),
                target_user_id=row["id"],
                reason=f"no sign-in for {months} months",
            )
    return len(rows)


async def suspend_after_devices_reset(
    pool: asyncpg.Pool, *, user_id: uuid.UUID, event_id: uuid.UUID
) -> list[uuid.UUID] | None:
    """Identity reset the user's second factors: suspend every approved role of theirs until a
    decider unsuspends it. Returns the suspended role ids, or None if the event was handled
    before (a redelivery)."""
    async with pool.acquire() as connection, connection.transaction():
        first_time = await connection.fetchval(
            """INSERT INTO handled_events (event_id, event_type)
               VALUES ($1, 'identity.user.devices_reset')
               ON CONFLICT (event_id) DO NOTHING
               RETURNING event_id""",
            event_id,
        )
        if first_time is None:
            return None
        rows = await connection.fetch(
            """UPDATE roles SET suspended_at = now()
                WHERE user_id = $1 AND status = 'approved' AND suspended_at IS NULL
            RETURNING id, organization_id""",
            user_id,
        )
        if not rows:
            return []
        role_ids = [row["id"] for row in rows]
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
        for row in rows:
            await audit.record(
                connection,
                actor=None,
                action="role.suspended",
                subject_type="role_request",
                subject_id=row["id"],
                organization_id=row["organization_id"],
                target_user_id=user_id,
                reason="the user's sign-in devices were reset in identity",
                details={"cause_event_id": str(event_id)},
            )
    return role_ids
