"""The event pipeline: identity's outbox → JetStream → notifier → SMTP sink, against raw NATS.

Registry decisions have no e-mail yet (the notifier's registry handlers are still to come), so
the events are identity's `identity.user.password_reset_requested` for existing accounts, written
by identity's own code (`accounts.service.request_password_reset`, the function behind
`POST /api/v1/password/forgot`) against identity's database. Each one travels the whole way:
identity's outbox relay publishes it, the notifier consumes it, asks identity over gRPC for the
user and a fresh single-use link, renders the e-mail in the user's language, queues it, and the
courier hands it to the SMTP sink (the devstack mailbox). An e-mail counts as delivered when the
sink has accepted it and the notifier has recorded it sent; latency runs from the event's time
to that moment (both on this machine's clock).

- latency: events at a fixed rate (200/s) for a while, from an empty pipeline; p99 of event →
  e-mail. E-mails still queued when the wait ends count with the time waited so far (the p99 is
  then a lower bound, and the table says so).
- sustained: a burst of events written as fast as the producer can, on top of whatever is still
  queued; the rate is e-mails delivered per second while there is work queued (from a second
  after the burst began until the queue is empty or the time is up).
- raw NATS: plain nats-py on the same server, same run: JetStream publish_async and a pull
  consumer that acks each message, concurrently (publishing one message at a time, awaiting
  each ack, is measured too and kept in the JSON).
- the SMTP sink alone (`sink_per_s`), same run, on the measured core: whether the notifier or
  the sink is the limit (bench/sink.py).
"""

from __future__ import annotations

import asyncio
import math
import time
from datetime import UTC, datetime, timedelta

import asyncpg
import nats
from nats.js.api import StorageType, StreamConfig

from gatehouse_common.db import Database
from gatehouse_devstack.bench.fixtures import Account
from gatehouse_devstack.bench.harness import Bench, CpuMeter
from gatehouse_devstack.bench.report import Result, percentile
from gatehouse_devstack.bench.sink import sink_capacity

EVENT_TYPE = "identity.user.password_reset_requested"
TEMPLATE = "password_reset"
RAW_STREAM = "BENCH_RAW"
RAW_SUBJECT = "benchraw.events"
PAYLOAD_BYTES = 120  # about the size of an event with its CloudEvents headers' worth of data


async def produce(
    bench: Bench, accounts: list[Account], count: int, *, rate: float | None
) -> tuple[datetime, float]:
    """Write `count` events (at `rate` per second, or as fast as possible); returns when the
    first was written and the producer's own rate."""
    from gatehouse_identity.accounts.service import request_password_reset  # noqa: PLC0415

    # A database opened as identity opens its own (codecs included), for identity's code to use.
    database = await Database.open(bench.stack.database_urls["identity"], min_size=8, max_size=32)
    first = datetime.now(UTC)
    started = time.perf_counter()
    try:
        if rate is None:
            queue = iter(range(count))

            async def writer() -> None:
                for number in queue:
                    email = accounts[number % len(accounts)].email
                    await request_password_reset(database, email=email)

            await asyncio.gather(*(writer() for _ in range(24)))
        else:
            tasks = []
            for number in range(count):
                delay = started + number / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                email = accounts[number % len(accounts)].email
                tasks.append(asyncio.create_task(request_password_reset(database, email=email)))
            await asyncio.gather(*tasks)
    finally:
        await database.close()
    return first, count / (time.perf_counter() - started)


