"""Reminders to the deciders of role requests that have waited too long (a scheduled job).

Which requests are pending comes from a `PendingRoleRequests` source. Today that is
`TrackedPendingRoleRequests`: the notifier's own record of registry.role_request.created events,
cleared by approved/rejected. The registry has no lookup of pending requests yet; when it gains
`RoleService.ListPendingRoleRequests` (see the README), a gRPC source replaces this one and
nothing else changes. Either way every request is checked with `GetRoleRequest` before anyone is
reminded, so a decision the notifier did not hear of never causes a reminder.

The n-th reminder of a request has a fixed id (uuid5 of request and n) recorded in
`handled_events` in the transaction that queues it: replicas running the job at the same time,
or a pass repeated after a crash, send it once.
"""

from __future__ import annotations

import asyncio
import logging
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from gatehouse_common.db import DATABASE_ERRORS, Database
from gatehouse_common.events import Event
from gatehouse_notifier import queries
from gatehouse_notifier.directory import Directory, RefusedError
from gatehouse_notifier.errors import TransientError
from gatehouse_notifier.handlers import Draft, HandlerContext, PublicUrls
from gatehouse_notifier.handlers.base import drafts_for_users
from gatehouse_notifier.handlers.registry_support import person, role_request_recipients
from gatehouse_notifier.memory import DatabaseMemory
from gatehouse_notifier.metrics import REMINDERS
from gatehouse_notifier.registry import Registry, RoleRequest, RoleStatus
from gatehouse_notifier.settings import NotifierSettings
from gatehouse_notifier.writer import MessageWriter

logger = logging.getLogger(__name__)

REMINDER_EVENT_TYPE = "notifier.role_request.reminder"
TEMPLATE = "role_request_reminder"
PAGE_SIZE = 100
# Fixed forever: the ids of reminders already sent must stay the same.
_REMINDER_NAMESPACE = uuid.UUID("3b0f8f7e-52a4-4d4b-8f1f-6a2c1d9e7b55")
FAILURES: tuple[type[BaseException], ...] = (TransientError, *DATABASE_ERRORS)


@dataclass(frozen=True)
class PendingRoleRequest:
    role_request_id: str
    requested_at: datetime


@dataclass(frozen=True)
class Page:
    requests: list[PendingRoleRequest]
    next_token: str | None


class PendingRoleRequests(Protocol):
    async def pending(
        self,
        *,
        requested_after: datetime,
        requested_before: datetime,
        page_size: int,
        page_token: str | None,
    ) -> Page:
        """Requests (possibly) still pending, made in the interval, oldest first."""
        ...

    async def forget(self, role_request_id: str) -> None:
        """The request turned out to be decided or gone: stop offering it."""
        ...


