"""What an operator may do to a message (the `messages` command): list the newest, queue a failed
or abandoned one again, give up on a queued or failed one."""

from __future__ import annotations

import uuid

from gatehouse_common.db import Database
from gatehouse_notifier import queries
from gatehouse_notifier.messages import MessageSummary, Status


async def recent(database: Database, *, status: Status | None, limit: int) -> list[MessageSummary]:
    """The newest messages (of one status, if given)."""
    async with database.connection() as connection:
        return await queries.recent_messages(connection, status=status, limit=limit)


async def retry(database: Database, message_id: uuid.UUID) -> str | None:
    """Queue a failed or abandoned message again with a fresh budget; None, or why not."""
    async with database.transaction() as connection:
        message = await queries.lock_message(connection, message_id)
        if message is None:
            return "no such message"
        if message.status not in (Status.FAILED, Status.ABANDONED):
            return f"the message is {message.status}; only failed or abandoned ones can be retried"
        if message.recipient_email is None:
            return "the message has no recipient address (the user was not found)"
        if message.body_scrubbed_at is not None:
            return "the message text has been erased (retention); it cannot be sent any more"
        await queries.queue_again(connection, message_id)
        await queries.notify_couriers(connection)
    return None


async def discard(database: Database, message_id: uuid.UUID) -> str | None:
    """Give up on a queued or failed message; None, or why not."""
    async with database.transaction() as connection:
        message = await queries.lock_message(connection, message_id)
        if message is None:
            return "no such message"
        if message.status not in (Status.QUEUED, Status.FAILED):
            return f"the message is {message.status}; only queued or failed ones can be discarded"
        await queries.abandon_by_operator(connection, message_id)
    return None
