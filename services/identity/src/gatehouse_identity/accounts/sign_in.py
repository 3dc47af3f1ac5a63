"""Signing in with a password, as both transports (JSON API and pages) do it.

Wrong passwords in a row are counted per account and *client bucket*: the browser's own (a
device cookie says it signed in to this account before, OWASP's device cookies) or the one all
unknown clients share. Five in a row block the bucket: for unknown clients only they are shut out
(the user's own browsers keep working); for the user's own browser the whole account, as the
manual says. An address that failed too often must first solve a captcha (throttling), and a
browser not yet known for the account gets a device cookie on success.

Everything comes in as plain values (the address, the device cookie), so the rules do not care
which transport asked.
"""

from __future__ import annotations

import uuid
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from typing import NoReturn

from prometheus_client import Counter

from gatehouse.events.v1 import identity_events_pb2 as events
from gatehouse_common.db import Database
from gatehouse_identity.accounts import queries
from gatehouse_identity.accounts.errors import (
    AccountBlockedError,
    InvalidCredentialsError,
)
from gatehouse_identity.accounts.models import User, UserStatus
from gatehouse_identity.accounts.service import normalize_email
from gatehouse_identity.audit import service as audit
from gatehouse_identity.audit.service import AuditKind
from gatehouse_identity.captcha import service as captcha
from gatehouse_identity.events import emit
from gatehouse_identity.password_hashing import PasswordHasher
from gatehouse_identity.sessions.service import end_user_sessions
from gatehouse_identity.settings import IdentitySettings
from gatehouse_identity.throttling.devices import (
    UNKNOWN_CLIENTS,
    failure_bucket,
    issue_device_cookie,
)
from gatehouse_identity.throttling.sign_in_guard import captcha_gate, captcha_required

SIGN_INS = Counter("gatehouse_identity_sign_ins_total", "Password sign-ins by outcome", ["outcome"])
ACCOUNTS_BLOCKED = Counter(
    "gatehouse_identity_accounts_blocked_total",
    "Accounts (or their unknown-clients bucket) blocked after wrong passwords in a row",
)
ATTACKS_FLAGGED = Counter(
    "gatehouse_identity_password_attacks_flagged_total",
    "Accounts whose unknown-clients bucket was blocked: someone other than the user guessing",
)
UNKNOWN_ADDRESS = "unknown"


@dataclass(frozen=True)
class PasswordSignIn:
    user: User
    # A device cookie to set when this browser was not yet known for the account, else None.
    new_device_cookie: str | None


def device_key(settings: IdentitySettings) -> bytes:
    return b"device-cookie:" + settings.secret_key.get_secret_value().encode()


async def sign_in_with_password(
    database: Database,
    *,
    hasher: PasswordHasher,
    settings: IdentitySettings,
    email: str,
    password: str,
    address: str | None,
    device_cookie: str | None,
    captcha_id: uuid.UUID | None = None,
    captcha_answer: str | None = None,
) -> PasswordSignIn:
    """The user behind e-mail and password: a captcha first when the address failed too often
    (its slot reserved before argon2 runs, throttling.sign_in_guard), the attempt counted in
    the device's bucket, a device cookie for a browser not yet known."""
    key = device_key(settings)
    bucket = failure_bucket(key, cookie=device_cookie, email=email)
    gate: AbstractAsyncContextManager[None] = (
        captcha_gate(
            database,
            address=address or UNKNOWN_ADDRESS,
            after_failures=settings.captcha_after_failed_sign_ins,
            captcha_id=captcha_id,
            captcha_answer=captcha_answer,
            failure=InvalidCredentialsError,
        )
        if settings.throttling_enabled
        else nullcontext()
    )
    async with gate:
        user = await authenticate(
            database,
            hasher=hasher,
            email=email,
            password=password,
            max_failed_attempts=settings.max_failed_password_attempts,
            bucket=bucket,
        )
    known = bucket != UNKNOWN_CLIENTS
    return PasswordSignIn(
        user=user, new_device_cookie=None if known else issue_device_cookie(key, email=email)
    )


