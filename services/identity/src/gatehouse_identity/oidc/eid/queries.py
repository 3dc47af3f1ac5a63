"""The SQL of eID: the links between accounts and eIDs, and the `state` of a sign-in or link
in progress at the broker (single use: taking it deletes it)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_identity.tables import eid_links, eid_states


@dataclass(frozen=True)
class EidLink:
    provider: str
    linked_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True)
class EidState:
    """A sign-in or link at the broker, as kept until the browser comes back."""

    browser_binding: bytes
    provider: str
    purpose: str
    user_id: uuid.UUID | None
    session_id_hash: bytes | None
    nonce: str
    code_verifier: str
    next_path: str
    expires_at: datetime


async def links_of(connection: AsyncConnection, *, user_id: uuid.UUID) -> list[EidLink]:
    rows = await connection.execute(
        select(eid_links.c.provider, eid_links.c.linked_at, eid_links.c.last_used_at).where(
            eid_links.c.user_id == user_id
        )
    )
    return [
        EidLink(provider=row.provider, linked_at=row.linked_at, last_used_at=row.last_used_at)
        for row in rows
    ]


async def delete_link(connection: AsyncConnection, *, user_id: uuid.UUID, provider: str) -> None:
    await connection.execute(
        delete(eid_links).where(eid_links.c.user_id == user_id, eid_links.c.provider == provider)
    )


async def insert_link(
    connection: AsyncConnection, *, provider: str, subject: str, user_id: uuid.UUID
) -> None:
    """IntegrityError when the eID is linked already, or the account has one of this kind."""
    await connection.execute(
        insert(eid_links).values(provider=provider, subject=subject, user_id=user_id)
    )


async def owner_of(connection: AsyncConnection, *, provider: str, subject: str) -> uuid.UUID | None:
    owner: uuid.UUID | None = await connection.scalar(
        select(eid_links.c.user_id).where(
            eid_links.c.provider == provider, eid_links.c.subject == subject
        )
    )
    return owner


async def use_link(connection: AsyncConnection, *, provider: str, subject: str) -> uuid.UUID | None:
    """The account the eID is linked to (its last use now), or None."""
    user_id: uuid.UUID | None = await connection.scalar(
        update(eid_links)
        .where(eid_links.c.provider == provider, eid_links.c.subject == subject)
        .values(last_used_at=func.now())
        .returning(eid_links.c.user_id)
    )
    return user_id


async def insert_state(connection: AsyncConnection, *, state_hash: bytes, state: EidState) -> None:
    await connection.execute(
        insert(eid_states).values(
            state_hash=state_hash,
            browser_binding=state.browser_binding,
            provider=state.provider,
            purpose=state.purpose,
            user_id=state.user_id,
            session_id_hash=state.session_id_hash,
            nonce=state.nonce,
            code_verifier=state.code_verifier,
            next=state.next_path,
            expires_at=state.expires_at,
        )
    )


async def take_state(connection: AsyncConnection, *, state_hash: bytes) -> EidState | None:
    """Delete the state (it works once, whatever happens next) and return what it kept."""
    row = (
        await connection.execute(
            delete(eid_states)
            .where(eid_states.c.state_hash == state_hash)
            .returning(
                eid_states.c.browser_binding,
                eid_states.c.provider,
                eid_states.c.purpose,
                eid_states.c.user_id,
                eid_states.c.session_id_hash,
                eid_states.c.nonce,
                eid_states.c.code_verifier,
                eid_states.c.next,
                eid_states.c.expires_at,
            )
        )
    ).first()
    if row is None:
        return None
    return EidState(
        browser_binding=bytes(row.browser_binding),
        provider=row.provider,
        purpose=row.purpose,
        user_id=row.user_id,
        session_id_hash=bytes(row.session_id_hash) if row.session_id_hash else None,
        nonce=row.nonce,
        code_verifier=row.code_verifier,
        next_path=row.next,
        expires_at=row.expires_at,
    )
