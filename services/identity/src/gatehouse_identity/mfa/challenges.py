"""Challenges in progress (`mfa_challenges`): SMS codes, WebAuthn ceremonies, app push requests
and app QR codes, each bound to the sign-in attempt (session) that asked for it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_identity.mfa import queries
from gatehouse_identity.sessions.models import Session


async def store(
    connection: AsyncConnection,
    *,
    session: Session,
    kind: str,
    challenge: bytes,
    created_at: datetime,
    expires_at: datetime,
    factor_id: uuid.UUID | None = None,
    number: int | None = None,
    origin_ip: str | None = None,
    origin_user_agent: str | None = None,
) -> uuid.UUID:
    challenge_id = uuid.uuid4()
    await queries.add_challenge(
        connection,
        challenge_id=challenge_id,
        user_id=session.user_id,
        session_hash=session.id_hash,
        kind=kind,
        challenge=challenge,
        factor_id=factor_id,
        number=number,
        origin_ip=origin_ip,
        origin_user_agent=origin_user_agent,
        created_at=created_at,
        expires_at=expires_at,
    )
    return challenge_id


async def count_recent(
    connection: AsyncConnection, *, session: Session, kind: str, since: datetime
) -> int:
    """Challenges of `kind` this sign-in attempt started since `since`."""
    return await queries.count_recent_challenges(
        connection, session_hash=session.id_hash, kind=kind, since=since
    )


async def supersede_pending(connection: AsyncConnection, *, session: Session, kind: str) -> None:
    """A new challenge replaces the attempt's earlier ones of the same kind."""
    await queries.supersede_pending_challenges(connection, session_hash=session.id_hash, kind=kind)


async def delete_expired(
    connection: AsyncConnection, *, user_id: uuid.UUID, before: datetime
) -> None:
    await queries.delete_expired_challenges(connection, user_id=user_id, before=before)
