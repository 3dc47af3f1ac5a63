"""The SQL of the back-channel logout queue (`oidc_backchannel_logouts`, filled by the trigger of
migration 0004 when a session ends): claim what is due, then record how each delivery went."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Interval, Text, bindparam, func, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_identity.tables import oidc_backchannel_logouts

_queue = oidc_backchannel_logouts

# Claiming: the due rows are locked with FOR UPDATE SKIP LOCKED inside the UPDATE … FROM that
# leases them, so replicas never claim the same row; clearer as the SQL it is.
_CLAIM_DUE = text(
    """UPDATE oidc_backchannel_logouts b
          SET next_attempt_at = now() + :lease, attempts = b.attempts + 1
         FROM oidc_clients c
        WHERE c.client_id = b.client_id
          AND b.id IN (SELECT id FROM oidc_backchannel_logouts
                        WHERE delivered_at IS NULL AND abandoned_at IS NULL
                          AND next_attempt_at <= now()
                        ORDER BY id LIMIT :batch FOR UPDATE SKIP LOCKED)
    RETURNING b.id, b.client_id, b.user_id, b.sid, b.attempts, c.backchannel_logout_uri"""
).bindparams(bindparam("lease", type_=Interval))


@dataclass(frozen=True)
class DueLogout:
    id: int
    client_id: str
    user_id: uuid.UUID
    sid: str
    # This attempt's number (1 for the first).
    attempts: int
    backchannel_logout_uri: str | None


async def claim_due(
    connection: AsyncConnection, *, lease: timedelta, batch: int
) -> list[DueLogout]:
    """Up to `batch` due logouts, leased for `lease` (retried after it if nobody records them)."""
    rows = await connection.execute(_CLAIM_DUE, {"lease": lease, "batch": batch})
    return [
        DueLogout(
            id=row.id,
            client_id=row.client_id,
            user_id=row.user_id,
            sid=row.sid,
            attempts=row.attempts,
            backchannel_logout_uri=row.backchannel_logout_uri,
        )
        for row in rows
    ]


async def delivered(connection: AsyncConnection, *, logout_id: int) -> None:
    await connection.execute(
        update(_queue)
        .where(_queue.c.id == logout_id)
        .values(delivered_at=func.now(), last_error=None)
    )


async def abandoned(connection: AsyncConnection, *, logout_id: int, error: str) -> None:
    await connection.execute(
        update(_queue)
        .where(_queue.c.id == logout_id)
        .values(abandoned_at=func.now(), last_error=bindparam("error", error, type_=Text))
    )


async def retry_later(
    connection: AsyncConnection, *, logout_id: int, delay: timedelta, error: str
) -> None:
    await connection.execute(
        update(_queue)
        .where(_queue.c.id == logout_id)
        .values(
            next_attempt_at=func.now() + bindparam("delay", delay, type_=Interval),
            last_error=error,
        )
    )
