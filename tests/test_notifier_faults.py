"""No e-mail lost through faults, and none repeated but in the one window the notifier promises.

The faults: the notifier killed mid-batch, and killed at each step of the SMTP conversation
(before DATA, after the final ".", after the server's 250); the connection dropped at each of
those steps; two notifier replicas; SMTP down; NATS restarted; poison in the stream; an event
delivered twice. The promise (courier.py): an e-mail is recorded as sent only after the server's
250, so none is lost; it is sent twice only when the notifier dies after handing it over and
before recording the server's 250, and the copy carries the same Message-ID.

Runs on the real system (`stack`): identity events are published straight to JetStream, as
identity's outbox relay would, for accounts that really exist in identity, so the notifier asks
identity for each recipient as in production. Each event is identity.user.password_changed (one
message per event), and deliveries are counted in the mailbox by recipient and Message-ID.

SMTP_OUTAGE_S (default 30, the issue's figure) sets how long SMTP is down; the devstack gives the
notifier DELIVERY_RETRY_MAX_S=5 and CONSUMER_ACK_WAIT_S=10 in tests, so recoveries take seconds.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import httpx
import nats
import psycopg
import pytest

from gatehouse.events.v1 import identity_events_pb2 as ev
from gatehouse_common.events import Event, event_for, nats_subject
from gatehouse_devstack.mailbox_client import MailboxClient
from gatehouse_devstack.stack import Stack
from gatehouse_notifier.mail import message_id_header
from tests.journeys import create_account, identity_client, unique_email

pytestmark = pytest.mark.stack

SMTP_OUTAGE_S = float(os.environ.get("SMTP_OUTAGE_S", "30"))
# Where the mailbox can cut the conversation: the DATA command came (before its 354), the final
# "." came (before any reply: the message is discarded), the 250 was written.
SMTP_STEPS = ("data", "end_of_data", "accepted")
MAIL_DOMAIN = "gatehouse.localhost"  # of the devstack's MAIL_FROM
TEMPLATE = "password_changed"
EVENT_TYPE = "identity.user.password_changed"


@dataclass(frozen=True)
class User:
    email: str
    user_id: str


@pytest.fixture(scope="module")
def users(stack: Stack) -> list[User]:
    """Five real accounts (Swedish and English), reused by every test of the module."""
    if stack.mailbox_url is None:
        pytest.skip("SMTP_HOST is set: there is no mailbox to count deliveries in")
    found = []
    with identity_client(stack) as client, MailboxClient(stack.mailbox_url) as mailbox:
        for number in range(5):
            email = unique_email(f"faults-{number}")
            create_account(client, mailbox, language=("sv", "en")[number % 2], email=email)
            found.append(User(email=email, user_id=_user_id(stack, email)))
    return found


@pytest.fixture
def mail(stack: Stack) -> Iterator[MailboxClient]:
    assert stack.mailbox_url is not None
    with MailboxClient(stack.mailbox_url, timeout=60) as client:
        yield client


def _user_id(stack: Stack, email: str) -> str:
    with psycopg.connect(stack.database_urls["identity"], autocommit=True) as connection:
        row = connection.execute(
            "SELECT id FROM users WHERE email_normalized = lower(%s)", (email,)
        ).fetchone()
    assert row is not None
    return str(row[0])


def password_changes(users: list[User], count: int) -> list[tuple[Event, User]]:
    """`count` events, spread over the users; each must become exactly one e-mail."""
    made = []
    for index in range(count):
        user = users[index % len(users)]
        event = event_for(
            event_type=EVENT_TYPE,
            source="gatehouse/identity",
            subject=user.user_id,
            message=ev.UserPasswordChanged(user_id=user.user_id),
        )
        made.append((event, user))
    return made


def publish(stack: Stack, messages: list[tuple[str, bytes, dict[str, str]]]) -> None:
    """(subject, data, headers) to the events stream, in order."""

    async def send() -> None:
        nc = await nats.connect(stack.nats_url, connect_timeout=5)
        try:
            js = nc.jetstream()
            for subject, data, headers in messages:
                await js.publish(subject, data, stream=stack.events_stream, headers=headers)
        finally:
            await nc.close()

    asyncio.run(send())


def publish_events(stack: Stack, events: list[tuple[Event, User]]) -> None:
    subject = nats_subject(stack.events_subject_prefix, EVENT_TYPE)
    publish(stack, [(subject, event.data, event.headers()) for event, _ in events])


def _message_statuses(stack: Stack, events: list[tuple[Event, User]]) -> Counter[str]:
    with psycopg.connect(stack.database_urls["notifier"], autocommit=True) as connection:
        rows = connection.execute(
            "SELECT status, count(*) FROM messages WHERE event_id = ANY(%s::uuid[])"
            " GROUP BY status",
            ([event.id for event, _ in events],),
        ).fetchall()
    return Counter(dict(rows))


def _handled(stack: Stack, events: list[tuple[Event, User]]) -> int:
    with psycopg.connect(stack.database_urls["notifier"], autocommit=True) as connection:
        row = connection.execute(
            "SELECT count(*) FROM handled_events WHERE event_id = ANY(%s::uuid[])",
            ([event.id for event, _ in events],),
        ).fetchone()
    return int(row[0]) if row else 0


def wait_until_sent(stack: Stack, events: list[tuple[Event, User]], *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        statuses = _message_statuses(stack, events)
        if statuses["sent"] == len(events):
            return
        if time.monotonic() > deadline:
            pytest.fail(f"not all {len(events)} messages sent after {timeout} s: {statuses}")
        time.sleep(0.5)


def arrivals(
    mail: MailboxClient, events: list[tuple[Event, User]]
) -> dict[tuple[str, str], list[datetime]]:
    """When each event's message reached the mailbox, by (recipient, Message-ID); none missing.

    Also checks that nothing else reached these recipients while the test ran: a copy sent
    again under another Message-ID would show up here, not as a second arrival of its key.
    """
    time.sleep(2)  # a duplicate, if one were on its way, would have arrived by now
    expected = {
        (
            user.email,
            message_id_header(
                event_id=event.id, user_id=user.user_id, template=TEMPLATE, domain=MAIL_DOMAIN
            ),
        )
        for event, user in events
    }
    recipients = {user.email for _, user in events}
    since = min(event.time for event, _ in events)
    found: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    strangers = []
    for message in mail.messages():
        for recipient in message.envelope_recipients:
            key = (recipient, message.message_id or "")
            if key in expected:
                found[key].append(message.received_at)
            elif recipient in recipients and message.received_at >= since:
                strangers.append(key)
    missing = expected - set(found)
    assert not missing, f"{len(missing)} of {len(expected)} messages never arrived"
    assert not strangers, f"{len(strangers)} unexpected messages: {strangers[:3]}"
    return {key: sorted(times) for key, times in found.items()}


def assert_delivered_exactly_once(mail: MailboxClient, events: list[tuple[Event, User]]) -> None:
    """Every event's message is in the mailbox once: counted by recipient and Message-ID."""
    twice = {key: times for key, times in arrivals(mail, events).items() if len(times) > 1}
    assert not twice, f"{len(twice)} messages arrived more than once"