async def authenticate(
    database: Database,
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
    async with database.connection() as connection:
        candidate = await queries.sign_in_candidate(
            connection, email_normalized=normalize_email(email)
        )
        # A slot to check the password in this bucket: `max_failed_attempts` in a row. A
        # blocked *browser's own* bucket (its signed device cookie) gets as many again, to tell
        # the right password's owner that the account is blocked (issue 14, point 4); the
        # unknown-clients bucket gets none, so guessers never get more checks than before.
        reserved = (
            None
            if candidate is None
            else await queries.reserve_check(
                connection,
                user_id=candidate.user_id,
                bucket=bucket,
                allowed=max_failed_attempts,
                allowed_when_blocked=0 if bucket == UNKNOWN_CLIENTS else 2 * max_failed_attempts,
            )
        )
    if candidate is None or reserved is None:
        await hasher.verify_dummy(password)
        SIGN_INS.labels("failed").inc()
        # Never the typed address: for an unknown one, nobody is named.
        await audit.record(
            database,
            kind=AuditKind.SIGN_IN_FAILED,
            user_id=candidate.user_id if candidate is not None else None,
            detail={
                "reason": "no_such_account" if candidate is None else "bucket_blocked",
                "bucket": _bucket_kind(bucket),
            },
        )
        raise InvalidCredentialsError("wrong e-mail address or password")
    if candidate.status is UserStatus.BLOCKED or reserved.bucket_blocked:
        await _refuse_blocked(
            database, hasher=hasher, user_id=candidate.user_id, password=password, bucket=bucket,
            password_hash=candidate.password_hash,
        )  # fmt: skip
    if await hasher.verify(candidate.password_hash, password):
        SIGN_INS.labels("succeeded").inc()
        return await _record_success(
            database,
            hasher=hasher,
            user_id=candidate.user_id,
            bucket=bucket,
            password=password,
            password_hash=candidate.password_hash,
        )
    SIGN_INS.labels("failed").inc()
    await audit.record(
        database,
        kind=AuditKind.SIGN_IN_FAILED,
        user_id=candidate.user_id,
        detail={"reason": "wrong_password", "bucket": _bucket_kind(bucket)},
    )
    if reserved.failures >= max_failed_attempts:
        await _block(
            database, user_id=candidate.user_id, bucket=bucket, failed_attempts=reserved.failures
        )
    raise InvalidCredentialsError("wrong e-mail address or password")


async def _refuse_blocked(
    database: Database,
    *,
    hasher: PasswordHasher,
    user_id: uuid.UUID,
    password: str,
    password_hash: str,
    bucket: str,
) -> NoReturn:
    """A blocked account or bucket never signs in. The same single argon2 verification as any
    attempt decides only what is said: that it is blocked, to the right password's owner; "wrong
    e-mail address or password" to anyone else."""
    right = await hasher.verify(password_hash, password)
    SIGN_INS.labels("failed").inc()
    await audit.record(
        database,
        kind=AuditKind.SIGN_IN_FAILED,
        user_id=user_id,
        detail={
            "reason": "blocked_right_password" if right else "bucket_blocked",
            "bucket": _bucket_kind(bucket),
        },
    )
    if right:
        raise AccountBlockedError("the account is blocked: set a new password from a reset link")
    raise InvalidCredentialsError("wrong e-mail address or password")


def _bucket_kind(bucket: str) -> str:
    """What the audit log says about a bucket: never the device nonce itself."""
    return "unknown" if bucket == UNKNOWN_CLIENTS else "device"


async def _record_success(
    database: Database,
    *,
    hasher: PasswordHasher,
    user_id: uuid.UUID,
    bucket: str,
    password: str,
    password_hash: str,
) -> User:
    new_hash = await hasher.hash(password) if hasher.needs_rehash(password_hash) else None
    async with database.transaction() as connection:
        # Success ends this bucket's run of failures (never a blocked bucket: it got no slot).
        await queries.end_failure_run(connection, user_id=user_id, bucket=bucket)
        user = await queries.rehash_password(connection, user_id=user_id, new_hash=new_hash)
        if user is None:  # pragma: no cover - the user was just read; rows are never deleted
            raise InvalidCredentialsError("wrong e-mail address or password")
        await audit.record(
            connection,
            kind=AuditKind.SIGN_IN_SUCCEEDED,
            user_id=user_id,
            detail={"bucket": _bucket_kind(bucket)},
        )
    return user


async def _block(
    database: Database, *, user_id: uuid.UUID, bucket: str, failed_attempts: int
) -> None:
    """Five in a row: block the bucket. Unknown clients: only they are shut out (the user's own
    browsers keep working). The user's own browser: the whole account, as the manual says."""
    unknown_only = bucket == UNKNOWN_CLIENTS
    async with database.transaction() as connection:
        if not await queries.block_bucket(connection, user_id=user_id, bucket=bucket):
            return  # a parallel attempt blocked it first; one e-mail is enough
        if unknown_only:
            ATTACKS_FLAGGED.inc()
        else:
            await queries.block_user(connection, user_id=user_id)
            await end_user_sessions(connection, user_id=user_id)
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


async def captcha_for_form(
    database: Database, *, settings: IdentitySettings, address: str | None
) -> uuid.UUID | None:
    """A captcha for the sign-in form when this address has failed too often, else None."""
    if not settings.throttling_enabled or not await captcha_required(
        database,
        address=address or UNKNOWN_ADDRESS,
        after_failures=settings.captcha_after_failed_sign_ins,
    ):
        return None
    return await captcha.create_challenge(database)
