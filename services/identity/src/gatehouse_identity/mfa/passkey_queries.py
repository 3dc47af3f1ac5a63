"""The SQL of passkey-first sign-in (passkeys.py): its challenges, the credential an assertion
names, the counter rule, and the invitation to add a passkey."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Row, exists, false, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_identity.tables import (
    passkey_challenges,
    second_factors,
    users,
    webauthn_credentials,
)


async def add_challenge(
    connection: AsyncConnection, *, challenge_hash: bytes, now: datetime, expires_at: datetime
) -> None:
    await connection.execute(
        passkey_challenges.insert().values(
            challenge_hash=challenge_hash, created_at=now, expires_at=expires_at
        )
    )


async def delete_expired_challenges(connection: AsyncConnection, *, before: datetime) -> None:
    await connection.execute(
        passkey_challenges.delete().where(passkey_challenges.c.expires_at < before)
    )


async def spend_challenge(
    connection: AsyncConnection, *, challenge_hash: bytes, now: datetime
) -> bool:
    """Mark a pending, unexpired challenge used, in one statement: True for the one caller
    that did."""
    spent = await connection.execute(
        update(passkey_challenges)
        .where(
            passkey_challenges.c.challenge_hash == challenge_hash,
            passkey_challenges.c.used_at.is_(None),
            passkey_challenges.c.expires_at > now,
        )
        .values(used_at=now)
        .returning(passkey_challenges.c.challenge_hash)
    )
    return spent.first() is not None


async def challenge_state(connection: AsyncConnection, *, challenge_hash: bytes) -> str | None:
    """ "used" or "expired" for a challenge that could not be spent; None when there is none."""
    row = (
        await connection.execute(
            select(passkey_challenges.c.used_at).where(
                passkey_challenges.c.challenge_hash == challenge_hash
            )
        )
    ).first()
    if row is None:
        return None
    return "used" if row.used_at is not None else "expired"


async def active_credential(connection: AsyncConnection, *, credential_id: bytes) -> Row | None:  # type: ignore[type-arg]
    """The active credential with this id: its factor, user, key, counter, kind and the
    user's WebAuthn handle."""
    statement = (
        select(
            second_factors.c.id,
            second_factors.c.user_id,
            webauthn_credentials.c.public_key,
            webauthn_credentials.c.sign_count,
            webauthn_credentials.c.device_type,
            users.c.webauthn_user_handle,
        )
        .select_from(
            webauthn_credentials.join(
                second_factors, second_factors.c.id == webauthn_credentials.c.factor_id
            ).join(users, users.c.id == second_factors.c.user_id)
        )
        .where(
            webauthn_credentials.c.credential_id == credential_id,
            second_factors.c.status == "active",
        )
    )
    return (await connection.execute(statement)).first()


async def raise_sign_count(
    connection: AsyncConnection, *, factor_id: uuid.UUID, sign_count: int, now: datetime
) -> bool:
    """The counter rule of webauthn.record_use: it must go up (or stay 0 for authenticators
    that keep none). False when it did not: a cloned key. Atomic, so of two parallel
    assertions with the same counter only one raises it."""
    raised = await connection.execute(
        update(webauthn_credentials)
        .where(
            webauthn_credentials.c.factor_id == factor_id,
            or_(
                webauthn_credentials.c.sign_count < sign_count,
                webauthn_credentials.c.sign_count == 0 if sign_count == 0 else false(),
            ),
        )
        .values(sign_count=sign_count)
        .returning(webauthn_credentials.c.factor_id)
    )
    if raised.first() is None:
        return False
    await connection.execute(
        update(second_factors).where(second_factors.c.id == factor_id).values(last_used_at=now)
    )
    return True


async def invitation_due(connection: AsyncConnection, *, user_id: uuid.UUID) -> bool:
    has_key = exists().where(
        second_factors.c.user_id == users.c.id,
        second_factors.c.method == "webauthn",
        second_factors.c.status == "active",
    )
    due = await connection.scalar(
        select(users.c.passkey_invitation_dismissed_at.is_(None) & ~has_key).where(
            users.c.id == user_id
        )
    )
    return bool(due)


async def dismiss_invitation(
    connection: AsyncConnection, *, user_id: uuid.UUID, now: datetime
) -> None:
    await connection.execute(
        update(users)
        .where(users.c.id == user_id, users.c.passkey_invitation_dismissed_at.is_(None))
        .values(passkey_invitation_dismissed_at=now)
    )