def assert_none_lost_and_repeated_only_across(
    mail: MailboxClient, events: list[tuple[Event, User]], restart: datetime
) -> set[str]:
    """Every message arrived; one that arrived twice (same Message-ID, by construction of the
    count) had one copy from the notifier that was killed and one from the one started at
    `restart`: the killed one handed it over but did not live to record the 250. Two copies
    from one life would break the promise. The Message-IDs sent twice."""
    repeated = {key: times for key, times in arrivals(mail, events).items() if len(times) > 1}
    outside = {
        key: times
        for key, times in repeated.items()
        if len(times) != 2 or not times[0] < restart <= times[1]
    }
    assert not outside, f"sent more than once outside the crash window: {outside}"
    return {message_id for _, message_id in repeated}


def wait_for_fault(mail: MailboxClient, *, timeout: float = 60) -> dict[str, Any]:
    """The fault the mailbox injected, once it has."""
    deadline = time.monotonic() + timeout
    while (fired := mail.fault()["fired"]) is None:
        assert time.monotonic() < deadline, f"the fault never fired: {mail.fault()}"
        time.sleep(0.05)
    fired_fault: dict[str, Any] = fired
    return fired_fault


def restart_after_the_dead_are_heard(mail: MailboxClient) -> datetime:
    """The moment that separates the killed notifier's copies from the next one's. The kernel
    has closed the dead process's connections, but a busy mailbox may still be reading what
    they had sent (a "." in its buffer is answered 250 to nobody, and stored), so wait until
    the mailbox has stored nothing for a second: a late copy from the dead is then not taken
    for a second copy from the living."""
    count, quiet_since = len(mail.messages()), time.monotonic()
    deadline = quiet_since + 15
    while time.monotonic() - quiet_since < 1.0 and time.monotonic() < deadline:
        time.sleep(0.1)
        if (now := len(mail.messages())) != count:
            count, quiet_since = now, time.monotonic()
    return datetime.now(UTC)