async def _wait_for_deliveries(
    bench: Bench, since: datetime, count: int, *, wait_s: float
) -> tuple[list[tuple[datetime, datetime]], int, datetime]:
    """(event time, sent time) of the e-mails for events since `since`, once `count` are sent
    or `wait_s` passed; how many failed or were abandoned; and when the waiting ended."""
    connection = await asyncpg.connect(bench.stack.database_urls["notifier"])
    try:
        deadline = time.monotonic() + wait_s
        while True:
            row = await connection.fetchrow(
                """SELECT count(*) FILTER (WHERE status = 'sent'),
                          count(*) FILTER (WHERE status IN ('failed', 'abandoned')), now()
                     FROM messages WHERE event_type = $1 AND template = $2 AND event_time >= $3""",
                EVENT_TYPE,
                TEMPLATE,
                since,
            )
            assert row is not None  # noqa: S101  (an aggregate always gives a row)
            sent, troubled, now = row
            if sent + troubled >= count or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.25)
        rows = await connection.fetch(
            """SELECT event_time, sent_at FROM messages
                WHERE event_type = $1 AND template = $2 AND event_time >= $3 AND status = 'sent'
                ORDER BY sent_at""",
            EVENT_TYPE,
            TEMPLATE,
            since,
        )
    finally:
        await connection.close()
    return [(row["event_time"], row["sent_at"]) for row in rows], troubled, now


def delivery_rate(
    deliveries: list[tuple[datetime, datetime]], start: datetime, end: datetime
) -> float:
    """E-mails delivered per second between `start` and `end`."""
    span = (end - start).total_seconds()
    inside = sum(1 for _, sent in deliveries if start <= sent <= end)
    return inside / span if span > 0 else math.nan


async def _raw_nats(bench: Bench, count: int, *, pipelined: bool) -> dict[str, float]:
    """Plain nats-py: publish `count` messages to a stream of their own while a pull consumer
    reads and acks them; messages per second from the first publish to the last one read.
    `pipelined`: publish_async (acks awaited together); else each publish awaits its ack."""
    client = await nats.connect(bench.stack.nats_url, name="bench-raw")
    stream = f"{RAW_STREAM}_{'ASYNC' if pipelined else 'SYNC'}"
    subject = f"{RAW_SUBJECT}.{stream.lower()}"
    try:
        js = client.jetstream()
        await js.add_stream(StreamConfig(name=stream, subjects=[subject], storage=StorageType.FILE))
        subscription = await js.pull_subscribe(subject, durable="bench-raw", stream=stream)
        payload = b"x" * PAYLOAD_BYTES
        received = 0
        published_at = 0.0
        started = time.perf_counter()

        async def publish() -> None:
            nonlocal published_at
            for number in range(count):
                headers = {"Nats-Msg-Id": f"raw-{number}"}
                if pipelined:
                    await js.publish_async(subject, payload, headers=headers)
                else:
                    await js.publish(subject, payload, headers=headers)
            if pipelined:
                await js.publish_async_completed()
            published_at = time.perf_counter()

        async def consume() -> None:
            nonlocal received
            while received < count:
                try:
                    batch = await subscription.fetch(100, timeout=1)
                except TimeoutError:
                    continue
                for msg in batch:
                    await msg.ack()
                received += len(batch)

        await asyncio.wait_for(asyncio.gather(publish(), consume()), timeout=120)
        elapsed = time.perf_counter() - started
        await js.delete_stream(stream)
    finally:
        await client.close()
    return {
        "end_to_end_per_s": count / elapsed,
        "publish_per_s": count / (published_at - started),
        "messages": count,
    }


