"""Accounts: create, set and change passwords, sign in with lockout, look users up.

Every function takes its collaborators as keyword arguments, opens its own transaction when it
changes state, and writes the matching event to the outbox in that same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import asyncpg
from prometheus_client import Counter

from gatehouse.events.v1 import identity_events_pb2 as events
from gatehouse_identity.accounts.errors import (
    InvalidCredentialsError,
    InvalidInputError,
    UserNotFoundError,
)
from gatehouse_identity.accounts.links import consume_password_link, issue_password_link
from gatehouse_identity.accounts.models import (
    USER_COLUMNS,
    PasswordLinkPurpose,
    User,
    UserStatus,
)
from gatehouse_identity.accounts.passwords import PasswordHasher, check_password_rule
from gatehouse_identity.audit import service as audit
from gatehouse_identity.audit.service import AuditKind
from gatehouse_identity.events import emit
from gatehouse_identity.throttling.devices import UNKNOWN_CLIENTS

SIGN_INS = Counter("gatehouse_identity_sign_ins_total", "Password sign-ins by outcome", ["outcome"])
ACCOUNTS_BLOCKED = Counter(
    "gatehouse_identity_accounts_blocked_total",
    "Accounts (or their unknown-clients bucket) blocked after wrong passwords in a row",
)
ATTACKS_FLAGGED = Counter(
    "gatehouse_identity_password_attacks_flagged_total",
    "Accounts whose unknown-clients bucket was blocked: someone other than the user guessing",
)


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def create_account(
    pool: asyncpg.Pool,
    *,
    email: str,
    first_name: str,
    last_name: str,
    email_language: str,
    privacy_statement_version: str,
) -> None:
    """Create a pending account, or tell the existing owner: the caller never learns which."""
    now = datetime.now(UTC)
    async with pool.acquire() as connection, connection.transaction():
        existing = await connection.fetchval(
            "SELECT id FROM users WHERE email_normalized = $1", normalize_email(email)
        )
        if existing is not None:
            await emit(
                connection,
                "identity.user.registration_repeated",
                user_id=existing,
                message=events.UserRegistrationRepeated(user_id=str(existing)),
            )
            return
        user_id = uuid.uuid4()
        inserted = await connection.fetchval(
            """INSERT INTO users (id, email, email_normalized, first_name, last_name,
                                  email_language, status, privacy_statement_version,
                                  privacy_statement_accepted_at)
               VALUES ($1, $2, $3, $4, $5, $6, 'pending_password', $7, $8)
               ON CONFLICT (email_normalized) DO NOTHING
               RETURNING id""",
            user_id,
            email.strip(),
            normalize_email(email),
            first_name,
            last_name,
            email_language,
            privacy_statement_version,
            now,
        )
        if inserted is None:  # a parallel sign-up with the same address won the race
            return
        await emit(
            connection,
            "identity.user.created",
            user_id=user_id,
            message=events.UserCreated(user_id=str(user_id)),
        )


async def set_password_with_link(
    pool: asyncpg.Pool, *, hasher: PasswordHasher, token: str, password: str
) -> User:
    """Use an e-mailed link to set the first password or replace a forgotten/blocked one.

    Setting a password through a link also unblocks the account and ends its other sessions.
    """
    check_password_rule(password)
    password_hash = await hasher.hash(password)
    async with pool.acquire() as connection, connection.transaction():
        user_id = await consume_password_link(connection, token)
        previous_status = await connection.fetchval(
            "SELECT status FROM users WHERE id = $1 FOR UPDATE", user_id
        )
        row = await connection.fetchrow(
            f"""UPDATE users
                   SET password_hash = $2, status = 'active', blocked_at = NULL,
                       password_changed_at = now(), updated_at = now()
                 WHERE id = $1
             RETURNING {USER_COLUMNS}""",
            user_id,
            password_hash,
        )
        await connection.execute("DELETE FROM sessions WHERE user_id = $1", user_id)
        # A new password from an e-mailed link unblocks every bucket (the manual's remedy).
        await connection.execute("DELETE FROM password_failure_buckets WHERE user_id = $1", user_id)
        await audit.record(
            connection,
            kind=AuditKind.PASSWORD_SET,
            user_id=user_id,
            detail={"replaced": previous_status != UserStatus.PENDING_PASSWORD},
        )
        await emit(
            connection,
            "identity.user.password_set",
            user_id=user_id,
            message=events.UserPasswordSet(
                user_id=str(user_id), replaced=previous_status != UserStatus.PENDING_PASSWORD
            ),
        )
    return User.from_row(row)


async def authenticate(
    pool: asyncpg.Pool,
    *,
    hasher: PasswordHasher,
    email: str,
    password: str,
    max_failed_attempts: int,
    bucket: str = UNKNOWN_CLIENTS,
) -> User:
    """Check e-mail and password, counting wrong passwords in a row per client bucket.

    `bucket` is the browser's own (it signed in to this account before: a device cookie) or the
    one all unknown clients share. A verification slot in that bucket is reserved atomically
    *before* argon2 runs, so however many guesses arrive in parallel, at most
    `max_failed_attempts` are ever checked. Unknown, pending and blocked accounts, and blocked
    buckets, get the same answer after the same work.
    """
    candidate = await pool.fetchrow(
        "SELECT id, password_hash FROM users WHERE email_normalized = $1 AND status = 'active'",
        normalize_email(email),
    )
    reserved = None
    if candidate is not None:
        reserved = await pool.fetchval(
            """INSERT INTO password_failure_buckets (user_id, bucket, failures) VALUES ($1, $2, 1)
               ON CONFLICT (user_id, bucket) DO UPDATE
                  SET failures = password_failure_buckets.failures + 1
                WHERE password_failure_buckets.failures < $3
                  AND password_failure_buckets.blocked_at IS NULL
               RETURNING failures""",
            candidate["id"],
            bucket,
            max_failed_attempts,
        )
    if candidate is None or reserved is None:
        await hasher.verify_dummy(password)
        SIGN_INS.labels("failed").inc()
        # Never the typed address: for an unknown one, nobody is named.
        await audit.record(
            pool,
            kind=AuditKind.SIGN_IN_FAILED,
            user_id=candidate["id"] if candidate is not None else None,
            detail={
                "reason": "no_such_account" if candidate is None else "bucket_blocked",
                "bucket": _bucket_kind(bucket),
            },
        )
        raise InvalidCredentialsError("wrong e-mail address or password")
    if await hasher.verify(candidate["password_hash"], password):
        SIGN_INS.labels("succeeded").inc()
        return await _record_success(
            pool,
            hasher=hasher,
            user_id=candidate["id"],
            bucket=bucket,
            password=password,
            password_hash=candidate["password_hash"],
        )
    SIGN_INS.labels("failed").inc()
    await audit.record(
        pool,
        kind=AuditKind.SIGN_IN_FAILED,
        user_id=candidate["id"],
        detail={"reason": "wrong_password", "bucket": _bucket_kind(bucket)},
    )
    if reserved >= max_failed_attempts:
        await _block(pool, user_id=candidate["id"], bucket=bucket, failed_attempts=reserved)
    raise InvalidCredentialsError("wrong e-mail address or password")


def _bucket_kind(bucket: str) -> str:
    """What the audit log says about a bucket: never the device nonce itself."""
    return "unknown" if bucket == UNKNOWN_CLIENTS else "device"


async def _record_success(
    pool: asyncpg.Pool,
    *,
    hasher: PasswordHasher,
    user_id: uuid.UUID,
    bucket: str,
    password: str,
    password_hash: str,
) -> User:
    new_hash = await hasher.hash(password) if hasher.needs_rehash(password_hash) else None
    async with pool.acquire() as connection, connection.transaction():
        # Success ends this bucket's run of failures (never a blocked bucket: it got no slot).
        await connection.execute(
            "DELETE FROM password_failure_buckets WHERE user_id = $1 AND bucket = $2 "
            "AND blocked_at IS NULL",
            user_id,
            bucket,
        )
        row = await connection.fetchrow(
            f"""UPDATE users SET password_hash = COALESCE($2, password_hash)
                 WHERE id = $1
             RETURNING {USER_COLUMNS}""",
            user_id,
            new_hash,
        )
        await audit.record(
            connection,
            kind=AuditKind.SIGN_IN_SUCCEEDED,
            user_id=user_id,
            detail={"bucket": _bucket_kind(bucket)},
        )
    return User.from_row(row)


async def _block(
    pool: asyncpg.Pool, *, user_id: uuid.UUID, bucket: str, failed_attempts: int
) -> None:
    """Five in a row: block the bucket. Unknown clients: only they are shut out (the user's own
    browsers keep working). The user's own browser: the whole account, as the manual says."""
    unknown_only = bucket == UNKNOWN_CLIENTS
    async with pool.acquire() as connection, connection.transaction():
        blocked = await connection.fetchval(
            """UPDATE password_failure_buckets SET blocked_at = now()
                WHERE user_id = $1 AND bucket = $2 AND blocked_at IS NULL
            RETURNING user_id""",
            user_id,
            bucket,
        )
        if blocked is None:  # a parallel attempt blocked it first; one e-mail is enough
            return
        if unknown_only:
            ATTACKS_FLAGGED.inc()
        else:
            await connection.execute(
                """UPDATE users SET status = 'blocked', blocked_at = now(), updated_at = now()
                    WHERE id = $1 AND status = 'active'""",
                user_id,
            )
            await connection.execute("DELETE FROM sessions WHERE user_id = $1", user_id)
        ACCOUNTS_BLOCKED.inc()
        await audit.record(
            connection,
            kind=AuditKind.LOCKED,
            user_id=user_id,
            detail={"bucket": _bucket_kind(bucket), "failed_attempts": failed_attempts},
        )
        await emit(
            connection,
            "identity.user.locked",
            user_id=user_id,
            message=events.UserLocked(
                user_id=str(user_id),
                failed_attempts=failed_attempts,
                unknown_clients_only=unknown_only,
            ),
        )