def _metric(url: str, name: str, labels: dict[str, str]) -> float:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    total = 0.0
    for line in text.splitlines():
        if line.startswith(f"{name}{{") and all(part in line for part in wanted.split(",") if part):
            total += float(line.rsplit(" ", maxsplit=1)[1])
    return total


# ----------------------------------------------------------------------------------- faults


def test_a_notifier_killed_mid_batch_delivers_every_message_once(
    stack: Stack, users: list[User], mail: MailboxClient
) -> None:
    events = password_changes(users, 500)
    publish_events(stack, events)
    deadline = time.monotonic() + 60
    while _handled(stack, events) < 100:
        assert time.monotonic() < deadline, "the notifier did not start on the batch"
        time.sleep(0.05)
    stack.kill_component("notifier")  # SIGKILL: no shutdown, no last acks, no last commits
    handled, statuses = _handled(stack, events), _message_statuses(stack, events)
    assert handled < 500 or statuses["sent"] < 500, "killed too late to be mid-batch"
    restart = restart_after_the_dead_are_heard(mail)
    stack.start_component("notifier")
    wait_until_sent(stack, events, timeout=90)
    assert _handled(stack, events) == 500
    assert_none_lost_and_repeated_only_across(mail, events, restart)


@pytest.mark.parametrize("step", SMTP_STEPS)
def test_a_notifier_killed_at_each_step_of_the_smtp_conversation_loses_no_email(
    stack: Stack, users: list[User], mail: MailboxClient, step: str
) -> None:
    events = password_changes(users, 100)
    mail.arm_fault(step=step, action="kill_client", skip=20)
    try:
        publish_events(stack, events)
        fired = wait_for_fault(mail)
    finally:
        mail.disarm_fault()
    assert fired["client_pid"] == stack.component("notifier").pid, "it was not the notifier"
    stack.kill_component("notifier")  # already dead: collects the process
    restart = restart_after_the_dead_are_heard(mail)
    stack.start_component("notifier")
    wait_until_sent(stack, events, timeout=90)
    repeated = assert_none_lost_and_repeated_only_across(mail, events, restart)
    if step == "accepted":
        # Killed with the 250 unread: it cannot have recorded the message as sent.
        assert fired["message_id"] in repeated
    elif step == "end_of_data":
        assert fired["message_id"] not in repeated


@pytest.mark.parametrize("step", SMTP_STEPS)
def test_a_connection_dropped_at_each_step_of_the_smtp_conversation_loses_and_repeats_nothing(
    stack: Stack, users: list[User], mail: MailboxClient, step: str
) -> None:
    events = password_changes(users, 60)
    mail.arm_fault(step=step, action="drop", skip=10)
    try:
        publish_events(stack, events)
        wait_for_fault(mail)
    finally:
        mail.disarm_fault()
    wait_until_sent(stack, events, timeout=60)
    assert_delivered_exactly_once(mail, events)


def test_two_notifier_replicas_share_the_stream_and_send_each_message_once(
    stack: Stack, users: list[User], mail: MailboxClient
) -> None:
    replica = stack.start_service_replica("notifier")
    try:
        handled = {"outcome": "handled", "event_type": EVENT_TYPE}
        before = {
            url: _metric(url, "gatehouse_notifier_events_consumed_total", handled)
            for url in (stack.notifier_url, replica.url)
        }
        events = password_changes(users, 300)
        publish_events(stack, events)
        wait_until_sent(stack, events, timeout=60)
        assert_delivered_exactly_once(mail, events)
        shares = {
            url: _metric(url, "gatehouse_notifier_events_consumed_total", handled) - before[url]
            for url in before
        }
        assert all(share > 0 for share in shares.values()), f"one replica idled: {shares}"
        assert sum(shares.values()) == len(events)
    finally:
        stack.stop_component(replica.name)


