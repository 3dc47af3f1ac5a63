"""Accounts on a rolled-back database: sign-up, password links and the wrong-password buckets
(the statements in accounts/queries.py, through the service functions the transports call)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.db import Database
from gatehouse_identity.accounts import service as accounts
from gatehouse_identity.accounts.errors import (
    AccountBlockedError,
    InvalidCredentialsError,
    InvalidLinkError,
)
from gatehouse_identity.accounts.links import LinkRequest
from gatehouse_identity.accounts.models import PasswordLinkPurpose, UserStatus
from gatehouse_identity.accounts.sign_in import authenticate
from gatehouse_identity.password_hashing import PasswordHasher
from gatehouse_identity.tables import audit_log, outbox_events, password_links
from gatehouse_identity.throttling.devices import UNKNOWN_CLIENTS

PASSWORD = "Correct horse battery 9"
HOUR = timedelta(hours=1)


@pytest.fixture(scope="module")
def hasher() -> Iterator[PasswordHasher]:
    """A cheap argon2: these tests are about the rules, not the hash's cost."""
    made = PasswordHasher(time_cost=1, memory_kib=64, parallelism=1, threads=1)
    yield made
    made.close()


async def _event_types(connection: AsyncConnection) -> list[str]:
    rows = await connection.scalars(
        select(outbox_events.c.event_type).order_by(outbox_events.c.created_at)
    )
    return list(rows)


async def test_signing_up_twice_tells_the_owner_not_the_caller(
    rolled_back_database: Database, db_connection: AsyncConnection
) -> None:
    for _ in range(2):
        await accounts.create_account(
            rolled_back_database,
            email=" Anna@Example.TEST ",
            first_name="Anna",
            last_name="Svensson",
            email_language="sv",
            privacy_statement_version="2026-01",
            captcha_required=False,
            captcha_id=None,
            captcha_answer=None,
        )
    user = await accounts.get_user_by_email(rolled_back_database, email="anna@example.test")
    assert (user.email, user.status) == ("Anna@Example.TEST", UserStatus.PENDING_PASSWORD)
    assert await _event_types(db_connection) == [
        "identity.user.created",
        "identity.user.registration_repeated",
    ]


async def test_only_the_newest_link_sets_the_password_once(
    rolled_back_database: Database,
    db_connection: AsyncConnection,
    make_user: Any,
    hasher: PasswordHasher,
) -> None:
    user_id = await make_user(status="pending_password")
    unknown = uuid.uuid4()
    batch = [
        LinkRequest(user_id=user_id, purpose=PasswordLinkPurpose.SET, ttl=HOUR),
        LinkRequest(user_id=unknown, purpose=PasswordLinkPurpose.SET, ttl=HOUR),
        LinkRequest(user_id=user_id, purpose=PasswordLinkPurpose.SET, ttl=HOUR),
    ]
    first, nothing, newest = await accounts.create_password_links(
        rolled_back_database, requests=batch
    )
    assert first is not None
    assert newest is not None
    assert nothing is None  # identity does not know that user
    open_links = await db_connection.scalar(
        select(func.count()).where(password_links.c.used_at.is_(None))
    )
    assert open_links == 1  # only the newest
    assert not await accounts.password_link_usable(rolled_back_database, token=first.token)

    user = await accounts.set_password_with_link(
        rolled_back_database, hasher=hasher, token=newest.token, password=PASSWORD
    )
    assert user.status is UserStatus.ACTIVE
    with pytest.raises(InvalidLinkError):
        await accounts.set_password_with_link(
            rolled_back_database, hasher=hasher, token=newest.token, password=PASSWORD
        )


async def test_wrong_passwords_in_a_row_block_only_the_unknown_clients(
    rolled_back_database: Database, make_user: Any, hasher: PasswordHasher
) -> None:
    email = "bo@example.test"
    await make_user(email=email, password_hash=await hasher.hash(PASSWORD))

    async def attempt(password: str, bucket: str = UNKNOWN_CLIENTS) -> Any:
        return await authenticate(
            rolled_back_database,
            hasher=hasher,
            email=email,
            password=password,
            max_failed_attempts=2,
            bucket=bucket,
        )

    for _ in range(2):
        with pytest.raises(InvalidCredentialsError):
            await attempt("wrong")
    with pytest.raises(InvalidCredentialsError):  # blocked: even the right one is refused
        await attempt(PASSWORD)
    assert (await attempt(PASSWORD, bucket="device:1")).email == email

    for _ in range(2):  # the user's own browser: the whole account
        with pytest.raises(InvalidCredentialsError):
            await attempt("wrong", bucket="device:1")
    with pytest.raises(AccountBlockedError):
        await attempt(PASSWORD, bucket="device:1")
    user = await accounts.get_user_by_email(rolled_back_database, email=email)
    assert user.status is UserStatus.BLOCKED
    with pytest.raises(AccountBlockedError):  # from any browser of the user's
        await attempt(PASSWORD, bucket="device:2")


async def test_unknown_addresses_sign_in_as_nobody(
    rolled_back_database: Database, db_connection: AsyncConnection, hasher: PasswordHasher
) -> None:
    with pytest.raises(InvalidCredentialsError):
        await authenticate(
            rolled_back_database,
            hasher=hasher,
            email="nobody@example.test",
            password=PASSWORD,
            max_failed_attempts=5,
        )
    reasons = await db_connection.scalars(
        select(audit_log.c.detail["reason"].astext).where(audit_log.c.user_id.is_(None))
    )
    assert list(reasons) == ["no_such_account"]
