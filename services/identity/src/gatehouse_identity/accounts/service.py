"""Accounts: create, set and change passwords, reset links, profiles, look users up (signing in
with a password is `sign_in.py`).

Every function takes its collaborators as keyword arguments, opens its own transaction when it
changes state, and writes the matching event to the outbox in that same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from gatehouse.events.v1 import identity_events_pb2 as events
from gatehouse_common.db import Database
from gatehouse_identity.accounts import queries
from gatehouse_identity.accounts.errors import UserNotFoundError, WrongCurrentPasswordError
from gatehouse_identity.accounts.links import (
    IssuedLink,
    LinkRequest,
    LinkReturn,
    check_password_link,
    consume_password_link,
    issue_password_link,
    issue_password_links,
    remember_return,
    return_of_link,
)
from gatehouse_identity.accounts.models import PasswordLinkPurpose, User, UserStatus
from gatehouse_identity.accounts.passwords import check_password_rule
from gatehouse_identity.audit import service as audit
from gatehouse_identity.audit.service import AuditKind
from gatehouse_identity.captcha import service as captcha
from gatehouse_identity.events import emit
from gatehouse_identity.password_hashing import PasswordHasher
from gatehouse_identity.sessions.service import end_user_sessions


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def create_account(
    database: Database,
    *,
    email: str,
    first_name: str,
    last_name: str,
    email_language: str,
    privacy_statement_version: str,
    captcha_required: bool,
    captcha_id: uuid.UUID | None,
    captcha_answer: str | None,
    back: LinkReturn | None = None,
) -> None:
    """Create a pending account, or tell the existing owner: the caller never learns which.
    With `captcha_required`, the captcha must be solved first (it is spent either way).
    `back`: where signing in goes after the e-mailed link has set the password."""
    if captcha_required:
        await captcha.check_answer(database, challenge_id=captcha_id, answer=captcha_answer)
    now = datetime.now(UTC)
    async with database.transaction() as connection:
        existing = await queries.user_id_by_email(
            connection, email_normalized=normalize_email(email)
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
        inserted = await queries.insert_pending_user(
            connection,
            user_id=user_id,
            email=email.strip(),
            email_normalized=normalize_email(email),
            first_name=first_name,
            last_name=last_name,
            email_language=email_language,
            privacy_statement_version=privacy_statement_version,
            privacy_statement_accepted_at=now,
        )
        if not inserted:  # a parallel sign-up with the same address won the race
            return
        event_id = await emit(
            connection,
            "identity.user.created",
            user_id=user_id,
            message=events.UserCreated(user_id=str(user_id)),
        )
        if back is not None:
            await remember_return(connection, event_id=event_id, back=back)


async def set_password_with_link(
    database: Database, *, hasher: PasswordHasher, token: str, password: str
) -> User:
    """Use an e-mailed link to set the first password or replace a forgotten/blocked one.

    Setting a password through a link also unblocks the account and ends its other sessions.
    """
    check_password_rule(password)
    password_hash = await hasher.hash(password)
    async with database.transaction() as connection:
        user_id = await consume_password_link(connection, token)
        previous_status = await queries.lock_status(connection, user_id=user_id)
        user = await queries.set_password_unblocked(
            connection, user_id=user_id, password_hash=password_hash
        )
        if user is None:  # pragma: no cover - a link's user cannot go (ON DELETE CASCADE)
            raise UserNotFoundError(f"no user {user_id}", field="user_id")
        await end_user_sessions(connection, user_id=user_id)
        # A new password from an e-mailed link unblocks every bucket (the manual's remedy).
        await queries.delete_failure_buckets(connection, user_id=user_id)
        replaced = previous_status != UserStatus.PENDING_PASSWORD
        await audit.record(
            connection,
            kind=AuditKind.PASSWORD_SET,
            user_id=user_id,
            detail={"replaced": replaced},
        )
        await emit(
            connection,
            "identity.user.password_set",
            user_id=user_id,
            message=events.UserPasswordSet(user_id=str(user_id), replaced=replaced),
        )
    return user


async def change_password(
    database: Database,
    *,
    hasher: PasswordHasher,
    user_id: uuid.UUID,
    current_password: str,
    new_password: str,
    keep_session_hash: bytes | None = None,
) -> None:
    """Change the password of a signed-in user, who must type the current one again."""
    check_password_rule(new_password, field="new_password")
    async with database.connection() as connection:
        current_hash = await queries.active_password_hash(connection, user_id=user_id)
    if current_hash is None or not await hasher.verify(current_hash, current_password):
        raise WrongCurrentPasswordError("the current password is wrong", field="current_password")
    new_hash = await hasher.hash(new_password)
    async with database.transaction() as connection:
        await queries.set_password_hash(connection, user_id=user_id, password_hash=new_hash)
        # Other sessions may belong to whoever knew the old password.
        await end_user_sessions(connection, user_id=user_id, keep_hash=keep_session_hash)
        await audit.record(connection, kind=AuditKind.PASSWORD_CHANGED, user_id=user_id)
        await emit(
            connection,
            "identity.user.password_changed",
            user_id=user_id,
            message=events.UserPasswordChanged(user_id=str(user_id)),
        )


async def request_password_reset(
    database: Database, *, email: str, back: LinkReturn | None = None
) -> None:
    """E-mail a reset link if the address has an account; say nothing either way. `back`: where
    signing in goes after the link has set the password."""
    async with database.transaction() as connection:
        user_id = await queries.user_id_by_email(
            connection, email_normalized=normalize_email(email)
        )
        if user_id is None:
            return
        await audit.record(connection, kind=AuditKind.PASSWORD_RESET_REQUESTED, user_id=user_id)
        event_id = await emit(
            connection,
            "identity.user.password_reset_requested",
            user_id=user_id,
            message=events.UserPasswordResetRequested(user_id=str(user_id)),
        )
        if back is not None:
            await remember_return(connection, event_id=event_id, back=back)


async def password_link_usable(database: Database, *, token: str) -> bool:
    """True when an e-mailed link can still be used (to show its form before the user types)."""
    async with database.connection() as connection:
        return await check_password_link(connection, token)


async def link_return(database: Database, *, token: str) -> LinkReturn | None:
    """Where the sign-in that asked for the e-mailed link `token` was going, if it was asked for
    from a sign-in page (read before the link is used: it is the same afterwards)."""
    async with database.connection() as connection:
        return await return_of_link(connection, token)


async def create_password_link(
    database: Database,
    *,
    user_id: uuid.UUID,
    purpose: PasswordLinkPurpose,
    ttl: timedelta,
    event_id: uuid.UUID | None,
) -> tuple[str, datetime]:
    """Issue a link for the notifier to e-mail; returns (token, expiry)."""
    async with database.transaction() as connection:
        if not await queries.known_user_ids(connection, user_ids=[user_id]):
            raise UserNotFoundError(f"no user {user_id}", field="user_id")
        link = await issue_password_link(
            connection, user_id=user_id, purpose=purpose, ttl=ttl, event_id=event_id
        )
    return link.token, link.expires_at


async def create_password_links(
    database: Database, *, requests: Sequence[LinkRequest]
) -> list[IssuedLink | None]:
    """`create_password_link` for several users in one transaction (the notifier's batches);
    one result per request, in order, None for a user identity does not know."""
    async with database.transaction() as connection:
        known = await queries.known_user_ids(
            connection, user_ids=list({request.user_id for request in requests})
        )
        issued = iter(
            await issue_password_links(connection, [r for r in requests if r.user_id in known])
        )
    return [next(issued) if request.user_id in known else None for request in requests]


async def update_profile(
    database: Database,
    *,
    user_id: uuid.UUID,
    first_name: str,
    last_name: str,
    email_language: str,
) -> User:
    """Change the name and e-mail language. Relying services read them at the user's next
    sign-in (the registry refreshes its copy then, as the manual says)."""
    async with database.transaction() as connection:
        user = await queries.update_profile(
            connection,
            user_id=user_id,
            first_name=first_name,
            last_name=last_name,
            email_language=email_language,
        )
        if user is None:
            raise UserNotFoundError(f"no user {user_id}", field="user_id")
        await audit.record(connection, kind=AuditKind.PROFILE_UPDATED, user_id=user_id)
    return user


async def get_user(database: Database, *, user_id: uuid.UUID) -> User:
    async with database.connection() as connection:
        user = await queries.user_by_id(connection, user_id=user_id)
    if user is None:
        raise UserNotFoundError(f"no user {user_id}", field="user_id")
    return user


async def get_users(database: Database, *, user_ids: Sequence[uuid.UUID]) -> list[User]:
    async with database.connection() as connection:
        return await queries.users_by_ids(connection, user_ids=user_ids)


async def get_user_by_email(database: Database, *, email: str) -> User:
    async with database.connection() as connection:
        user = await queries.user_by_email(connection, email_normalized=normalize_email(email))
    if user is None:
        raise UserNotFoundError("no user with that e-mail address", field="email")
    return user
