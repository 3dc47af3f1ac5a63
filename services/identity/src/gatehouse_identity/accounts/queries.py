"""The SQL of accounts: users, the e-mailed password links, and the per-bucket runs of wrong
passwords that block an account (or its unknown clients). Rows become `User`s here."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ARRAY,
    DateTime,
    Interval,
    LargeBinary,
    Text,
    Uuid,
    bindparam,
    case,
    delete,
    func,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_identity.accounts.models import User, UserStatus
from gatehouse_identity.tables import (
    password_failure_buckets,
    password_link_returns,
    password_links,
    users,
)

_USER = (
    users.c.id,
    users.c.email,
    users.c.first_name,
    users.c.last_name,
    users.c.email_language,
    users.c.status,
    users.c.created_at,
    users.c.password_changed_at,
)


def _user(row: Any) -> User:
    return User(
        id=row.id,
        email=row.email,
        first_name=row.first_name,
        last_name=row.last_name,
        email_language=row.email_language,
        status=UserStatus(row.status),
        created_at=row.created_at,
        password_changed_at=row.password_changed_at,
    )


# ---------------------------------------------------------------------------------------- users


async def user_by_id(connection: AsyncConnection, *, user_id: uuid.UUID) -> User | None:
    row = (await connection.execute(select(*_USER).where(users.c.id == user_id))).first()
    return None if row is None else _user(row)


async def users_by_ids(connection: AsyncConnection, *, user_ids: Sequence[uuid.UUID]) -> list[User]:
    rows = await connection.execute(select(*_USER).where(users.c.id.in_(list(user_ids))))
    return [_user(row) for row in rows]


async def user_by_email(connection: AsyncConnection, *, email_normalized: str) -> User | None:
    row = (
        await connection.execute(select(*_USER).where(users.c.email_normalized == email_normalized))
    ).first()
    return None if row is None else _user(row)


async def user_id_by_email(
    connection: AsyncConnection, *, email_normalized: str
) -> uuid.UUID | None:
    found: uuid.UUID | None = await connection.scalar(
        select(users.c.id).where(users.c.email_normalized == email_normalized)
    )
    return found


async def known_user_ids(
    connection: AsyncConnection, *, user_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these users exist."""
    return set(await connection.scalars(select(users.c.id).where(users.c.id.in_(list(user_ids)))))


async def insert_pending_user(
    connection: AsyncConnection,
    *,
    user_id: uuid.UUID,
    email: str,
    email_normalized: str,
    first_name: str,
    last_name: str,
    email_language: str,
    privacy_statement_version: str,
    privacy_statement_accepted_at: datetime,
) -> bool:
    """A user waiting for a first password; False when the address is taken (a parallel sign-up
    with the same address won)."""
    inserted = await connection.scalar(
        insert(users)
        .values(
            id=user_id,
            email=email,
            email_normalized=email_normalized,
            first_name=first_name,
            last_name=last_name,
            email_language=email_language,
            status=UserStatus.PENDING_PASSWORD.value,
            privacy_statement_version=privacy_statement_version,
            privacy_statement_accepted_at=privacy_statement_accepted_at,
        )
        .on_conflict_do_nothing(index_elements=[users.c.email_normalized])
        .returning(users.c.id)
    )
    return inserted is not None


async def lock_status(connection: AsyncConnection, *, user_id: uuid.UUID) -> UserStatus | None:
    """The user's status, the row locked until the transaction ends."""
    status = await connection.scalar(
        select(users.c.status).where(users.c.id == user_id).with_for_update()
    )
    return None if status is None else UserStatus(status)


async def set_password_unblocked(
    connection: AsyncConnection, *, user_id: uuid.UUID, password_hash: str
) -> User | None:
    """A new password that also makes the account active (and no longer blocked)."""
    row = (
        await connection.execute(
            update(users)
            .where(users.c.id == user_id)
            .values(
                password_hash=password_hash,
                status=UserStatus.ACTIVE.value,
                blocked_at=None,
                password_changed_at=func.now(),
                updated_at=func.now(),
            )
            .returning(*_USER)
        )
    ).first()
    return None if row is None else _user(row)


async def active_password_hash(connection: AsyncConnection, *, user_id: uuid.UUID) -> str | None:
    found: str | None = await connection.scalar(
        select(users.c.password_hash).where(
            users.c.id == user_id, users.c.status == UserStatus.ACTIVE.value
        )
    )
    return found


