"""The SQL of captcha challenges: store one, read its answer while open, spend it once."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_identity.tables import captcha_challenges

_OPEN = (captcha_challenges.c.used_at.is_(None), captcha_challenges.c.expires_at > func.now())


async def insert_challenge(
    connection: AsyncConnection, *, challenge_id: uuid.UUID, answer: str, expires_at: datetime
) -> None:
    await connection.execute(
        insert(captcha_challenges).values(id=challenge_id, answer=answer, expires_at=expires_at)
    )


async def open_answer(connection: AsyncConnection, *, challenge_id: uuid.UUID) -> str | None:
    """The answer of a challenge neither spent nor expired."""
    answer: str | None = await connection.scalar(
        select(captcha_challenges.c.answer).where(captcha_challenges.c.id == challenge_id, *_OPEN)
    )
    return answer


async def spend(connection: AsyncConnection, *, challenge_id: uuid.UUID) -> str | None:
    """Mark an open challenge used and return its answer; None when it was not open."""
    answer: str | None = await connection.scalar(
        update(captcha_challenges)
        .where(captcha_challenges.c.id == challenge_id, *_OPEN)
        .values(used_at=func.now())
        .returning(captcha_challenges.c.answer)
    )
    return answer
