"""Transactional outbox: events are written with the change they describe, then relayed.

`add_event` inserts into `outbox_events` on the caller's connection, inside the caller's
transaction, so an event exists exactly when its change was committed. `OutboxRelay` publishes
unpublished rows to JetStream with the event id as `Nats-Msg-Id` (JetStream drops a duplicate
publish inside its window) and marks them published. Rows are claimed with
`FOR UPDATE SKIP LOCKED`, so several replicas can relay at once without sending a row twice.

The relay is woken by LISTEN/NOTIFY on a connection of its own, opened with asyncpg directly:
SQLAlchemy has no API for notifications, and a pooled connection would carry the LISTEN to
whoever borrows it next (the pool does not reset session state, see gatehouse_common.db).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

import asyncpg
import nats.errors
from google.protobuf.message import Message
from prometheus_client import Counter, Gauge
from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    Uuid,
    bindparam,
    case,
    exc,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.db import Database, service_metadata
from gatehouse_common.event_catalog import ERASED_AFTER_PUBLISHING
from gatehouse_common.events import Event, event_for, nats_subject
from gatehouse_common.nats_bus import EventBus
from gatehouse_common.tracing import inject_trace_headers

logger = logging.getLogger(__name__)

NOTIFY_CHANNEL = "outbox_events"


def outbox_table(metadata: MetaData) -> Table:
    """`outbox_events`, declared on a service's metadata: the table is the same everywhere."""
    return Table(
        "outbox_events",
        metadata,
        Column("id", Uuid, primary_key=True),
        Column("event_type", Text, nullable=False),
        Column("source", Text, nullable=False),
        Column("subject", Text, nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        Column("publish_attempts", Integer, nullable=False, server_default=text("0")),
        Column("last_error", Text),
        Index(
            "outbox_events_unpublished",
            "created_at",
            "id",
            postgresql_where=text("published_at IS NULL"),
        ),
    )


# The queries below use this copy; each service declares its own on its metadata.
outbox_events = outbox_table(service_metadata())
_notify_relays = select(func.pg_notify(NOTIFY_CHANNEL, ""))

OUTBOX_BACKLOG = Gauge(
    "gatehouse_outbox_backlog", "Events written but not yet published to NATS", ["service"]
)
OUTBOX_PUBLISHED = Counter(
    "gatehouse_outbox_published_total", "Events published to NATS by the outbox relay", ["service"]
)
OUTBOX_PUBLISH_ERRORS = Counter(
    "gatehouse_outbox_publish_errors_total", "Failed attempts to publish outbox events", ["service"]
)


async def add_event(
    connection: AsyncConnection,
    *,
    event_type: str,
    source: str,
    subject: str,
    message: Message,
) -> Event:
    """Record an event in the current transaction; it is published after the commit.

    With tracing on, the current trace context (`traceparent`, `tracestate`) is stored in the row's
    headers, which the relay publishes as NATS headers."""
    event = event_for(event_type=event_type, source=source, subject=subject, message=message)
    row = {
        "id": uuid.UUID(event.id),
        "event_type": event.type,
        "source": event.source,
        "subject": event.subject,
        "payload": event.data,
        "created_at": event.time,
        "headers": inject_trace_headers(),
    }
    await connection.execute(insert(outbox_events).values(row))
    # Delivered to listeners only if the transaction commits: wakes the relay at once.
    await connection.execute(_notify_relays)
    return event


RELAY_ERRORS = (
    TimeoutError,
    OSError,
    nats.errors.Error,
    exc.SQLAlchemyError,
    asyncpg.PostgresError,
)


class OutboxRelay:
    def __init__(
        self,
        *,
        database: Database,
        database_url: str,
        bus: EventBus,
        service: str,
        batch_size: int = 500,
        idle_poll_s: float = 2.0,
    ) -> None:
        self.database = database
        self.database_url = database_url
        self.bus = bus
        self.service = service
        self.batch_size = batch_size
        self.idle_poll_s = idle_poll_s
        self._wake = asyncio.Event()

    async def run(self) -> None:
        """Relay until cancelled: publish whatever is pending, then wait for a NOTIFY or a tick."""
        listener = await self._listen()
        failures = 0
        try:
            while True:
                self._wake.clear()
                try:
                    while await self.publish_pending() == self.batch_size:
                        pass
                    failures = 0
                except RELAY_ERRORS as error:
                    failures += 1
                    OUTBOX_PUBLISH_ERRORS.labels(self.service).inc()
                    logger.warning("outbox relay failed; will retry", extra={"error": str(error)})
                    await asyncio.sleep(min(0.25 * 2**failures, 5.0))
                    continue
                await self._update_backlog()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.idle_poll_s)
        finally:
            if listener is not None:
                await listener.close()

    async def _listen(self) -> asyncpg.Connection | None:
        try:
            connection: asyncpg.Connection = await asyncpg.connect(self.database_url)
            await connection.add_listener(NOTIFY_CHANNEL, self._on_notify)
        except (OSError, asyncpg.PostgresError):
            logger.warning("outbox relay cannot LISTEN; falling back to polling")
            return None
        return connection

    def _on_notify(self, *_args: Any) -> None:
        self._wake.set()

    async def publish_pending(self) -> int:
        """Publish one batch of unpublished events, oldest first; returns how many."""
        js = await asyncio.wait_for(self.bus.jetstream(), timeout=5)
        async with self.database.transaction() as connection:
            rows = (await connection.execute(_claim_batch, {"batch_size": self.batch_size})).all()
            events = [
                Event(
                    id=str(row.id),
                    type=row.event_type,
                    source=row.source,
                    subject=row.subject,
                    data=bytes(row.payload),
                    time=row.created_at,
                    extra_headers=row.headers or {},
                )
                for row in rows
            ]
            # The whole batch in flight at once: one wait for JetStream's acks per batch, not
            # one per event (awaiting each ack capped the relay near 1/round trip). If any
            # publish fails, the batch fails and nothing is marked; JetStream drops the
            # duplicates that the retry sends (Nats-Msg-Id).
            outcomes = await asyncio.gather(
                *(
                    js.publish(
                        nats_subject(self.bus.subject_prefix, event.type),
                        event.data,
                        timeout=5,
                        stream=self.bus.stream,
                        headers=event.headers(),
                    )
                    for event in events
                ),
                return_exceptions=True,
            )
            failures = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
            if failures:
                raise failures[0]
            published = [row.id for row in rows]
            if published:
                await connection.execute(
                    update(outbox_events)
                    .where(outbox_events.c.id.in_(published))
                    .values(published_at=func.now(), payload=_payload_kept)
                )
        OUTBOX_PUBLISHED.labels(self.service).inc(len(published))
        return len(published)

    async def _update_backlog(self) -> None:
        async with self.database.connection() as connection:
            count = await connection.scalar(_count_backlog)
        OUTBOX_BACKLOG.labels(self.service).set(count or 0)


_unpublished = outbox_events.c.published_at.is_(None)
# A published row keeps its payload, unless its event carries personal data the publisher erased
# (event_catalog.ERASED_AFTER_PUBLISHING): then only the row's type, subject and times remain.
_payload_kept = case(
    (outbox_events.c.event_type.in_(sorted(ERASED_AFTER_PUBLISHING)), literal(b"", LargeBinary)),
    else_=outbox_events.c.payload,
)
# Oldest first; rows another replica is publishing are skipped, not waited for.
_claim_batch = (
    select(outbox_events)
    .where(_unpublished)
    .order_by(outbox_events.c.created_at, outbox_events.c.id)
    .limit(bindparam("batch_size"))
    .with_for_update(skip_locked=True)
)
_count_backlog = select(func.count()).select_from(outbox_events).where(_unpublished)
