"""Challenges in progress (`mfa_challenges`): SMS codes, WebAuthn ceremonies, app push requests
and app QR codes, each bound to the sign-in attempt (session) that asked for it."""

from __future__ import annotations

import uuid
from datetime import datetime

from gatehouse_identity.mfa.runtime import Db
from gatehouse_identity.sessions.models import Session


async def store(
    db: Db,
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
    await db.execute(
        """INSERT INTO mfa_challenges (id, user_id, session_hash, kind, challenge, factor_id,
                                       number, origin_ip, origin_user_agent, created_at,
                                       expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
        challenge_id,
        session.user_id,
        session.id_hash,
        kind,
        challenge,
        factor_id,
        number,
        origin_ip,
        origin_user_agent,
        created_at,
        expires_at,
    )
    return challenge_id


async def count_recent(db: Db, *, session: Session, kind: str, since: datetime) -> int:
    """Challenges of `kind` this sign-in attempt started since `since`."""
    count = await db.fetchval(
        """SELECT count(*) FROM mfa_challenges
            WHERE session_hash = $1 AND kind = $2 AND created_at > $3""",
        session.id_hash,
        kind,
        since,
    )
    return int(count or 0)


async def supersede_pending(db: Db, *, session: Session, kind: str) -> None:
    """A new challenge replaces the attempt's earlier ones of the same kind."""
    await db.execute(
        """UPDATE mfa_challenges SET status = 'used'
            WHERE session_hash = $1 AND kind = $2 AND status = 'pending'""",
        session.id_hash,
        kind,
    )


async def delete_expired(db: Db, *, user_id: uuid.UUID, before: datetime) -> None:
    await db.execute(
        "DELETE FROM mfa_challenges WHERE user_id = $1 AND expires_at < $2", user_id, before
    )
