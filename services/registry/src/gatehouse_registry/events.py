"""The registry's events, written to the outbox in the caller's transaction."""

from __future__ import annotations

import uuid

from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.outbox import add_event

SOURCE = "gatehouse/registry"


async def emit(
    connection: AsyncConnection, event_type: str, *, subject: uuid.UUID, message: Message
) -> None:
    """`subject` is the aggregate the event is about (operator, role request or user id)."""
    await add_event(
        connection, event_type=event_type, source=SOURCE, subject=str(subject), message=message
    )
