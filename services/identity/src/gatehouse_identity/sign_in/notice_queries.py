"""The SQL of new-device notices (notices.py): seen networks, notices and their report links."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_identity.tables import (
    recovery_codes,
    second_factors,
    seen_networks,
    sign_in_notices,
    users,
)


async def lock_user(connection: AsyncConnection, *, user_id: uuid.UUID) -> None:
    """Serialise one user's sign-ins while their networks are read and written, so two
    parallel sign-ins from a new network send one notice."""
    await connection.execute(
        select(users.c.id).where(users.c.id == user_id).with_for_update(key_share=True)
    )


async def network_history(
    connection: AsyncConnection, *, user_id: uuid.UUID, network: str
) -> tuple[bool, datetime | None]:
    """Whether the user has any seen network at all, and when `network` was last seen."""
    rows = await connection.execute(
        select(seen_networks.c.network, seen_networks.c.last_seen_at).where(
            seen_networks.c.user_id == user_id
        )
    )
    seen = {row.network: row.last_seen_at for row in rows}
    return bool(seen), seen.get(network)


async def remember_network(
    connection: AsyncConnection, *, user_id: uuid.UUID, network: str
) -> None:
    statement = insert(seen_networks).values(user_id=user_id, network=network)
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=[seen_networks.c.user_id, seen_networks.c.network],
            set_={"last_seen_at": func.now()},
        )
    )


async def add_notice(
    connection: AsyncConnection,
    *,
    event_id: uuid.UUID,
    user_id: uuid.UUID,
    network: str,
    browser: str,
) -> None:
    await connection.execute(
        sign_in_notices.insert().values(
            event_id=event_id, user_id=user_id, network=network, browser=browser
        )
    )


async def set_report_token(
    connection: AsyncConnection,
    *,
    event_id: uuid.UUID,
    user_id: uuid.UUID,
    token_hash: bytes,
    expires_at: datetime,
) -> bool:
    """A (new) report link for an unreported notice; False when there is no such notice."""
    found = await connection.execute(
        update(sign_in_notices)
        .where(
            sign_in_notices.c.event_id == event_id,
            sign_in_notices.c.user_id == user_id,
            sign_in_notices.c.reported_at.is_(None),
        )
        .values(report_token_hash=token_hash, report_expires_at=expires_at)
        .returning(sign_in_notices.c.event_id)
    )
    return found.first() is not None


def _open_link(token_hash: bytes) -> ColumnElement[bool]:
    return and_(
        sign_in_notices.c.report_token_hash == token_hash,
        sign_in_notices.c.reported_at.is_(None),
        sign_in_notices.c.report_expires_at > func.now(),
    )


async def open_notice(
    connection: AsyncConnection, *, token_hash: bytes
) -> dict[str, object] | None:
    """The notice whose report link is still usable: when, from where, which browser."""
    row = (
        await connection.execute(
            select(
                sign_in_notices.c.user_id,
                sign_in_notices.c.signed_in_at,
                sign_in_notices.c.network,
                sign_in_notices.c.browser,
            ).where(_open_link(token_hash))
        )
    ).first()
    return dict(row._mapping) if row is not None else None


async def mark_reported(connection: AsyncConnection, *, token_hash: bytes) -> uuid.UUID | None:
    """Use the report link once: its user, or None when it cannot be used."""
    row = (
        await connection.execute(
            update(sign_in_notices)
            .where(_open_link(token_hash))
            .values(reported_at=func.now())
            .returning(sign_in_notices.c.user_id)
        )
    ).first()
    return row.user_id if row is not None else None


async def block_user(connection: AsyncConnection, *, user_id: uuid.UUID) -> None:
    """Blocked as after wrong passwords: only a password set from an e-mailed link unblocks."""
    await connection.execute(
        update(users)
        .where(users.c.id == user_id, users.c.status == "active")
        .values(status="blocked", blocked_at=func.now(), updated_at=func.now())
    )


async def remove_factors_since_sign_in(
    connection: AsyncConnection, *, user_id: uuid.UUID, token_hash: bytes
) -> int:
    """Remove the second factors and recovery codes made since the reported sign-in: its
    session could add them (a passkey then signs in with no password at all, even after the
    owner's new password). Returns how many usable factors went."""
    since = (
        select(sign_in_notices.c.signed_in_at)
        .where(sign_in_notices.c.report_token_hash == token_hash)
        .scalar_subquery()
    )
    await connection.execute(
        delete(recovery_codes).where(
            recovery_codes.c.user_id == user_id, recovery_codes.c.created_at >= since
        )
    )
    removed = await connection.execute(
        delete(second_factors)
        .where(second_factors.c.user_id == user_id, second_factors.c.created_at >= since)
        .returning(second_factors.c.status)
    )
    return sum(1 for row in removed if row.status != "pending")


async def delete_stale(
    connection: AsyncConnection, *, seen_before: datetime, noticed_before: datetime
) -> None:
    """Housekeeping: networks last seen before `seen_before`, except each user's latest one
    (a user with no network is never told, so it marks that there is a history); notices whose
    report link has expired, or that never had one and were made before `noticed_before`."""
    newer = seen_networks.alias("newer")
    await connection.execute(
        delete(seen_networks).where(
            seen_networks.c.last_seen_at < seen_before,
            select(newer.c.user_id)
            .where(
                newer.c.user_id == seen_networks.c.user_id,
                newer.c.last_seen_at > seen_networks.c.last_seen_at,
            )
            .exists(),
        )
    )
    await connection.execute(
        delete(sign_in_notices).where(
            or_(
                sign_in_notices.c.report_expires_at < func.now(),
                and_(
                    sign_in_notices.c.report_expires_at.is_(None),
                    sign_in_notices.c.signed_in_at < noticed_before,
                ),
            )
        )
    )
