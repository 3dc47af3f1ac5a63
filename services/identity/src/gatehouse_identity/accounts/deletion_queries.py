"""The SQL of *Delete my account* (deletion.py): the account locked and read, then removed with
everything that hangs from it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_identity.tables import users


@dataclass(frozen=True)
class Leaving:
    """What the final e-mail needs, read before the row goes."""

    email: str
    email_language: str


async def lock_account(connection: AsyncConnection, *, user_id: uuid.UUID) -> Leaving | None:
    """The account, locked until the transaction ends (a second deletion waits, then finds
    nothing); None when it is gone."""
    row = (
        await connection.execute(
            select(users.c.email, users.c.email_language)
            .where(users.c.id == user_id)
            .with_for_update()
        )
    ).first()
    return None if row is None else Leaving(email=row.email, email_language=row.email_language)


async def delete_account(connection: AsyncConnection, *, user_id: uuid.UUID) -> None:
    """Remove the user's row: every table that names the user by foreign key goes with it
    (ON DELETE CASCADE: second factors and their keys, phone numbers, recovery codes, password
    links, OIDC grants with their codes and tokens, consents, eID links, device-cookie
    failure buckets, seen networks, notices). The audit log has no foreign key: it keeps its
    entries under the bare user id."""
    await connection.execute(delete(users).where(users.c.id == user_id))