def test_mail_queued_while_smtp_is_down_is_delivered_once_when_it_returns(
    stack: Stack, users: list[User], mail: MailboxClient
) -> None:
    events = password_changes(users, 60)
    stack.stop_component("mailbox")
    try:
        publish_events(stack, events)
        time.sleep(SMTP_OUTAGE_S)
        statuses = _message_statuses(stack, events)
        assert statuses["sent"] == 0
        assert statuses["queued"] + statuses["failed"] == len(events), statuses
    finally:
        stack.start_component("mailbox")
    wait_until_sent(stack, events, timeout=60)
    assert_delivered_exactly_once(mail, events)


def test_a_nats_restart_loses_nothing_and_duplicates_nothing(
    stack: Stack, users: list[User], mail: MailboxClient
) -> None:
    if stack.nats is None:
        pytest.skip("NATS_URL is set: that server is not ours to restart")
    before, after = password_changes(users, 100), password_changes(users, 100)
    publish_events(stack, before)
    stack.restart_component("nats")  # while the notifier is working through them
    publish_events(stack, after)
    wait_until_sent(stack, before + after, timeout=90)
    assert_delivered_exactly_once(mail, before + after)


def test_poison_events_are_parked_and_the_rest_flow_on(
    stack: Stack, users: list[User], mail: MailboxClient
) -> None:
    prefix = stack.events_subject_prefix
    unreadable = event_for(
        event_type="identity.user.locked",
        source="gatehouse/identity",
        subject="x",
        message=ev.UserLocked(user_id=users[0].user_id),
    )
    unknown = replace(unreadable, id=str(uuid.uuid4()))
    poison = [
        (f"{prefix}.identity.user.created", b"\x00garbage", {"x-test": "no headers"}),
        (f"{prefix}.identity.user.locked", b"\xff\xff\xff", unreadable.headers()),
        (
            f"{prefix}.identity.user.exploded",
            unknown.data,
            {**unknown.headers(), "ce-type": "identity.user.exploded"},
        ),
    ]
    good = password_changes(users, 20)
    subject = nats_subject(prefix, EVENT_TYPE)
    publish(stack, poison + [(subject, event.data, event.headers()) for event, _ in good])
    wait_until_sent(stack, good, timeout=60)
    assert_delivered_exactly_once(mail, good)

    listing = subprocess.run(
        [sys.executable, "-m", "gatehouse_notifier", "deadletters", "list", "--limit", "10000"],
        env=stack.env_for("notifier"),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    parked = {line.split()[1] for line in listing.splitlines() if unreadable.id in line}
    parked |= {line.split()[1] for line in listing.splitlines() if unknown.id in line}
    assert parked == {"malformed", "unknown_type"}, listing
    assert "malformed" in listing  # the one without headers too
    assert _handled(stack, good) == len(good)


def test_an_event_delivered_again_sends_nothing(
    stack: Stack, users: list[User], mail: MailboxClient
) -> None:
    events = password_changes(users[:1], 1)
    publish_events(stack, events)
    wait_until_sent(stack, events, timeout=30)
    duplicate = {"outcome": "duplicate", "event_type": EVENT_TYPE}
    before = _metric(stack.notifier_url, "gatehouse_notifier_events_consumed_total", duplicate)
    [(event, _)] = events
    # The same event (same id) again, past JetStream's own duplicate window: another Nats-Msg-Id.
    again = {**event.headers(), "Nats-Msg-Id": str(uuid.uuid4())}
    publish(stack, [(nats_subject(stack.events_subject_prefix, EVENT_TYPE), event.data, again)])
    deadline = time.monotonic() + 30
    while (
        _metric(stack.notifier_url, "gatehouse_notifier_events_consumed_total", duplicate) <= before
    ):
        assert time.monotonic() < deadline, "the redelivered event was never consumed"
        time.sleep(0.2)
    assert _message_statuses(stack, events) == Counter({"sent": 1})
    assert_delivered_exactly_once(mail, events)
