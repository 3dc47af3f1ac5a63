"""The SQL of the registry's users: their copy of identity's data, reactivation, the inactivity
job's batches and the suspension after a devices reset."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_registry.access import Principal, UserStatus
from gatehouse_registry.access.queries import reactivatable_by
from gatehouse_registry.roles.models import RoleStatus
from gatehouse_registry.tables import handled_events, roles, users
from gatehouse_registry.users.models import DueUser, InactiveUser, SuspendedRole

INACTIVE_LIST_LIMIT = 500


async def record_sign_in(
    connection: AsyncConnection,
    *,
    user_id: uuid.UUID,
    full_name: str,
    email: str,
    signed_in_at: datetime,
) -> None:
    """Name and e-mail as identity says now; the sign-in times only move forwards."""
    new = insert(users).values(
        id=user_id,
        full_name=full_name,
        email=email,
        last_sign_in_at=signed_in_at,
        last_seen_at=signed_in_at,
    )
    await connection.execute(
        new.on_conflict_do_update(
            index_elements=[users.c.id],
            set_={
                "full_name": new.excluded.full_name,
                "email": new.excluded.email,
                "last_sign_in_at": func.greatest(
                    users.c.last_sign_in_at, new.excluded.last_sign_in_at
                ),
                "last_seen_at": func.greatest(users.c.last_seen_at, new.excluded.last_seen_at),
                "updated_at": func.now(),
            },
        )
    )


async def user(connection: AsyncConnection, user_id: uuid.UUID) -> Any:
    """The user's row (or None)."""
    return (await connection.execute(select(users).where(users.c.id == user_id))).first()


async def lock_status(connection: AsyncConnection, user_id: uuid.UUID) -> UserStatus | None:
    status = await connection.scalar(
        select(users.c.status).where(users.c.id == user_id).with_for_update()
    )
    return UserStatus(status) if status is not None else None


async def organizations_of_approved_roles(
    connection: AsyncConnection, user_id: uuid.UUID
) -> list[uuid.UUID]:
    """Whose administrators and authorities may read what happens to the user."""
    rows = await connection.execute(
        select(roles.c.organization_id)
        .distinct()
        .where(roles.c.user_id == user_id, roles.c.status == RoleStatus.APPROVED.value)
    )
    return [row.organization_id for row in rows]


async def set_reactivation_requested(
    connection: AsyncConnection, user_id: uuid.UUID, *, message: str | None
) -> None:
    await connection.execute(
        users.update()
        .where(users.c.id == user_id)
        .values(
            reactivation_requested_at=func.now(),
            reactivation_message=message,
            updated_at=func.now(),
        )
    )


async def inactive_users(
    connection: AsyncConnection, principal: Principal, *, only_requested: bool
) -> list[InactiveUser]:
    """Inactive users `principal` may reactivate (access.queries.reactivatable_by)."""
    query = select(
        users.c.id,
        users.c.full_name,
        users.c.email,
        users.c.inactivated_at,
        users.c.reactivation_requested_at,
        users.c.reactivation_message,
    ).where(users.c.status == UserStatus.INACTIVE.value, reactivatable_by(principal))
    if only_requested:
        query = query.where(users.c.reactivation_requested_at.is_not(None))
    rows = await connection.execute(
        query.order_by(users.c.reactivation_requested_at.asc().nulls_last(), users.c.id).limit(
            INACTIVE_LIST_LIMIT
        )
    )
    return [
        InactiveUser(
            user_id=row.id,
            full_name=row.full_name,
            email=row.email,
            inactivated_at=row.inactivated_at,
            reactivation_requested_at=row.reactivation_requested_at,
            reactivation_message=row.reactivation_message,
        )
        for row in rows
    ]


async def may_reactivate(
    connection: AsyncConnection, principal: Principal, user_id: uuid.UUID
) -> bool:
    found = await connection.scalar(
        select(users.c.id).where(users.c.id == user_id, reactivatable_by(principal))
    )
    return found is not None