class TrackedPendingRoleRequests:
    """Pending requests as the notifier saw them created (table `pending_role_requests`)."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def pending(
        self,
        *,
        requested_after: datetime,
        requested_before: datetime,
        page_size: int,
        page_token: str | None,
    ) -> Page:
        after = _parse_token(page_token) if page_token else (requested_after, "")
        async with self._database.connection() as connection:
            rows = await queries.tracked_role_requests(
                connection, after=after, requested_before=requested_before, limit=page_size
            )
        requests = [PendingRoleRequest(*row) for row in rows]
        last = requests[-1] if len(requests) == page_size else None
        token = f"{last.requested_at.isoformat()}|{last.role_request_id}" if last else None
        return Page(requests=requests, next_token=token)

    async def forget(self, role_request_id: str) -> None:
        async with self._database.connection() as connection:
            await queries.untrack_role_request(connection, role_request_id)


async def reminder_drafts(
    context: HandlerContext, role: RoleRequest, *, requested_at: datetime, number: int
) -> list[Draft]:
    """The `number`-th reminder of a pending request, to whoever is told of new requests."""
    requester = await person(context, role.user_id)
    return await drafts_for_users(
        context,
        user_ids=await role_request_recipients(context, role),
        template=TEMPLATE,
        variables={
            "requester_name": requester["name"],
            "requester_email": requester["email"],
            "organization_name": role.organization_name,
            "role_kind": role.kind.value,
            "requested_at": requested_at,
            "days_waiting": (context.event.time - requested_at).days,
            "reminder_number": number,
            "application_message": role.application_message,
            "registry_url": context.urls.registry_user(role.user_id),
        },
    )


def _parse_token(token: str) -> tuple[datetime, str]:
    moment, _, role_request_id = token.partition("|")
    return datetime.fromisoformat(moment), role_request_id


@dataclass(frozen=True)
class Schedule:
    first_after: timedelta
    repeat_every: timedelta
    max_reminders: int

    @classmethod
    def from_settings(cls, settings: NotifierSettings) -> Schedule:
        return cls(
            first_after=timedelta(days=settings.role_request_reminder_days),
            repeat_every=timedelta(days=settings.role_request_reminder_repeat_days),
            max_reminders=settings.role_request_max_reminders,
        )

    def due_number(self, requested_at: datetime, now: datetime) -> int:
        """How many reminders a request made at `requested_at` should have had by `now`."""
        waited = now - requested_at
        if waited < self.first_after:
            return 0
        due = 1 + math.floor((waited - self.first_after) / self.repeat_every)
        return min(due, self.max_reminders)

    def horizon(self, now: datetime) -> datetime:
        """Requests older than this have had every reminder."""
        return now - self.first_after - self.repeat_every * max(self.max_reminders - 1, 0)


class RoleRequestReminders:
    def __init__(
        self,
        *,
        database: Database,
        source: PendingRoleRequests,
        directory: Directory,
        registry: Registry,
        writer: MessageWriter,
        settings: NotifierSettings,
        urls: PublicUrls,
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        self._database = database
        self._source = source
        self._directory = directory
        self._registry = registry
        self._writer = writer
        self._settings = settings
        self._urls = urls
        self._on_queued = on_queued
        self._schedule = Schedule.from_settings(settings)

    async def run(self) -> None:
        if self._schedule.max_reminders == 0:
            return
        while True:
            try:
                await self.run_once()
            except FAILURES as error:
                logger.warning("reminders postponed", extra={"error": str(error)})
            await asyncio.sleep(self._settings.reminder_check_interval_s)

    async def run_once(self, now: datetime | None = None) -> int:
        """One pass over the pending requests; how many reminders were queued."""
        now = now or datetime.now(UTC)
        sent = 0
        token: str | None = None
        while True:
            page = await self._source.pending(
                requested_after=self._schedule.horizon(now) - timedelta(seconds=1),
                requested_before=now - self._schedule.first_after,
                page_size=PAGE_SIZE,
                page_token=token,
            )
            for request in page.requests:
                sent += await self._remind(request, now)
            token = page.next_token
            if token is None:
                return sent

    async def _remind(self, request: PendingRoleRequest, now: datetime) -> int:
        number = self._schedule.due_number(request.requested_at, now)
        if number == 0:
            return 0
        reminder_id = str(uuid.uuid5(_REMINDER_NAMESPACE, f"{request.role_request_id}/{number}"))
        event = Event(
            type=REMINDER_EVENT_TYPE,
            source="notifier",
            subject=request.role_request_id,
            data=b"",
            id=reminder_id,
            time=now,
        )
        async with self._database.transaction() as connection:
            if not await queries.mark_event_handled(
                connection, event_id=reminder_id, event_type=REMINDER_EVENT_TYPE
            ):
                return 0
            try:
                role = await self._registry.get_role_request(request.role_request_id)
            except RefusedError:
                role = None
            if role is None or role.status is not RoleStatus.PENDING:
                await self._source.forget(request.role_request_id)
                return 0
            context = HandlerContext(
                event=event,
                directory=self._directory,
                registry=self._registry,
                memory=DatabaseMemory(connection),
                urls=self._urls,
            )
            drafts = await reminder_drafts(
                context, role, requested_at=request.requested_at, number=number
            )
            queued = await self._writer.queue(connection, event, drafts)
        REMINDERS.inc()
        logger.info(
            "role request reminder queued",
            extra={"event_id": reminder_id, "reminder": number, "messages": len(drafts)},
        )
        if queued and self._on_queued is not None:
            self._on_queued()
        return 1
