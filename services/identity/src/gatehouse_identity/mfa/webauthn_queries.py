"""The SQL of security keys and passkeys as a second factor (webauthn.py): the user's WebAuthn
handle, their credentials, and the ceremonies' challenges (rows of `mfa_challenges`). The
counter rule is shared with passkey sign-in (passkey_queries.raise_sign_count)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_identity.tables import mfa_challenges, second_factors, users, webauthn_credentials


@dataclass(frozen=True)
class Credential:
    factor_id: uuid.UUID
    credential_id: bytes
    public_key: bytes
    sign_count: int
    transports: list[str]
    device_type: str


async def locked_user_handle(connection: AsyncConnection, *, user_id: uuid.UUID) -> bytes | None:
    """The user's WebAuthn handle, None before their first key; their row stays locked until
    the transaction ends (one handle per user, even when two registrations start at once)."""
    handle = await connection.scalar(
        select(users.c.webauthn_user_handle).where(users.c.id == user_id).with_for_update()
    )
    return None if handle is None else bytes(handle)


async def set_user_handle(
    connection: AsyncConnection, *, user_id: uuid.UUID, handle: bytes
) -> None:
    await connection.execute(
        update(users).where(users.c.id == user_id).values(webauthn_user_handle=handle)
    )


async def active_credentials(
    connection: AsyncConnection, *, user_id: uuid.UUID
) -> list[Credential]:
    rows = await connection.execute(
        select(
            second_factors.c.id,
            webauthn_credentials.c.credential_id,
            webauthn_credentials.c.public_key,
            webauthn_credentials.c.sign_count,
            webauthn_credentials.c.transports,
            webauthn_credentials.c.device_type,
        )
        .join_from(
            second_factors,
            webauthn_credentials,
            webauthn_credentials.c.factor_id == second_factors.c.id,
        )
        .where(second_factors.c.user_id == user_id, second_factors.c.status == "active")
    )
    return [
        Credential(
            factor_id=row.id,
            credential_id=bytes(row.credential_id),
            public_key=bytes(row.public_key),
            sign_count=row.sign_count,
            transports=list(row.transports),
            device_type=row.device_type,
        )
        for row in rows
    ]


async def add_credential(
    connection: AsyncConnection,
    *,
    factor_id: uuid.UUID,
    credential_id: bytes,
    public_key: bytes,
    sign_count: int,
    transports: list[str],
    device_type: str,
    backed_up: bool,
    aaguid: str,
) -> None:
    await connection.execute(
        webauthn_credentials.insert().values(
            factor_id=factor_id,
            credential_id=credential_id,
            public_key=public_key,
            sign_count=sign_count,
            transports=transports,
            device_type=device_type,
            backed_up=backed_up,
            aaguid=aaguid,
        )
    )


async def take_challenge(
    connection: AsyncConnection,
    *,
    challenge_id: uuid.UUID,
    session_hash: bytes,
    kind: str,
    now: datetime,
) -> bytes | None:
    """The challenge's bytes, marked used in one statement (one ceremony per challenge); None
    when it is not this attempt's, not pending or expired."""
    challenge = await connection.scalar(
        update(mfa_challenges)
        .where(
            mfa_challenges.c.id == challenge_id,
            mfa_challenges.c.session_hash == session_hash,
            mfa_challenges.c.kind == kind,
            mfa_challenges.c.status == "pending",
            mfa_challenges.c.expires_at > now,
        )
        .values(status="used", answered_at=now)
        .returning(mfa_challenges.c.challenge)
    )
    return None if challenge is None else bytes(challenge)


async def challenge_status(
    connection: AsyncConnection, *, challenge_id: uuid.UUID, session_hash: bytes, kind: str
) -> str | None:
    status = await connection.scalar(
        select(mfa_challenges.c.status).where(
            mfa_challenges.c.id == challenge_id,
            mfa_challenges.c.session_hash == session_hash,
            mfa_challenges.c.kind == kind,
        )
    )
    return None if status is None else str(status)
