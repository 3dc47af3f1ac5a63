"""What operators use: health, readiness, metrics, the `messages` command, housekeeping."""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import sys
import uuid
from datetime import UTC, datetime

import httpx

from gatehouse_notifier import admin, store
from gatehouse_notifier.app import create_app
from gatehouse_notifier.housekeeping import Housekeeping
from gatehouse_notifier.store import NewMessage, Status

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
    """A ready-to-send row as the consumer would write it (hold: not due for an hour)."""
    message_id = uuid.uuid4()
    event_id = str(uuid.uuid4())
    async with notifier.pool.acquire() as connection:
        await store.insert_messages(
            connection,
            [
                NewMessage(
                    id=message_id,
                    event_id=event_id,
                    event_type="identity.user.password_changed",
                    event_time=datetime.now(UTC),
                    template="password_changed",
                    recipient_user_id="usr-admin",
                    message_id_header=f"<{event_id}@test>",
                    status=status,
                    language="en",
                    recipient_email=email,
                    subject="Your password has been changed",
                    body_text="text",
                    body_html="<p>html</p>",
                    last_error="550 earlier refusal",
                )
            ],
        )
    if hold:
        await notifier.pool.execute(
            "UPDATE messages SET next_attempt_at = now() + interval '1 hour' WHERE id = $1",
            message_id,
        )
    return message_id


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
    row = await notifier.pool.fetchrow("SELECT * FROM messages WHERE id = $1", message_id)
    assert row["status"] == "sent"
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
    row = await notifier.pool.fetchrow("SELECT * FROM messages WHERE id = $1", message_id)
    assert (row["status"], row["last_error"]) == ("abandoned", "discarded by an operator")
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


async def test_housekeeping_forgets_old_events_and_erases_old_bodies(notifier) -> None:
    old_event = uuid.uuid4()
    await notifier.pool.execute(
        "INSERT INTO handled_events (event_id, event_type, handled_at)"
        " VALUES ($1, 'identity.user.created', now() - interval '40 days')",
        old_event,
    )
    message_id = await _queue_row(
        notifier, status=Status.ABANDONED, email="old@example.test", hold=True
    )
    await notifier.pool.execute(
        "UPDATE messages SET updated_at = now() - interval '3 days' WHERE id = $1", message_id
    )

    await Housekeeping(pool=notifier.pool, settings=notifier.settings).run_once()

    assert not await notifier.is_handled(str(old_event))
    row = await notifier.pool.fetchrow("SELECT * FROM messages WHERE id = $1", message_id)
    assert (row["body_text"], row["body_html"]) == ("", "")
    assert row["body_scrubbed_at"] is not None
    code, output = await _admin(notifier, "retry", str(message_id))
    assert code == 1
    assert "erased" in output
