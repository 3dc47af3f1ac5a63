"""Transactional outbox: events are written with the change they describe, then relayed.

`add_event` inserts into `outbox_events` on the caller's connection, inside the caller's
transaction, so an event exists exactly when its change was committed. `OutboxRelay` publishes
unpublished rows to JetStream with the event id as `Nats-Msg-Id` (JetStream drops a duplicate
publish inside its window) and marks them published. Rows are claimed with
`FOR UPDATE SKIP LOCKED`, so several replicas can relay at once without sending a row twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg
import nats.errors
from google.protobuf.message import Message
from prometheus_client import Counter, Gauge

from gatehouse_common.db import Connection
from gatehouse_common.events import Event, event_for, nats_subject
from gatehouse_common.nats_bus import EventBus
from gatehouse_common.tracing import inject_trace_headers

logger = logging.getLogger(__name__)

NOTIFY_CHANNEL = "outbox_events"

# Run by each service's first migration (yoyo Python step), so the table is identical everywhere.
OUTBOX_SCHEMA_SQL = """
CREATE TABLE outbox_events (
    id uuid PRIMARY KEY,
    event_type text NOT NULL,
    source text NOT NULL,
    subject text NOT NULL,
    payload bytea NOT NULL,
    headers jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    publish_attempts integer NOT NULL DEFAULT 0,
    last_error text
);
CREATE INDEX outbox_events_unpublished ON outbox_events (created_at, id)
    WHERE published_at IS NULL;
"""

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
    connection: Connection,
    *,
    event_type: str,
    source: str,
    subject: str,
    message: Message,
) -> Event:
    """Record an event in the current transaction; it is published after the commit.

    With tracing on, the current trace context (`traceparent`, `tracestate`) is stored in the
    row's headers, which the relay publishes as NATS headers."""
    event = event_for(event_type=event_type, source=source, subject=subject, message=message)
    await connection.execute(
        """INSERT INTO outbox_events (id, event_type, source, subject, payload, created_at, headers)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        event.id,
        event.type,
        event.source,
        event.subject,
        event.data,
        event.time,
        inject_trace_headers(),
    )
    # Delivered to listeners only if the transaction commits: wakes the relay at once.
    await connection.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)
    return event


class OutboxRelay:
    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        database_url: str,
        bus: EventBus,
        service: str,
        batch_size: int = 500,
        idle_poll_s: float = 2.0,
    ) -> None:
        self.pool = pool
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
                except (TimeoutError, OSError, nats.errors.Error, asyncpg.PostgresError) as error:
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
        async with self.pool.acquire() as connection, connection.transaction():
            rows = await connection.fetch(
                """SELECT id, event_type, source, subject, payload, headers, created_at
                     FROM outbox_events
                    WHERE published_at IS NULL
                    ORDER BY created_at, id
                    LIMIT $1
                    FOR UPDATE SKIP LOCKED""",
                self.batch_size,
            )
            events = [
                Event(
                    id=str(row["id"]),
                    type=row["event_type"],
                    source=row["source"],
                    subject=row["subject"],
                    data=bytes(row["payload"]),
                    time=row["created_at"],
                    extra_headers=row["headers"] or {},
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
            published = [row["id"] for row in rows]
            if published:
                await connection.execute(
                    "UPDATE outbox_events SET published_at = now() WHERE id = ANY($1::uuid[])",
                    published,
                )
        OUTBOX_PUBLISHED.labels(self.service).inc(len(published))
        return len(published)

    async def _update_backlog(self) -> None:
        count = await self.pool.fetchval(
            "SELECT count(*) FROM outbox_events WHERE published_at IS NULL"
        )
        OUTBOX_BACKLOG.labels(self.service).set(count or 0)
