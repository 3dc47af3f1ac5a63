"""The user's own live sessions (My account → Sessions): listing, ending one, signing out
everywhere.

Sessions are named by a public id derived from the stored hash (never the hash itself, which is
the database key, nor the token). Deleting a session row fires the OIDC trigger of migration
0004: the grants and tokens it gave are revoked and back-channel logouts are queued.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from gatehouse_common.db import Database
from gatehouse_identity.audit import service as audit
from gatehouse_identity.audit.service import AuditKind
from gatehouse_identity.sessions import queries
from gatehouse_identity.sessions.errors import SessionNotFoundError
from gatehouse_identity.sessions.service import end_user_sessions

PUBLIC_ID_LENGTH = 32  # hex characters


def public_id(id_hash: bytes) -> str:
    return hashlib.sha256(b"gatehouse-session-public-id:" + bytes(id_hash)).hexdigest()[
        :PUBLIC_ID_LENGTH
    ]


@dataclass(frozen=True)
class ActiveSession:
    public_id: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ip_address: str | None
    user_agent: str | None
    level: str
    current: bool


async def active_sessions(
    database: Database, *, user_id: uuid.UUID, current_hash: bytes | None, idle_timeout_s: int
) -> list[ActiveSession]:
    """The user's live sessions (not expired, not idle too long), most recently used first."""
    async with database.connection() as connection:
        found = await queries.live_sessions_of(
            connection, user_id=user_id, idle_timeout=timedelta(seconds=idle_timeout_s)
        )
    return [
        ActiveSession(
            public_id=public_id(live.id_hash),
            created_at=live.created_at,
            last_seen_at=live.last_seen_at,
            expires_at=live.expires_at,
            ip_address=live.ip_address,
            user_agent=live.user_agent or None,
            level=live.level,
            current=current_hash is not None and bytes(live.id_hash) == bytes(current_hash),
        )
        for live in found
    ]


async def end_session(database: Database, *, user_id: uuid.UUID, session_public_id: str) -> None:
    """End one of the user's sessions; SessionNotFoundError when there is no such session."""
    if len(session_public_id) != PUBLIC_ID_LENGTH:
        raise SessionNotFoundError("no such session", field="session_id")
    async with database.transaction() as connection:
        hashes = await queries.lock_session_hashes(connection, user_id=user_id)
        target = next((h for h in hashes if public_id(h) == session_public_id), None)
        if target is None:
            raise SessionNotFoundError("no such session", field="session_id")
        await queries.delete_session(connection, id_hash=target, user_id=user_id)
        await audit.record(connection, kind=AuditKind.SESSION_ENDED, user_id=user_id)


async def sign_out_everywhere(database: Database, *, user_id: uuid.UUID) -> int:
    """End every session of the user (this one too); returns how many ended."""
    async with database.transaction() as connection:
        ended = await end_user_sessions(connection, user_id=user_id)
        await audit.record(
            connection,
            kind=AuditKind.SIGNED_OUT_EVERYWHERE,
            user_id=user_id,
            detail={"sessions_ended": ended},
        )
    return ended
