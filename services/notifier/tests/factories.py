"""Rows the notifier's tests start from, written through tables.py on the caller's connection
(a test's rolled-back `db_connection`, or a committed one when a running courier must see them;
see gatehouse_devstack.pytest_plugin)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Interval, func, insert, literal
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_notifier.messages import Status
from gatehouse_notifier.tables import handled_events, messages


async def message(
    connection: AsyncConnection,
    *,
    status: Status = Status.QUEUED,
    recipient_email: str | None = "someone@example.test",
    due_in: timedelta = timedelta(0),
    **columns: Any,
) -> uuid.UUID:
    """A rendered message as the consumer writes it, due `due_in` from now; its id."""
    event_id = columns.pop("event_id", uuid.uuid4())
    values = {
        "id": uuid.uuid4(),
        "event_id": event_id,
        "event_type": "identity.user.password_changed",
        "event_time": datetime.now(UTC),
        "template": "password_changed",
        "language": "en",
        "recipient_user_id": "usr-factory",
        "recipient_email": recipient_email,
        "recipient_name": "Anna Svensson",
        "subject": "Your password has been changed",
        "body_text": "text",
        "body_html": "<p>html</p>",
        "message_id_header": f"<{event_id}@test>",
        "status": status,
        "next_attempt_at": func.now() + literal(due_in, Interval),
        **columns,
    }
    await connection.execute(insert(messages).values(values))
    message_id: uuid.UUID = values["id"]
    return message_id


async def handled_event(connection: AsyncConnection, *, handled_ago: timedelta) -> uuid.UUID:
    event_id = uuid.uuid4()
    await connection.execute(
        insert(handled_events).values(
            event_id=event_id,
            event_type="identity.user.created",
            handled_at=func.now() - literal(handled_ago, Interval),
        )
    )
    return event_id
