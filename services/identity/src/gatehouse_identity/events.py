"""Identity's events, written to the outbox in the caller's transaction."""

from __future__ import annotations

import uuid

from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.outbox import add_event

SOURCE = "gatehouse/identity"


async def emit(
    connection: AsyncConnection,
    event_type: str,
    *,
    user_id: uuid.UUID,
    message: Message,
) -> uuid.UUID:
    """Returns the event's id (which the notifier names when it asks for an e-mailed link)."""
    event = await add_event(
        connection, event_type=event_type, source=SOURCE, subject=str(user_id), message=message
    )
    return uuid.UUID(event.id)
