"""The JetStream consumer: events in, their messages queued, each event exactly once.

All replicas pull from one durable consumer, so JetStream splits the events between them. A
fetched batch (up to CONSUMER_BATCH_SIZE) is handled in one database transaction: it records the
events' ids in `handled_events`, runs their handlers side by side (events about the same thing
in stream order), so that their look-ups gather into one identity call (directory.py), renders
and inserts all their messages at once, and commits; each event is acked only after the commit.
A redelivered event finds its id already there and is acked without a second message. An event
whose handler fails is taken out of the batch (its id unmarked, its memory writes never made)
and retried or parked on its own; the others commit.

- transient failure (identity, the registry or the database away): nak with a backoff delay.
- poison (a type not in the catalog, unreadable, no handler, a handler that keeps raising):
  published to `<prefix>.deadletter.notifier` with the reason in a header, and terminated.
  Events that deliberately send nothing have a (silent) handler and are simply handled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import nats.errors
from google.protobuf.message import Message
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import BadRequestError
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.db import DATABASE_ERRORS, Database
from gatehouse_common.event_catalog import EVENT_MESSAGES
from gatehouse_common.events import Event, MalformedEventError, event_from_nats
from gatehouse_common.nats_bus import EventBus
from gatehouse_common.tracing import consumer_span
from gatehouse_notifier import queries
from gatehouse_notifier.backoff import backoff_delay
from gatehouse_notifier.directory import Directory
from gatehouse_notifier.errors import TransientError
from gatehouse_notifier.handlers import HANDLERS, Draft, Handler, HandlerContext, PublicUrls
from gatehouse_notifier.memory import BatchMemory, DatabaseMemory
from gatehouse_notifier.metrics import CONSUMER_PENDING, DEAD_LETTERS, EVENTS_CONSUMED, Outcome
from gatehouse_notifier.registry import Registry
from gatehouse_notifier.settings import NotifierSettings
from gatehouse_notifier.writer import MessageWriter

logger = logging.getLogger(__name__)

SOURCES = ("identity", "registry")
DEADLETTER_SUFFIX = "deadletter.notifier"
REASON_HEADER = "gatehouse-deadletter-reason"
DETAIL_HEADER = "gatehouse-deadletter-detail"
SUBJECT_HEADER = "gatehouse-deadletter-subject"
FETCH_TIMEOUT_S = 5.0
DRAIN_TIMEOUT_S = 0.05
MAX_ACK_PENDING = 1000
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (TransientError, *DATABASE_ERRORS)
NATS_ERRORS = (nats.errors.Error, OSError, TimeoutError)
T = TypeVar("T")


class DeadLetterReason:
    MALFORMED = "malformed"
    # Not in gatehouse_common.event_catalog (a publisher newer than this notifier, or a typo).
    UNKNOWN_TYPE = "unknown_type"
    # In the catalog, but this notifier has no handler for it yet: replay it after upgrading.
    NO_HANDLER = "no_handler"
    HANDLER_ERROR = "handler_error"


def public_urls(settings: NotifierSettings) -> PublicUrls:
    return PublicUrls(identity=settings.identity_public_url, registry=settings.registry_public_url)


def filter_subjects(prefix: str) -> list[str]:
    return [f"{prefix}.{source}.>" for source in SOURCES]


def deadletter_subject(prefix: str) -> str:
    return f"{prefix}.{DEADLETTER_SUFFIX}"


class Consumer:
    def __init__(
        self,
        *,
        database: Database,
        bus: EventBus,
        directory: Directory,
        registry: Registry,
        writer: MessageWriter,
        settings: NotifierSettings,
        on_queued: Callable[[], None],
    ) -> None:
        self._database = database
        self._bus = bus
        self._directory = directory
        self._registry = registry
        self._writer = writer
        self._settings = settings
        self._on_queued = on_queued
        self._urls = public_urls(settings)
        self._sources = tuple(f"{bus.subject_prefix}.{source}." for source in SOURCES)

    async def run(self) -> None:
        """Consume until cancelled; after a NATS failure, bind again and go on."""
        while True:
            subscription = None
            try:
                subscription = await self._subscribe()
                await self._consume(subscription)
            except NATS_ERRORS as error:
                logger.warning("event consumer lost NATS; rebinding", extra={"error": str(error)})
                await asyncio.sleep(1.0)
            finally:
                # A pull subscription left behind would make the connection's drain at
                # shutdown wait for its whole timeout.
                if subscription is not None:
                    with contextlib.suppress(*NATS_ERRORS, ValueError):
                        await subscription.unsubscribe()

    async def _subscribe(self) -> JetStreamContext.PullSubscription:
        js = await self._bus.jetstream()
        name = self._settings.notifier_consumer
        config = ConsumerConfig(
            name=name,
            durable_name=name,
            filter_subjects=filter_subjects(self._bus.subject_prefix),
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self._settings.consumer_ack_wait_s,
            # Never dropped by JetStream: poison is parked by us, transient failures must wait.
            max_deliver=-1,
            max_ack_pending=MAX_ACK_PENDING,
        )
        try:
            # Creates the consumer, or updates it (e.g. new filter subjects) when it exists.
            info = await js.add_consumer(self._bus.stream, config)
        except BadRequestError as error:
            logger.warning(
                "consumer exists with a configuration that cannot be updated; using it",
                extra={"error": str(error), "consumer": name},
            )
        else:
            if not info.config.filter_subjects:
                # NATS before 2.10 ignores filter_subjects: everything in the stream, dead
                # letters included, reaches us, and `_process` skips what is not ours.
                logger.warning(
                    "NATS ignored the consumer's filter subjects (server older than 2.10?)",
                    extra={"consumer": name},
                )
        return await js.pull_subscribe_bind(durable=name, stream=self._bus.stream)

    async def _consume(self, subscription: JetStreamContext.PullSubscription) -> None:
        refreshed = 0.0
        while True:
            batch = await self._next_batch(subscription)
            if batch:
                await self.process_batch(batch)
            if time.monotonic() - refreshed >= self._settings.consumer_pending_refresh_s:
                info = await subscription.consumer_info()
                CONSUMER_PENDING.set(info.num_pending or 0)
                refreshed = time.monotonic()

    async def _next_batch(self, subscription: JetStreamContext.PullSubscription) -> list[Msg]:
        """Up to a batch of messages, as soon as one is there.

        nats-py's fetch(n) waits until n messages came or the timeout passed, which would hold a
        lone event for the whole timeout. So: wait for one, then take whatever else is ready.
        """
        try:
            batch = await subscription.fetch(1, timeout=FETCH_TIMEOUT_S)
        except TimeoutError:  # nothing arrived (nats' own TimeoutError is one too)
            return []
        if self._settings.consumer_batch_size > 1:
            with contextlib.suppress(TimeoutError):
                batch += await subscription.fetch(
                    self._settings.consumer_batch_size - 1, timeout=DRAIN_TIMEOUT_S
                )
        return batch

    async def process(self, msg: Msg) -> str:
        """Handle one message as a batch of one (tests); its outcome."""
        [outcome] = await self.process_batch([msg])
        return outcome

    async def process_batch(self, batch: list[Msg]) -> list[str]:
        """Handle a fetched batch and settle each message with JetStream; outcomes in order."""
        outcomes: dict[int, str] = {}
        work: list[_Work] = []
        for index, msg in enumerate(batch):
            if not msg.subject.startswith(self._sources):
                # Only reachable without filter subjects; never park it: that would feed our
                # own dead letters back to us.
                outcomes[index] = await _settling(msg.term(), Outcome.IGNORED)
                continue
            try:
                event, payload, handler = _decode(msg)
            except _PoisonError as poison:
                parking = self._dead_letter(msg, poison.reason, poison.detail)
                outcomes[index] = await _settling(parking)
                continue
            work.append(_Work(index, msg, event, payload, handler))
        results = await self._handle(work) if work else []
        for item, result in zip(work, results, strict=True):
            outcomes[item.index] = await _settling(self._settle(item, result))
        handled = [item.event.id for item, r in zip(work, results, strict=True) if r.queued >= 0]
        if handled:
            # One line per batch, not per event: at a thousand a second, lines cost CPU.
            logger.info("events handled", extra={"count": len(handled), "event_ids": handled})
        for index, msg in enumerate(batch):
            EVENTS_CONSUMED.labels(_event_type_label(msg.headers), outcomes[index]).inc()
        return [outcomes[index] for index in range(len(batch))]

    async def _handle(self, work: list[_Work]) -> list[_Result]:
        """The batch in one transaction; what became of each event."""
        try:
            async with self._database.transaction() as connection:
                return await self._handle_in(connection, work)
        except TRANSIENT_ERRORS as error:  # the database, for the whole batch
            return [_Result(error=error, transient=True) for _ in work]

    async def _handle_in(self, connection: AsyncConnection, work: list[_Work]) -> list[_Result]:
        events = [(item.event.id, item.event.type) for item in work]
        new = await queries.mark_events_handled(connection, events)
        results = await self._run_handlers(work, new, BatchMemory(DatabaseMemory(connection)))
        failed = [item.event.id for item, r in zip(work, results, strict=True) if r.error]
        if failed:
            await queries.unmark_events_handled(connection, failed)
        drafted = [
            (position, work[position].event, result.drafts)
            for position, result in enumerate(results)
            if result.drafts is not None
        ]
        queued = await self._writer.queue_many(
            connection, [(event, drafts) for _, event, drafts in drafted]
        )
        for (position, _, _), count in zip(drafted, queued, strict=True):
            results[position] = _Result(queued=count)
        return results

    async def _run_handlers(
        self, work: list[_Work], new: set[str], memory: BatchMemory
    ) -> list[_Result]:
        """Each new event's handler, side by side; events about the same thing one after
        another, in stream order. Events not new are duplicates."""
        results = [_Result(queued=_DUPLICATE) for _ in work]
        fresh = []
        for position, item in enumerate(work):
            if item.event.id in new:
                new.discard(item.event.id)  # a second copy in the same batch is a duplicate
                fresh.append(position)

        async def in_order(positions: list[int]) -> None:
            for position in positions:
                results[position] = await self._run_handler(work[position], memory)

        groups = by_subject(fresh, lambda position: work[position].event.subject)
        await asyncio.gather(*(in_order(group) for group in groups))
        return results

    async def _run_handler(self, item: _Work, memory: BatchMemory) -> _Result:
        event = item.event
        event_memory = memory.for_event()
        context = HandlerContext(
            event=event,
            directory=self._directory,
            registry=self._registry,
            memory=event_memory,
            urls=self._urls,
        )
        try:
            # A child of the publisher's trace (traceparent header); a no-op with tracing off.
            with consumer_span(f"notifier handle {event.type}", event.extra_headers, _log(event)):
                drafts = await item.handler(context, item.payload)
            await event_memory.apply()
        except TRANSIENT_ERRORS as error:
            return _Result(error=error, transient=True)
        except Exception as error:  # noqa: BLE001  (one event's bug must not stop the others)
            return _Result(error=error)
        return _Result(drafts=drafts)

    async def _settle(self, item: _Work, result: _Result) -> str:
        msg, event = item.msg, item.event
        if result.error is not None:
            if result.transient:
                return await self._retry(msg, event, str(result.error))
            return await self._after_handler_error(msg, event, result.error)
        await msg.ack()
        if result.queued == _DUPLICATE:
            logger.info("event already handled", extra=_log(event))
            return Outcome.DUPLICATE
        if result.queued:
            self._on_queued()
        return Outcome.HANDLED

    async def _retry(self, msg: Msg, event: Event, error: str) -> str:
        delay = backoff_delay(
            msg.metadata.num_delivered,
            base_s=self._settings.delivery_retry_base_s,
            max_s=self._settings.delivery_retry_max_s,
        )
        logger.warning(
            "event will be retried",
            extra={**_log(event), "error": error, "retry_in_s": round(delay, 2)},
        )
        await msg.nak(delay=delay)
        return Outcome.RETRIED

    async def _after_handler_error(self, msg: Msg, event: Event, error: BaseException) -> str:
        logger.error("event handler failed", exc_info=error, extra=_log(event))
        if msg.metadata.num_delivered >= self._settings.consumer_max_handler_failures:
            detail = f"{type(error).__name__}: {error}"
            return await self._dead_letter(msg, DeadLetterReason.HANDLER_ERROR, detail)
        return await self._retry(msg, event, f"{type(error).__name__}: {error}")

    async def _dead_letter(self, msg: Msg, reason: str, detail: str) -> str:
        headers = {k: v for k, v in (msg.headers or {}).items() if k.lower() != "nats-msg-id"}
        headers[REASON_HEADER] = reason
        headers[DETAIL_HEADER] = _header_value(detail)
        headers[SUBJECT_HEADER] = msg.subject
        # The original id is inside the stream's duplicate window: reusing it would drop this
        # publish. The stream sequence is unique and stays the same if we park it twice.
        headers["Nats-Msg-Id"] = f"{DEADLETTER_SUFFIX}.{msg.metadata.sequence.stream}"
        js = await self._bus.jetstream()
        try:
            await js.publish(
                deadletter_subject(self._bus.subject_prefix),
                msg.data,
                timeout=5,
                stream=self._bus.stream,
                headers=headers,
            )
        except NATS_ERRORS as error:
            logger.warning("cannot park a poison event yet", extra={"error": str(error)})
            await msg.nak(delay=self._settings.delivery_retry_max_s)
            return Outcome.RETRIED
        await msg.term()
        DEAD_LETTERS.labels(reason).inc()
        logger.error(
            "event parked on the dead-letter subject",
            extra={"reason": reason, "detail": headers[DETAIL_HEADER], "subject": msg.subject},
        )
        return Outcome.DEAD_LETTERED


async def _settling(settle: Awaitable[object], outcome: str | None = None) -> str:
    """Await a settling call (ack, nak, term, park); RETRIED if NATS is not there for it."""
    try:
        result = await settle
    except NATS_ERRORS as error:
        # Not settled: JetStream redelivers after ack_wait, and handled_events dedups.
        logger.warning("could not settle a message", extra={"error": str(error)})
        return Outcome.RETRIED
    return outcome if outcome is not None else str(result)


def by_subject(items: Sequence[T], subject: Callable[[T], str | None]) -> list[list[T]]:
    """The batch in groups that may run side by side: events about the same thing (CloudEvents
    subject: a user, an operator, a role request) stay together and in stream order, so that
    e.g. an operator's creation is handled before its validation."""
    groups: dict[str, list[T]] = {}
    for index, item in enumerate(items):
        groups.setdefault(subject(item) or f"#{index}", []).append(item)
    return list(groups.values())