async def reactivate(connection: AsyncConnection, user_id: uuid.UUID) -> None:
    """Active again; inactivity counts from now."""
    await connection.execute(
        users.update()
        .where(users.c.id == user_id)
        .values(
            status=UserStatus.ACTIVE.value,
            last_seen_at=func.now(),
            inactivated_at=None,
            inactivity_warned_at=None,
            reactivation_requested_at=None,
            reactivation_message=None,
            updated_at=func.now(),
        )
    )


# The two batches of the inactivity job, as SQL: claiming rows with FOR UPDATE SKIP LOCKED
# (several registry replicas may run the job at once) and PostgreSQL's month arithmetic
# (make_interval) read more plainly than as Core.
WARN_BATCH = text(
    """WITH due AS (
           SELECT id FROM users
            WHERE status = 'active'
              AND last_seen_at <= CAST(:now AS timestamptz) - make_interval(months => :months)
                                  + make_interval(days => :warning_days)
              AND last_seen_at > CAST(:now AS timestamptz) - make_interval(months => :months)
              AND (inactivity_warned_at IS NULL OR inactivity_warned_at < last_seen_at)
            ORDER BY last_seen_at
            LIMIT :batch
            FOR UPDATE SKIP LOCKED)
       UPDATE users SET inactivity_warned_at = :now FROM due WHERE users.id = due.id
       RETURNING users.id, users.last_seen_at + make_interval(months => :months) AS moment"""
)
INACTIVATE_BATCH = text(
    """WITH due AS (
           SELECT id FROM users
            WHERE status = 'active'
              AND last_seen_at <= CAST(:now AS timestamptz) - make_interval(months => :months)
            ORDER BY last_seen_at
            LIMIT :batch
            FOR UPDATE SKIP LOCKED)
       UPDATE users SET status = 'inactive', inactivated_at = :now,
                        reactivation_requested_at = NULL, reactivation_message = NULL,
                        updated_at = now()
         FROM due WHERE users.id = due.id
       RETURNING users.id, users.last_sign_in_at AS moment"""
)


async def warn_batch(
    connection: AsyncConnection, *, now: datetime, months: int, warning_days: int, batch: int
) -> list[DueUser]:
    """Users who become inactive within `warning_days` and were not warned since they were last
    seen, marked warned; `moment`: when they become inactive."""
    rows = await connection.execute(
        WARN_BATCH, {"now": now, "months": months, "warning_days": warning_days, "batch": batch}
    )
    return [DueUser(user_id=row.id, moment=row.moment) for row in rows]


async def inactivate_batch(
    connection: AsyncConnection, *, now: datetime, months: int, batch: int
) -> list[DueUser]:
    """Users not seen for `months`, made inactive; `moment`: their last sign-in."""
    rows = await connection.execute(
        INACTIVATE_BATCH, {"now": now, "months": months, "batch": batch}
    )
    return [DueUser(user_id=row.id, moment=row.moment) for row in rows]


async def first_handling(
    connection: AsyncConnection, event_id: uuid.UUID, *, event_type: str
) -> bool:
    """Record the event as handled; False if it was handled before (a redelivery)."""
    handled = await connection.scalar(
        insert(handled_events)
        .values(event_id=event_id, event_type=event_type)
        .on_conflict_do_nothing(index_elements=[handled_events.c.event_id])
        .returning(handled_events.c.event_id)
    )
    return handled is not None


async def suspend_approved_roles(
    connection: AsyncConnection, user_id: uuid.UUID
) -> list[SuspendedRole]:
    rows = await connection.execute(
        roles.update()
        .where(
            roles.c.user_id == user_id,
            roles.c.status == RoleStatus.APPROVED.value,
            roles.c.suspended_at.is_(None),
        )
        .values(suspended_at=func.now())
        .returning(roles.c.id, roles.c.organization_id)
    )
    return [SuspendedRole(role_id=row.id, organization_id=row.organization_id) for row in rows]