async def set_password_hash(
    connection: AsyncConnection, *, user_id: uuid.UUID, password_hash: str
) -> None:
    await connection.execute(
        update(users)
        .where(users.c.id == user_id)
        .values(password_hash=password_hash, password_changed_at=func.now(), updated_at=func.now())
    )


async def update_profile(
    connection: AsyncConnection,
    *,
    user_id: uuid.UUID,
    first_name: str,
    last_name: str,
    email_language: str,
) -> User | None:
    row = (
        await connection.execute(
            update(users)
            .where(users.c.id == user_id)
            .values(
                first_name=first_name,
                last_name=last_name,
                email_language=email_language,
                updated_at=func.now(),
            )
            .returning(*_USER)
        )
    ).first()
    return None if row is None else _user(row)


# ------------------------------------------------------------------------------- password links

_LINK_OPEN = (password_links.c.used_at.is_(None), password_links.c.expires_at > func.now())


async def retire_open_links(connection: AsyncConnection, *, user_ids: Sequence[uuid.UUID]) -> None:
    """Earlier open links of these users stop working (only the newest e-mail does)."""
    await connection.execute(
        update(password_links)
        .where(password_links.c.user_id.in_(list(user_ids)), password_links.c.used_at.is_(None))
        .values(used_at=func.now())
    )


@dataclass(frozen=True)
class NewLink:
    token_hash: bytes
    user_id: uuid.UUID
    purpose: str
    event_id: uuid.UUID | None
    expires_at: datetime
    # Set when a later link of the same batch replaces this one at once.
    used_at: datetime | None = None


# One statement for a whole batch whatever its size: arrays unnested by PostgreSQL. Kept as SQL
# because it is a PostgreSQL idiom (a multi-row VALUES would be a new statement text for every
# batch size, and executemany one round trip per row). The typed bind parameters below cast
# each array (`$1::BYTEA[]`, …).
_INSERT_LINKS = text(
    """INSERT INTO password_links (token_hash, user_id, purpose, event_id, expires_at, used_at)
       SELECT * FROM unnest(:token_hashes, :user_ids, :purposes, :event_ids, :expires_ats,
                            :used_ats)"""
).bindparams(
    bindparam("token_hashes", type_=ARRAY(LargeBinary)),
    bindparam("user_ids", type_=ARRAY(Uuid)),
    bindparam("purposes", type_=ARRAY(Text)),
    bindparam("event_ids", type_=ARRAY(Uuid)),
    bindparam("expires_ats", type_=ARRAY(DateTime(timezone=True))),
    bindparam("used_ats", type_=ARRAY(DateTime(timezone=True))),
)


async def insert_links(connection: AsyncConnection, *, links: Sequence[NewLink]) -> None:
    await connection.execute(
        _INSERT_LINKS,
        {
            "token_hashes": [link.token_hash for link in links],
            "user_ids": [link.user_id for link in links],
            "purposes": [link.purpose for link in links],
            "event_ids": [link.event_id for link in links],
            "expires_ats": [link.expires_at for link in links],
            "used_ats": [link.used_at for link in links],
        },
    )


async def use_link(connection: AsyncConnection, *, token_hash: bytes) -> uuid.UUID | None:
    """Mark an open link used; its user, or None when it was not open."""
    user_id: uuid.UUID | None = await connection.scalar(
        update(password_links)
        .where(password_links.c.token_hash == token_hash, *_LINK_OPEN)
        .values(used_at=func.now())
        .returning(password_links.c.user_id)
    )
    return user_id


async def link_is_open(connection: AsyncConnection, *, token_hash: bytes) -> bool:
    found = await connection.scalar(
        select(literal(1)).where(password_links.c.token_hash == token_hash, *_LINK_OPEN)
    )
    return found is not None


async def forget_returns_older_than(connection: AsyncConnection, *, age: timedelta) -> None:
    await connection.execute(
        delete(password_link_returns).where(
            password_link_returns.c.created_at < func.now() - bindparam("age", age, type_=Interval)
        )
    )


async def insert_return(
    connection: AsyncConnection, *, event_id: uuid.UUID, next_url: str, level: str | None
) -> None:
    await connection.execute(
        insert(password_link_returns).values(event_id=event_id, next_url=next_url, level=level)
    )