async def change_password(
    pool: asyncpg.Pool,
    *,
    hasher: PasswordHasher,
    user_id: uuid.UUID,
    current_password: str,
    new_password: str,
    keep_session_hash: bytes | None = None,
) -> None:
    """Change the password of a signed-in user, who must type the current one again."""
    check_password_rule(new_password, field="new_password")
    current_hash = await pool.fetchval(
        "SELECT password_hash FROM users WHERE id = $1 AND status = 'active'", user_id
    )
    if current_hash is None or not await hasher.verify(current_hash, current_password):
        raise InvalidInputError("the current password is wrong", field="current_password")
    new_hash = await hasher.hash(new_password)
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(
            """UPDATE users SET password_hash = $2, password_changed_at = now(), updated_at = now()
                WHERE id = $1""",
            user_id,
            new_hash,
        )
        # Other sessions may belong to whoever knew the old password.
        await connection.execute(
            "DELETE FROM sessions WHERE user_id = $1 AND id_hash IS DISTINCT FROM $2",
            user_id,
            keep_session_hash,
        )
        await audit.record(connection, kind=AuditKind.PASSWORD_CHANGED, user_id=user_id)
        await emit(
            connection,
            "identity.user.password_changed",
            user_id=user_id,
            message=events.UserPasswordChanged(user_id=str(user_id)),
        )


