"""How the event pipeline scales: the notifier catching up on a backlog after an outage.

The notifier is stopped; 10,000 `identity.user.password_reset_requested` events are written by
identity's own code (as in events_pipeline) and relayed into JetStream while it is down. Then it
is started again, alone on the measured core, and the figure is the rate at which the backlog
becomes e-mails accepted by the SMTP sink: from the moment it answers /readyz until the last one
is recorded sent. Nothing else produces meanwhile, so this is the pipeline from the stream
onwards (the notifier, identity's look-ups and links, PostgreSQL, the sink), at its own pace.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import asyncpg

from gatehouse_devstack.bench.events import EVENT_TYPE, TEMPLATE, produce
from gatehouse_devstack.bench.fixtures import Account
from gatehouse_devstack.bench.harness import Bench, CpuMeter
from gatehouse_devstack.bench.report import Result

POLL_S = 0.25


async def _wait_until_relayed(bench: Bench, *, timeout_s: float) -> None:
    """Until identity's outbox has published every event it holds."""
    connection = await asyncpg.connect(bench.stack.database_urls["identity"])
    try:
        deadline = time.monotonic() + timeout_s
        while await connection.fetchval(
            "SELECT count(*) FROM outbox_events WHERE published_at IS NULL"
        ):
            if time.monotonic() > deadline:
                raise RuntimeError("identity's outbox did not empty while the notifier was down")
            await asyncio.sleep(POLL_S)
    finally:
        await connection.close()


async def _wait_until_sent(
    bench: Bench, since: datetime, ready: datetime, count: int, *, timeout_s: float
) -> tuple[int, int, int, datetime | None]:
    """(sent, failed or abandoned, sent from `ready` on, when the last was sent) for the
    backlog's e-mails."""
    connection = await asyncpg.connect(bench.stack.database_urls["notifier"])
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            row = await connection.fetchrow(
                """SELECT count(*) FILTER (WHERE status = 'sent'),
                          count(*) FILTER (WHERE status IN ('failed', 'abandoned')),
                          count(*) FILTER (WHERE status = 'sent' AND sent_at >= $4),
                          max(sent_at)
                     FROM messages WHERE event_type = $1 AND template = $2 AND event_time >= $3""",
                EVENT_TYPE,
                TEMPLATE,
                since,
                ready,
            )
            assert row is not None  # noqa: S101  (an aggregate always gives a row)
            sent, troubled, after_ready, last = row
            if sent + troubled >= count or time.monotonic() > deadline:
                return sent, troubled, after_ready, last
            await asyncio.sleep(POLL_S)
    finally:
        await connection.close()


def events_catch_up(bench: Bench, accounts: list[Account]) -> Result:
    sizes = bench.sizes
    count = sizes.catch_up_events
    bench.unplace()
    bench.stack.stop_component("notifier")
    try:
        since, produced_per_s = asyncio.run(produce(bench, accounts, count, rate=None))
        asyncio.run(_wait_until_relayed(bench, timeout_s=sizes.catch_up_wait_s))
    finally:
        bench.stack.start_component("notifier")  # returns once it answers /readyz
    ready = datetime.now(UTC)
    placement = bench.place("notifier")
    meter = CpuMeter(bench.stack)
    meter.start()
    sent, troubled, after_ready, last = asyncio.run(
        _wait_until_sent(bench, since, ready, count, timeout_s=sizes.catch_up_wait_s)
    )
    meter.stop()
    if not after_ready or last is None:
        raise RuntimeError("no e-mail of the backlog was sent (see the notifier's log)")
    seconds = max((last - ready).total_seconds(), 1e-3)
    drained = sent + troubled >= count
    return Result(
        "events_catch_up",
        # E-mails sent before /readyz answered are left out of the rate (not of the count).
        {"queued": count, "emails_per_s": after_ready / seconds, "seconds": seconds},
        note="" if drained else f"{count - sent - troubled} still queued when the wait ended",
        details={
            "events": EVENT_TYPE,
            "method": "notifier stopped; the backlog written by identity's request_password_reset "
            "and relayed to JetStream; notifier started alone on the measured core; rate from "
            "its /readyz to the last e-mail recorded sent",
            "producer_rate_per_s": round(produced_per_s, 1),
            "sent": sent,
            "sent_before_ready": sent - after_ready,
            "failed_or_abandoned": troubled,
            "drained": drained,
            "cpu_cores_used": meter.shares(),
            "cpu_ms_per_email": meter.per_operation_ms(sent),
            "placement": placement,
        },
    )
