"""What operators use: health, readiness, metrics, the `messages` command, housekeeping."""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import sys
import uuid
from datetime import timedelta

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.db import Database
from gatehouse_notifier import admin, operations
from gatehouse_notifier.app import create_app
from gatehouse_notifier.housekeeping import Housekeeping
from gatehouse_notifier.messages import Status
from gatehouse_notifier.tables import handled_events, messages

from . import factories

METRICS = (
    "gatehouse_notifier_events_consumed_total",
    "gatehouse_notifier_messages_total",
    "gatehouse_notifier_delivery_seconds",
    "gatehouse_notifier_consumer_pending",
    "gatehouse_notifier_dead_letters_total",
)


async def test_health_readiness_and_metrics(notifier) -> None:
    transport = httpx.ASGITransport(app=create_app(notifier.context))
    async with httpx.AsyncClient(transport=transport, base_url="http://notifier") as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["components"] == {"database": "ok", "nats": "ok"}
        metrics = (await client.get("/metrics")).text
    for name in METRICS:
        assert f"# TYPE {name} " in metrics


async def _queue_row(notifier, *, status: Status, email: str, hold: bool = False) -> uuid.UUID:
    """A ready-to-send row as the consumer would write it (hold: not due for an hour), committed
    so that the running courier (and the `messages` command) see it."""
    async with notifier.database.connection() as connection:
        return await factories.message(
            connection,
            status=status,
            recipient_email=email,
            due_in=timedelta(hours=1 if hold else 0),
            last_error="550 earlier refusal",
        )


async def _admin(notifier, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    action, *rest = argv
    args = argparse.Namespace(action=action, id=uuid.UUID(rest[0]) if rest else None)
    code = await admin.run(notifier.settings, args, out=out)
    return code, out.getvalue()


async def test_an_operator_can_retry_an_abandoned_message(notifier) -> None:
    address = f"admin-{uuid.uuid4().hex[:8]}@example.test"
    message_id = await _queue_row(notifier, status=Status.ABANDONED, email=address)

    code, output = await _admin(notifier, "retry", str(message_id))

    assert (code, output) == (0, f"{message_id}: queued again\n")
    await notifier.mail_to(address)
    # Recorded as sent once the server's 250 is read, which may be just after the mail arrived.
    row = await notifier.message_with_status(message_id, "sent")
    assert row["attempts"] == 1
    code, output = await _admin(notifier, "retry", str(message_id))
    assert code == 1
    assert "only failed or abandoned" in output


async def test_an_operator_can_discard_a_failing_message(notifier) -> None:
    message_id = await _queue_row(
        notifier, status=Status.FAILED, email="held@example.test", hold=True
    )
    code, output = await _admin(notifier, "discard", str(message_id))
    assert (code, output) == (0, f"{message_id}: discarded\n")
    row = await notifier.message_with_status(message_id, "abandoned")
    assert row["last_error"] == "discarded by an operator"
    assert (await _admin(notifier, "discard", str(uuid.uuid4())))[1].endswith("no such message\n")


async def test_the_command_line_migrates_and_lists(notifier) -> None:
    message_id = await _queue_row(
        notifier, status=Status.ABANDONED, email="listed@example.test", hold=True
    )
    env = {
        **os.environ,
        "DATABASE_URL": notifier.settings.database_url,
        "GATEHOUSE_ENVIRONMENT": "test",
    }
    code, _ = await _run_cli(env, "migrate")
    assert code == 0
    code, stdout = await _run_cli(
        env, "messages", "list", "--status", "abandoned", "--limit", "1000"
    )
    assert code == 0
    [line] = [line for line in stdout.splitlines() if str(message_id) in line]
    assert "abandoned" in line
    assert "listed@example.test" in line
    assert stdout.startswith("id ")


async def _run_cli(env: dict[str, str], *argv: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gatehouse_notifier",
        *argv,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    if process.returncode:
        print(stderr.decode())  # noqa: T201  (shown by pytest when the test fails)
    return process.returncode, stdout.decode()


async def test_housekeeping_forgets_old_events_and_erases_old_bodies(
    notifier, db_connection: AsyncConnection, rolled_back_database: Database
) -> None:
    old_event = await factories.handled_event(db_connection, handled_ago=timedelta(days=40))
    recent_event = await factories.handled_event(db_connection, handled_ago=timedelta(days=1))
    old_message = await factories.message(
        db_connection, status=Status.ABANDONED, updated_at=func.now() - timedelta(days=3)
    )
    recent_message = await factories.message(db_connection, status=Status.SENT)

    await Housekeeping(database=rolled_back_database, settings=notifier.settings).run_once()

    handled = set(await db_connection.scalars(select(handled_events.c.event_id)))
    assert old_event not in handled
    assert recent_event in handled
    bodies = {
        row.id: (row.body_text, row.body_html, row.body_scrubbed_at is not None)
        for row in await db_connection.execute(
            select(messages).where(messages.c.id.in_([old_message, recent_message]))
        )
    }
    assert bodies == {old_message: ("", "", True), recent_message: ("text", "<p>html</p>", False)}
    refusal = await operations.retry(rolled_back_database, old_message)
    assert refusal is not None
    assert "erased" in refusal