class _PoisonError(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def _decode(msg: Msg) -> tuple[Event, Message, Handler]:
    """The event, its payload and its handler; _PoisonError if any of them is missing."""
    event_type = (msg.headers or {}).get("ce-type", "")
    if event_type and event_type not in EVENT_MESSAGES:
        detail = f"{event_type!r} is not in the event catalog"
        raise _PoisonError(DeadLetterReason.UNKNOWN_TYPE, detail)
    try:
        event = event_from_nats(msg.headers, msg.data)
        payload = event.message()
    except MalformedEventError as error:
        raise _PoisonError(DeadLetterReason.MALFORMED, str(error)) from error
    handler = HANDLERS.get(event.type)
    if handler is None:
        detail = f"the notifier has no handler for {event.type}"
        raise _PoisonError(DeadLetterReason.NO_HANDLER, detail)
    return event, payload, handler


def _event_type_label(headers: Mapping[str, str] | None) -> str:
    # Only known names become label values: arbitrary header text would explode cardinality.
    event_type = (headers or {}).get("ce-type", "")
    return event_type if event_type in EVENT_MESSAGES else "unknown"


def _header_value(text: str) -> str:
    return re.sub(r"[\r\n]+", " ", text)[:300]


def _log(event: Event) -> dict[str, str]:
    return {"event_id": event.id, "event_type": event.type}


@dataclass(frozen=True)
class _Work:
    """A decoded event of the batch, with its message and handler."""

    index: int
    msg: Msg
    event: Event
    payload: Message
    handler: Handler


@dataclass(frozen=True)
class _Result:
    """What became of one event of a batch: drafted (`drafts`), then handled (`queued`: how many
    messages it queued), a duplicate (`queued` is _DUPLICATE), or failed (`error`)."""

    drafts: list[Draft] | None = None
    queued: int = -1
    error: BaseException | None = None
    transient: bool = False


_DUPLICATE = -2