async def return_of_link(
    connection: AsyncConnection, *, token_hash: bytes
) -> tuple[str, str | None] | None:
    """The `next` and `level` kept for the event the link was issued under."""
    row = (
        await connection.execute(
            select(password_link_returns.c.next_url, password_link_returns.c.level)
            .join_from(
                password_links,
                password_link_returns,
                password_links.c.event_id == password_link_returns.c.event_id,
            )
            .where(password_links.c.token_hash == token_hash)
        )
    ).first()
    return None if row is None else (row.next_url, row.level)


# ------------------------------------------------------------------ wrong passwords, per bucket


@dataclass(frozen=True)
class Candidate:
    """Who typed an address that can sign in (or is blocked)."""

    user_id: uuid.UUID
    password_hash: str
    status: UserStatus


@dataclass(frozen=True)
class Slot:
    """A reserved password check: how many in a row now, and whether the bucket is blocked."""

    failures: int
    bucket_blocked: bool


async def sign_in_candidate(
    connection: AsyncConnection, *, email_normalized: str
) -> Candidate | None:
    row = (
        await connection.execute(
            select(users.c.id, users.c.password_hash, users.c.status).where(
                users.c.email_normalized == email_normalized,
                users.c.status.in_([UserStatus.ACTIVE.value, UserStatus.BLOCKED.value]),
                # Always true for these statuses (only a pending account has no password yet);
                # said here so that a candidate always has a hash to check.
                users.c.password_hash.is_not(None),
            )
        )
    ).first()
    if row is None:
        return None
    return Candidate(user_id=row.id, password_hash=row.password_hash, status=UserStatus(row.status))


async def reserve_check(
    connection: AsyncConnection,
    *,
    user_id: uuid.UUID,
    bucket: str,
    allowed: int,
    allowed_when_blocked: int,
) -> Slot | None:
    """Count one more check in the bucket while fewer than `allowed` were counted (or
    `allowed_when_blocked` in a blocked bucket), in one statement; None when there is no room."""
    buckets = password_failure_buckets
    new = insert(buckets).values(user_id=user_id, bucket=bucket, failures=1)
    row = (
        await connection.execute(
            new.on_conflict_do_update(
                index_elements=[buckets.c.user_id, buckets.c.bucket],
                set_={"failures": buckets.c.failures + 1},
                where=buckets.c.failures
                < case((buckets.c.blocked_at.is_(None), allowed), else_=allowed_when_blocked),
            ).returning(
                buckets.c.failures, buckets.c.blocked_at.is_not(None).label("bucket_blocked")
            )
        )
    ).first()
    return None if row is None else Slot(row.failures, bucket_blocked=bool(row.bucket_blocked))


async def end_failure_run(connection: AsyncConnection, *, user_id: uuid.UUID, bucket: str) -> None:
    """A success ends the bucket's run of failures (a blocked bucket stays blocked)."""
    buckets = password_failure_buckets
    await connection.execute(
        delete(buckets).where(
            buckets.c.user_id == user_id, buckets.c.bucket == bucket, buckets.c.blocked_at.is_(None)
        )
    )


async def delete_failure_buckets(connection: AsyncConnection, *, user_id: uuid.UUID) -> None:
    await connection.execute(
        delete(password_failure_buckets).where(password_failure_buckets.c.user_id == user_id)
    )


async def rehash_password(
    connection: AsyncConnection, *, user_id: uuid.UUID, new_hash: str | None
) -> User | None:
    """The user after a successful sign-in, their hash replaced when `new_hash` is given."""
    row = (
        await connection.execute(
            update(users)
            .where(users.c.id == user_id)
            .values(password_hash=func.coalesce(new_hash, users.c.password_hash))
            .returning(*_USER)
        )
    ).first()
    return None if row is None else _user(row)


async def block_bucket(connection: AsyncConnection, *, user_id: uuid.UUID, bucket: str) -> bool:
    """False when it was blocked already (by a parallel attempt)."""
    buckets = password_failure_buckets
    blocked = await connection.scalar(
        update(buckets)
        .where(
            buckets.c.user_id == user_id, buckets.c.bucket == bucket, buckets.c.blocked_at.is_(None)
        )
        .values(blocked_at=func.now())
        .returning(buckets.c.user_id)
    )
    return blocked is not None


async def block_user(connection: AsyncConnection, *, user_id: uuid.UUID) -> None:
    await connection.execute(
        update(users)
        .where(users.c.id == user_id, users.c.status == UserStatus.ACTIVE.value)
        .values(status=UserStatus.BLOCKED.value, blocked_at=func.now(), updated_at=func.now())
    )