def events_pipeline(bench: Bench, accounts: list[Account]) -> Result:
    sizes = bench.sizes
    placement = bench.place("notifier")
    # 1. Latency at a fixed rate, from an empty pipeline.
    count = max(1, round(sizes.pipeline_rate * sizes.pipeline_rate_s))
    since, produced_rate = asyncio.run(produce(bench, accounts, count, rate=sizes.pipeline_rate))
    fixed, fixed_troubled, waited_until = asyncio.run(
        _wait_for_deliveries(bench, since, count, wait_s=sizes.pipeline_wait_s)
    )
    latencies = [(sent - event).total_seconds() for event, sent in fixed]
    undelivered = count - len(fixed) - fixed_troubled
    # An e-mail still on its way when the wait ended has taken at least that long: counting it
    # so makes the percentile a lower bound rather than leaving the slowest out.
    if undelivered > 0:
        latest_event = since + timedelta(seconds=sizes.pipeline_rate_s)
        latencies += [(waited_until - latest_event).total_seconds()] * undelivered
    p99 = percentile(latencies, 0.99) * 1000
    # 2. Sustained rate: a burst on top of whatever is still queued; the rate is measured while
    #    there is work waiting (from one second after the burst began until the queue is empty
    #    or the time is up).
    burst = sizes.pipeline_burst
    meter = CpuMeter(bench.stack)
    meter.start()
    burst_since, burst_producer_rate = asyncio.run(produce(bench, accounts, burst, rate=None))
    everything, burst_troubled, burst_end = asyncio.run(
        _wait_for_deliveries(bench, since, count + burst, wait_s=sizes.pipeline_wait_s * 2)
    )
    meter.stop()
    if not everything:
        raise RuntimeError("no e-mail arrived at the SMTP sink (see the notifier's log)")
    drained = len(everything) + burst_troubled >= count + burst
    window_end = everything[-1][1] if drained and everything else burst_end
    # The first second (at most a tenth of the window) is the pipeline filling up.
    lead = min(1.0, max(0.0, (window_end - burst_since).total_seconds()) / 10)
    window_start = burst_since + timedelta(seconds=lead)
    sustained = delivery_rate(everything, window_start, window_end)
    # 3. Raw NATS on the same server in the same run, NATS on the measured core.
    bench.place("nats")
    raw = asyncio.run(_raw_nats(bench, sizes.raw_nats_messages, pipelined=True))
    one_by_one = asyncio.run(_raw_nats(bench, sizes.raw_nats_messages // 10, pipelined=False))
    # 4. The SMTP sink alone, on the measured core.
    sink = sink_capacity(bench, sizes.sink_messages)
    notes = []
    if undelivered > 0:
        notes.append(
            f"{undelivered} of {count} e-mails still queued at {sizes.pipeline_rate:g}/s: "
            "p99 is a lower bound"
        )
    if produced_rate < 0.95 * sizes.pipeline_rate:
        notes.append(f"identity wrote only {produced_rate:.0f} of {sizes.pipeline_rate:g} events/s")
    # The pipeline cannot deliver faster than identity writes: then the figure is the writer's.
    producer_bound = burst_producer_rate <= 1.1 * sustained
    if producer_bound:
        notes.append(
            f"sustained rate set by the producer (identity wrote {burst_producer_rate:.0f}/s); "
            "events_catch_up shows the pipeline's own"
        )
    note = "; ".join(notes)
    return Result(
        "events_pipeline",
        {
            "events_per_s": sustained,
            "raw_nats_per_s": raw["end_to_end_per_s"],
            "ratio": sustained / raw["end_to_end_per_s"],
            "p99_ms": p99,
            "sink_per_s": sink["per_s"],
        },
        note=note,
        details={
            "events": EVENT_TYPE,
            "at_fixed_rate": {
                "rate_per_s": sizes.pipeline_rate,
                "events": count,
                "producer_rate_per_s": round(produced_rate, 1),
                "delivered_in_wait": len(fixed),
                "failed_or_abandoned": fixed_troubled,
                "undelivered_after_wait": undelivered,
                "p99_is_lower_bound": undelivered > 0,
                "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
                "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
                "p99_ms": round(p99, 1),
            },
            "sustained": {
                "burst_events": burst,
                "producer_rate_per_s": round(burst_producer_rate, 1),
                "window_s": round((window_end - window_start).total_seconds(), 1),
                "queue_drained": drained,
                "failed_or_abandoned": burst_troubled,
                "per_s": round(sustained, 1),
                "bound_by_producer": producer_bound,
                "cpu_cores_used": meter.shares(),
                "cpu_ms_per_email": meter.per_operation_ms(
                    sum(1 for _, sent in everything if sent >= burst_since)
                ),
            },
            "raw_nats": {
                "method": "publish_async (acks awaited together) and a pull consumer acking "
                "each message, concurrently",
                **{key: round(value, 1) for key, value in raw.items()},
                "awaiting_each_ack_per_s": round(one_by_one["end_to_end_per_s"], 1),
            },
            "smtp_sink_alone": {
                "method": "e-mails of the notifier's size over "
                f"{sink['connections']} connections, each pipelining (RFC 2920)",
                **{key: round(value, 3) for key, value in sink.items()},
            },
            "placement": placement,
        },
    )
