"""Drafts to `messages` rows: rendered in the recipient's language, queued in the caller's
transaction. Shared by the event consumer and the scheduled reminders."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.events import Event
from gatehouse_notifier import queries
from gatehouse_notifier.handlers import Draft
from gatehouse_notifier.mail import message_id_header
from gatehouse_notifier.messages import NewMessage, Status
from gatehouse_notifier.metrics import MESSAGES
from gatehouse_notifier.rendering import Renderer

logger = logging.getLogger(__name__)


class MessageWriter:
    def __init__(self, *, renderer: Renderer, domain: str) -> None:
        self._renderer = renderer
        self._domain = domain

    async def queue(self, connection: AsyncConnection, event: Event, drafts: list[Draft]) -> int:
        """Insert the drafts' rows (one per event, recipient and message at most); how many
        are queued for sending. Wakes every courier when the transaction commits."""
        [queued] = await self.queue_many(connection, [(event, drafts)])
        return queued

    async def queue_many(
        self, connection: AsyncConnection, handled: Sequence[tuple[Event, Sequence[Draft]]]
    ) -> list[int]:
        """`queue` for several events at once (one insert); how many each queued."""
        messages = [[self.message(event, draft) for draft in drafts] for event, drafts in handled]
        await queries.insert_messages(connection, [m for event in messages for m in event])
        queued = [sum(1 for m in event if m.status is Status.QUEUED) for event in messages]
        if any(queued):
            await queries.notify_couriers(connection)
        for message in (m for event in messages for m in event):
            if message.status is Status.ABANDONED:
                MESSAGES.labels(message.template, Status.ABANDONED).inc()
                logger.warning(
                    "message abandoned before sending",
                    extra={
                        "event_id": message.event_id,
                        "event_type": message.event_type,
                        "template": message.template,
                        "error": message.last_error,
                    },
                )
        return queued

    def message(self, event: Event, draft: Draft) -> NewMessage:
        abandoned = NewMessage(
            event_id=event.id,
            event_type=event.type,
            event_time=event.time,
            template=draft.template,
            recipient_user_id=draft.user_id,
            message_id_header=message_id_header(
                event_id=event.id,
                user_id=draft.user_id,
                template=draft.template,
                domain=self._domain,
            ),
            status=Status.ABANDONED,
            last_error=draft.abandon_reason,
        )
        if draft.recipient is None:
            return abandoned
        rendered = self._renderer.render(
            draft.template, draft.recipient.language, draft.variables, sender=draft.sender
        )
        return replace(
            abandoned,
            status=Status.QUEUED,
            last_error=None,
            language=rendered.language,
            sender_name=rendered.sender_name,
            recipient_email=draft.recipient.email,
            recipient_name=draft.recipient.full_name,
            subject=rendered.subject,
            body_text=rendered.text,
            body_html=rendered.html,
        )