async def request_password_reset(pool: asyncpg.Pool, *, email: str) -> None:
    """E-mail a reset link if the address has an account; say nothing either way."""
    async with pool.acquire() as connection, connection.transaction():
        user_id = await connection.fetchval(
            "SELECT id FROM users WHERE email_normalized = $1", normalize_email(email)
        )
        if user_id is None:
            return
        await audit.record(connection, kind=AuditKind.PASSWORD_RESET_REQUESTED, user_id=user_id)
        await emit(
            connection,
            "identity.user.password_reset_requested",
            user_id=user_id,
            message=events.UserPasswordResetRequested(user_id=str(user_id)),
        )


async def create_password_link(
    pool: asyncpg.Pool,
    *,
    user_id: uuid.UUID,
    purpose: PasswordLinkPurpose,
    ttl: timedelta,
    event_id: uuid.UUID | None,
) -> tuple[str, datetime]:
    """Issue a link for the notifier to e-mail; returns (token, expiry)."""
    async with pool.acquire() as connection, connection.transaction():
        exists = await connection.fetchval("SELECT 1 FROM users WHERE id = $1", user_id)
        if exists is None:
            raise UserNotFoundError(f"no user {user_id}", field="user_id")
        link = await issue_password_link(
            connection, user_id=user_id, purpose=purpose, ttl=ttl, event_id=event_id
        )
    return link.token, link.expires_at


async def update_profile(
    pool: asyncpg.Pool,
    *,
    user_id: uuid.UUID,
    first_name: str,
    last_name: str,
    email_language: str,
) -> User:
    """Change the name and e-mail language. Relying services read them at the user's next
    sign-in (the registry refreshes its copy then, as the manual says)."""
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(
            f"""UPDATE users SET first_name = $2, last_name = $3, email_language = $4,
                                 updated_at = now()
                 WHERE id = $1
             RETURNING {USER_COLUMNS}""",
            user_id,
            first_name,
            last_name,
            email_language,
        )
        if row is None:
            raise UserNotFoundError(f"no user {user_id}", field="user_id")
        await audit.record(connection, kind=AuditKind.PROFILE_UPDATED, user_id=user_id)
    return User.from_row(row)


async def get_user(pool: asyncpg.Pool, *, user_id: uuid.UUID) -> User:
    row = await pool.fetchrow(f"SELECT {USER_COLUMNS} FROM users WHERE id = $1", user_id)
    if row is None:
        raise UserNotFoundError(f"no user {user_id}", field="user_id")
    return User.from_row(row)


async def get_users(pool: asyncpg.Pool, *, user_ids: Sequence[uuid.UUID]) -> list[User]:
    rows = await pool.fetch(
        f"SELECT {USER_COLUMNS} FROM users WHERE id = ANY($1::uuid[])", list(user_ids)
    )
    return [User.from_row(row) for row in rows]


async def get_user_by_email(pool: asyncpg.Pool, *, email: str) -> User:
    row = await pool.fetchrow(
        f"SELECT {USER_COLUMNS} FROM users WHERE email_normalized = $1", normalize_email(email)
    )
    if row is None:
        raise UserNotFoundError("no user with that e-mail address", field="email")
    return User.from_row(row)
