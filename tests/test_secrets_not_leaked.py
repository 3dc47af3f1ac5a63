"""No password, link token or session token ever reaches a log line or an event on NATS: a full
journey runs with distinctive values, then every service log and every message on the stream is
searched for them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import nats
import pytest

from gatehouse_devstack.mailbox_client import MailboxClient
from gatehouse_devstack.stack import Stack
from tests.journeys import identity_client, link_token, request_account, sign_in, unique_email

pytestmark = pytest.mark.stack


@pytest.fixture
def client(stack: Stack) -> Iterator[httpx.Client]:
    with identity_client(stack) as client:
        yield client


async def _stream_contents(stack: Stack) -> bytes:
    connection = await nats.connect(stack.nats_url)
    try:
        js = connection.jetstream()
        subscription = await js.subscribe(
            f"{stack.events_subject_prefix}.>", stream=stack.events_stream, ordered_consumer=True
        )
        contents = bytearray()
        while True:
            try:
                message = await subscription.next_msg(timeout=1)
            except nats.errors.TimeoutError:
                return bytes(contents)
            contents += message.data + repr(message.headers).encode()
    finally:
        await connection.close()


def _logs(stack: Stack) -> str:
    return "\n".join(
        path.read_text(errors="replace") for path in Path(stack.logs_dir).glob("*.log")
    )


def test_journey_leaves_no_secret_in_logs_or_events(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> None:
    email = unique_email("secrets")
    first_password = "Leak#Canary1First"
    second_password = "Leak#Canary2Second"
    wrong_password = "Leak#Canary3Wrong"
    assert request_account(client, email=email).status_code == 202
    set_token = link_token(mailbox.wait_for(to=email)[0])
    client.post("/api/v1/password/set", json={"token": set_token, "password": first_password})
    session_token = sign_in(client, email=email, password=first_password).json()["session_token"]
    # Two wrong passwords: logged as failures, but not enough to block (a blocked-account e-mail
    # would issue its own reset link and retire the one this test follows).
    for _ in range(2):
        sign_in(client, email=email, password=wrong_password)
    client.post("/api/v1/password/forgot", json={"email": email})
    reset_messages = mailbox.wait_for(to=email, subject_contains="Reset")
    reset_token = link_token(reset_messages[-1])
    client.post("/api/v1/password/set", json={"token": reset_token, "password": second_password})
    mailbox.wait_for(to=email, subject_contains="changed")

    secrets = {
        "first password": first_password,
        "second password": second_password,
        "wrong password": wrong_password,
        "set-password token": set_token,
        "reset token": reset_token,
        "session token": session_token,
    }
    logs = _logs(stack)
    events = asyncio.run(_stream_contents(stack))
    assert logs, "no service logs were found to search"
    assert events, "no events were found on the stream to search"
    for name, value in secrets.items():
        assert value not in logs, f"the {name} appears in a service log"
        assert value.encode() not in events, f"the {name} appears in an event"
