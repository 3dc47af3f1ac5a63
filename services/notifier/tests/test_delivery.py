"""Events in, e-mails out: the running notifier against real PostgreSQL, NATS, SMTP and gRPC.

One notifier (consumer + courier) runs for the whole module; every test uses its own users, so
tests do not see each other's mail.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from nats.js.api import AckPolicy
from prometheus_client import REGISTRY
from sqlalchemy import RowMapping, text

from gatehouse.events.v1 import identity_events_pb2 as ev
from gatehouse.events.v1 import registry_events_pb2 as reg
from gatehouse.identity.v1 import user_service_pb2 as pb
from gatehouse_common.events import event_for
from gatehouse_notifier.consumer import REASON_HEADER, deadletter_subject
from gatehouse_notifier.handlers import HANDLERS
from gatehouse_notifier.mail import message_id_header

IDENTITY = "https://identity.test"
SIGN_IN = f"{IDENTITY}/login"
FORGOT = f"{IDENTITY}/password/forgot"

# event type, payload factory, subject (sv, en), a phrase of the body (sv, en), link purpose
CASES = {
    "account_created": (
        "identity.user.created",
        lambda user_id: ev.UserCreated(user_id=user_id),
        ("Välkommen \N{EN DASH} skapa ditt lösenord", "Welcome \N{EN DASH} create your password"),
        ("Ett konto har skapats åt dig", "An account has been created for you"),
        pb.PASSWORD_LINK_PURPOSE_SET,
    ),
    "registration_repeated": (
        "identity.user.registration_repeated",
        lambda user_id: ev.UserRegistrationRepeated(user_id=user_id),
        (
            "Någon försökte skapa ett konto med din e-postadress",
            "Someone tried to create an account with your e-mail address",
        ),
        ("inget nytt konto skapades", "no new account was created"),
        None,
    ),
    "password_reset": (
        "identity.user.password_reset_requested",
        lambda user_id: ev.UserPasswordResetRequested(user_id=user_id),
        ("Återställ ditt lösenord", "Reset your password"),
        ("återställa lösenordet", "reset the password"),
        pb.PASSWORD_LINK_PURPOSE_RESET,
    ),
    "account_blocked": (
        "identity.user.locked",
        lambda user_id: ev.UserLocked(user_id=user_id, failed_attempts=5),
        ("Ditt konto har spärrats", "Your account has been blocked"),
        ("fel lösenord angavs 5 gånger i rad", "a wrong password was entered 5 times in a row"),
        pb.PASSWORD_LINK_PURPOSE_RESET,
    ),
    "password_changed (set, replaced)": (
        "identity.user.password_set",
        lambda user_id: ev.UserPasswordSet(user_id=user_id, replaced=True),
        ("Ditt lösenord har ändrats", "Your password has been changed"),
        ("Om det inte var du", "If it was not you"),
        None,
    ),
    "password_changed": (
        "identity.user.password_changed",
        lambda user_id: ev.UserPasswordChanged(user_id=user_id),
        ("Ditt lösenord har ändrats", "Your password has been changed"),
        ("Om det inte var du", "If it was not you"),
        None,
    ),
}


def _words(text: str) -> str:
    # Text parts are wrapped and arrive with CRLF line ends: compare words, not layout.
    return " ".join(text.split())


def consumed(event_type: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "gatehouse_notifier_events_consumed_total",
        {"event_type": event_type, "outcome": outcome},
    )
    return value or 0.0


def dead_letters(reason: str) -> float:
    return (
        REGISTRY.get_sample_value("gatehouse_notifier_dead_letters_total", {"reason": reason})
        or 0.0
    )


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("case", list(CASES))
async def test_each_foundation_event_mails_the_user_in_their_language(
    notifier, case: str, language: str
) -> None:
    event_type, payload, subjects, phrases, purpose = CASES[case]
    index = 0 if language == "sv" else 1
    user = notifier.identity.add_user(language=language, first_name="Åsa", last_name="Öberg")
    event = await notifier.emit(event_type, payload(user.user_id))

    [mail] = await notifier.mail_to(user.email)

    assert mail["Subject"] == subjects[index]
    assert mail["To"].addresses[0].addr_spec == user.email
    assert mail["To"].addresses[0].display_name == "Åsa Öberg"
    assert mail["Content-Language"] == language
    sender = mail["From"].addresses[0]
    assert sender.addr_spec == "no-reply@gatehouse.localhost"
    assert sender.display_name == (
        "Autentiseringstjänst" if language == "sv" else "Authentication service"
    )
    assert mail["Message-ID"] == message_id_header(
        event_id=event.id,
        user_id=user.user_id,
        template=case.split(" ", maxsplit=1)[0],
        domain="gatehouse.localhost",
    )
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert _words(phrases[index]) in _words(text)
    assert f'<html lang="{language}">' in html
    assert ("Hej Åsa!" if language == "sv" else "Dear Åsa Öberg,") in text
    links = [link for link in notifier.identity.links if link[2] == event.id]
    if purpose is None:
        assert links == []
        assert FORGOT in text
        assert FORGOT in html
    else:
        [(user_id, asked_purpose, _, url)] = links
        assert (user_id, asked_purpose) == (user.user_id, purpose)
        assert url in text
        assert url in html
    if case == "registration_repeated":
        assert SIGN_IN in text
        assert SIGN_IN in html

    row = await notifier.row_with_status(event.id, "sent")
    assert row["attempts"] == 1
    assert row["language"] == language


async def test_other_languages_get_the_english_text(notifier) -> None:
    user = notifier.identity.add_user(language="de")
    await notifier.emit(
        "identity.user.password_reset_requested",
        ev.UserPasswordResetRequested(user_id=user.user_id),
    )
    [mail] = await notifier.mail_to(user.email)
    assert mail["Subject"] == "Reset your password"
    assert mail["Content-Language"] == "en"


async def test_events_without_a_message_are_handled_and_send_nothing(notifier) -> None:
    user = notifier.identity.add_user(language="sv")
    first = await notifier.emit(
        "identity.user.password_set", ev.UserPasswordSet(user_id=user.user_id, replaced=False)
    )
    operator = event_for(
        event_type="registry.operator.created",
        source="registry",
        subject="op",
        message=reg.OperatorCreated(operator_id="op-1", created_by_user_id=user.user_id),
    )
    await notifier.publish(operator)

    async def both_handled() -> bool:
        return await notifier.is_handled(first.id) and await notifier.is_handled(operator.id)

    await _wait(both_handled)
    assert await notifier.rows(first.id) == []
    assert await notifier.rows(operator.id) == []
    assert notifier.sink.to(user.email) == []


async def test_a_redelivered_event_sends_nothing_more(notifier) -> None:
    user = notifier.identity.add_user(language="en")
    event = await notifier.emit("identity.user.created", ev.UserCreated(user_id=user.user_id))
    await notifier.mail_to(user.email)
    duplicates = consumed("identity.user.created", "duplicate")

    # Same event id, published again past JetStream's duplicate window (another Nats-Msg-Id).
    await notifier.publish(event, msg_id=str(uuid.uuid4()))

    async def seen_again() -> bool:
        return consumed("identity.user.created", "duplicate") > duplicates

    await _wait(seen_again)
    await asyncio.sleep(0.3)  # a second e-mail, if one were queued, would be out by now
    assert len(notifier.sink.to(user.email)) == 1
    assert len(await notifier.rows(event.id)) == 1
    assert len([link for link in notifier.identity.links if link[2] == event.id]) == 1


async def test_poison_is_parked_with_a_reason_and_the_rest_flows_on(notifier) -> None:
    js = notifier.nc.jetstream()
    parked = await js.pull_subscribe(
        deadletter_subject(notifier.prefix), stream=notifier.settings.events_stream
    )
    marker = str(uuid.uuid4())
    await notifier.publish_raw(
        f"{notifier.prefix}.identity.user.created", b"\x00garbage", {"x-test-marker": marker}
    )
    unknown = event_for(
        event_type="identity.user.created",
        source="identity",
        subject="s",
        message=ev.UserCreated(user_id="x"),
    )
    headers = {**unknown.headers(), "ce-type": "identity.user.exploded", "x-test-marker": marker}
    await notifier.publish_raw(f"{notifier.prefix}.identity.user.exploded", unknown.data, headers)
    user = notifier.identity.add_user(language="sv")
    await notifier.emit("identity.user.created", ev.UserCreated(user_id=user.user_id))

    await notifier.mail_to(user.email)  # later events are not held up by the poison
    messages = await _parked(parked, lambda m: m.headers.get("x-test-marker") == marker, 2)
    assert [m.headers[REASON_HEADER] for m in messages] == ["malformed", "unknown_type"]
    assert messages[0].data == b"\x00garbage"
    assert "missing headers" in messages[0].headers["gatehouse-deadletter-detail"]
    assert "not in the event catalog" in messages[1].headers["gatehouse-deadletter-detail"]
    assert messages[1].headers["gatehouse-deadletter-subject"].endswith("identity.user.exploded")
    await parked.unsubscribe()


async def test_a_handler_that_keeps_failing_is_parked_after_a_few_tries(
    notifier, monkeypatch
) -> None:
    calls = []

    async def broken(context, message):
        calls.append(context.event.id)
        raise RuntimeError("bug in the handler")

    monkeypatch.setitem(HANDLERS, "identity.user.password_changed", broken)
    js = notifier.nc.jetstream()
    parked = await js.pull_subscribe(
        deadletter_subject(notifier.prefix), stream=notifier.settings.events_stream
    )
    before = dead_letters("handler_error")
    user = notifier.identity.add_user(language="en")
    event = await notifier.emit(
        "identity.user.password_changed", ev.UserPasswordChanged(user_id=user.user_id)
    )

    async def parked_once() -> bool:
        return dead_letters("handler_error") > before

    await _wait(parked_once)
    [message] = await _parked(parked, lambda m: m.headers.get("ce-id") == event.id, 1)
    assert message.headers[REASON_HEADER] == "handler_error"
    assert "bug in the handler" in message.headers["gatehouse-deadletter-detail"]
    assert calls == [event.id] * notifier.settings.consumer_max_handler_failures
    assert not await notifier.is_handled(event.id)  # each failed try was rolled back
    await parked.unsubscribe()


async def test_smtp_permanent_refusal_abandons_at_once(notifier) -> None:
    user = notifier.identity.add_user(
        language="en", email=f"reject-{uuid.uuid4().hex[:8]}@example.test"
    )
    event = await notifier.emit(
        "identity.user.password_changed", ev.UserPasswordChanged(user_id=user.user_id)
    )
    row = await notifier.row_with_status(event.id, "abandoned")
    assert row["attempts"] == 1
    assert "550" in row["last_error"]


async def test_smtp_down_is_retried_and_delivered_exactly_once(notifier) -> None:
    user = notifier.identity.add_user(language="sv")
    notifier.sink.stop()
    try:
        event = await notifier.emit(
            "identity.user.password_changed", ev.UserPasswordChanged(user_id=user.user_id)
        )

        async def retried() -> bool:
            rows = await notifier.rows(event.id)
            return (
                bool(rows)
                and rows[0]["status"] in ("failed", "sending")
                and rows[0]["attempts"] >= 2
            )

        await _wait(retried)
        [row] = await notifier.rows(event.id)
        assert "unreachable" in row["last_error"]
    finally:
        notifier.sink.start()
    await notifier.mail_to(user.email)
    row = await notifier.row_with_status(event.id, "sent")
    assert row["attempts"] >= 2
    await asyncio.sleep(0.3)
    assert len(notifier.sink.to(user.email)) == 1


async def test_an_outage_costs_one_attempt_per_pause_not_one_per_message(notifier) -> None:
    users = [notifier.identity.add_user(language="sv") for _ in range(120)]
    notifier.sink.stop()
    try:
        events = [
            await notifier.emit(
                "identity.user.password_changed", ev.UserPasswordChanged(user_id=user.user_id)
            )
            for user in users
        ]
        ids = [uuid.UUID(event.id) for event in events]

        async def counts() -> RowMapping:
            [row] = await notifier.sql_rows(
                """SELECT count(*) AS queued, count(*) FILTER (WHERE attempts > 0) AS tried,
                          sum(attempts) AS attempts
                     FROM messages WHERE event_id = ANY(:ids)""",
                ids=ids,
            )
            return row

        async def all_queued() -> bool:
            return (await counts())["queued"] == len(ids)

        await _wait(all_queued)
        await asyncio.sleep(1.5)  # the couriers keep trying meanwhile
        tried, attempts = (await counts())["tried"], (await counts())["attempts"]
    finally:
        notifier.sink.start()
    # Each courier tries one message and pauses (0.05 to 0.2 s here): in 1.5 s a few dozen of
    # the 120 have been tried, not every one of them at the first refused connection.
    assert tried < 90, (tried, attempts)
    for user in users:
        await notifier.mail_to(user.email)


async def test_temporary_refusals_stop_after_the_last_attempt(notifier) -> None:
    # The row is put on its last allowed attempt directly, so the test does not wait for twelve.
    user = notifier.identity.add_user(
        language="en", email=f"tempfail-{uuid.uuid4().hex[:8]}@example.test"
    )
    event = await notifier.emit(
        "identity.user.password_changed", ev.UserPasswordChanged(user_id=user.user_id)
    )
    last = notifier.settings.delivery_max_attempts
    await _update_while_failed(
        notifier, event.id, f"SET attempts = {last} - 1, next_attempt_at = now()"
    )
    row = await notifier.row_with_status(event.id, "abandoned")
    assert row["attempts"] == last
    assert row["last_error"].startswith(f"gave up after {last} attempts")
    assert "451" in row["last_error"]


async def test_an_unknown_recipient_is_recorded_and_not_retried(notifier) -> None:
    user_id = f"usr-gone-{uuid.uuid4().hex[:8]}"
    event = await notifier.emit("identity.user.created", ev.UserCreated(user_id=user_id))
    row = await notifier.row_with_status(event.id, "abandoned")
    assert "NOT_FOUND" in row["last_error"]
    assert row["recipient_email"] is None
    assert row["attempts"] == 0
    await asyncio.sleep(0.3)
    assert notifier.identity.get_calls[user_id] == 1


async def test_identity_unavailable_is_waited_for(notifier) -> None:
    user = notifier.identity.add_user(language="en")
    notifier.identity.unavailable[user.user_id] = 2
    event = await notifier.emit(
        "identity.user.password_reset_requested",
        ev.UserPasswordResetRequested(user_id=user.user_id),
    )
    [mail] = await notifier.mail_to(user.email)
    assert mail["Subject"] == "Reset your password"
    assert notifier.identity.get_calls[user.user_id] == 3
    assert len(await notifier.rows(event.id)) == 1


async def test_a_row_held_by_a_sender_is_left_alone_and_taken_over_when_it_dies(
    notifier,
) -> None:
    user = notifier.identity.add_user(language="en")
    notifier.sink.stop()  # hold the message back while another "replica" takes it
    try:
        event = await notifier.emit(
            "identity.user.password_changed", ev.UserPasswordChanged(user_id=user.user_id)
        )
        await notifier.row_with_status(event.id, "failed")
        holder = await notifier.database.engine.connect()
        holding = await holder.begin()
        # As a replica in the middle of sending it: the row is locked by its transaction.
        await holder.execute(
            text("SELECT 1 FROM messages WHERE event_id = :event_id FOR UPDATE"),
            {"event_id": uuid.UUID(event.id)},
        )
    finally:
        notifier.sink.start()
    try:
        await holder.execute(
            text("UPDATE messages SET next_attempt_at = now() WHERE event_id = :event_id"),
            {"event_id": uuid.UUID(event.id)},
        )
        await asyncio.sleep(0.5)
        assert notifier.sink.to(user.email) == []  # nobody touches a row another one holds
    finally:
        await holding.rollback()  # the holder "dies": its transaction ends, the row is free
        await holder.close()
    await notifier.mail_to(user.email)
    await notifier.row_with_status(event.id, "sent")


async def test_a_row_leased_by_an_earlier_version_waits_for_its_lease(notifier) -> None:
    user = notifier.identity.add_user(language="en")
    notifier.sink.stop()
    try:
        event = await notifier.emit(
            "identity.user.password_changed", ev.UserPasswordChanged(user_id=user.user_id)
        )
        await _update_while_failed(
            notifier,
            event.id,
            "SET status = 'sending', next_attempt_at = now() + interval '1 hour'",
        )
    finally:
        notifier.sink.start()
    await asyncio.sleep(0.3)
    assert notifier.sink.to(user.email) == []
    await notifier.sql(
        "UPDATE messages SET next_attempt_at = now() WHERE event_id = :event_id",
        event_id=uuid.UUID(event.id),
    )
    await notifier.mail_to(user.email)
    await notifier.row_with_status(event.id, "sent")


async def test_a_message_is_recorded_as_sent_only_after_the_servers_250(notifier) -> None:
    # The server answers for a message only once it says 250: a notifier that died before
    # reading it must find the message unsent and send it again (issue 13, finding 5).
    user = notifier.identity.add_user(
        language="en", email=f"hold-{uuid.uuid4().hex[:8]}@example.test"
    )
    notifier.sink.holding.clear()
    notifier.sink.release.clear()
    try:
        event = await notifier.emit(
            "identity.user.password_changed", ev.UserPasswordChanged(user_id=user.user_id)
        )

        async def holding() -> bool:
            return notifier.sink.holding.is_set()

        await _wait(holding)  # the server has the final "." and has not answered
        await asyncio.sleep(0.3)  # time for a commit, were one to come before the reply
        [row] = await notifier.rows(event.id)
        assert row["status"] != "sent"
    finally:
        notifier.sink.release.set()
    await notifier.mail_to(user.email)
    row = await notifier.row_with_status(event.id, "sent")
    assert row["attempts"] == 1


async def test_a_message_refused_after_its_text_is_not_counted_as_sent(notifier) -> None:
    user = notifier.identity.add_user(
        language="en", email=f"spam-{uuid.uuid4().hex[:8]}@example.test"
    )
    event = await notifier.emit(
        "identity.user.password_changed", ev.UserPasswordChanged(user_id=user.user_id)
    )
    row = await notifier.row_with_status(event.id, "abandoned")
    assert "554" in row["last_error"]
    assert row["sent_at"] is None
    assert row["attempts"] == 1


async def test_a_temporary_refusal_after_the_text_is_retried(notifier) -> None:
    user = notifier.identity.add_user(
        language="sv", email=f"busy-{uuid.uuid4().hex[:8]}@example.test"
    )
    event = await notifier.emit(
        "identity.user.password_changed", ev.UserPasswordChanged(user_id=user.user_id)
    )
    [mail] = await notifier.mail_to(user.email)
    row = await notifier.row_with_status(event.id, "sent")
    assert row["attempts"] == 3
    assert mail["Subject"] == "Ditt lösenord har ändrats"
    await asyncio.sleep(0.3)
    assert len(notifier.sink.to(user.email)) == 1


async def test_the_recipients_and_links_of_a_batch_of_events_are_asked_for_together(
    notifier,
) -> None:
    users = [notifier.identity.add_user(language="sv") for _ in range(40)]
    before = dict(notifier.identity.calls)
    js = notifier.nc.jetstream()
    for user in users:  # all in the stream before the consumer's next fetch, as after a pause
        event = event_for(
            event_type="identity.user.password_reset_requested",
            source="identity",
            subject=user.user_id,
            message=ev.UserPasswordResetRequested(user_id=user.user_id),
        )
        await js.publish_async(
            f"{notifier.prefix}.identity.user.password_reset_requested",
            event.data,
            headers=event.headers(),
        )
    await js.publish_async_completed()
    for user in users:
        await notifier.mail_to(user.email)
    calls = {
        method: notifier.identity.calls[method] - before.get(method, 0)
        for method in ("GetUser", "BatchGetUsers", "CreatePasswordLink", "BatchCreatePasswordLinks")
    }
    assert calls["GetUser"] == calls["CreatePasswordLink"] == 0, calls
    assert calls["BatchGetUsers"] <= 10, calls
    assert calls["BatchCreatePasswordLinks"] <= 10, calls


async def test_a_failing_handler_leaves_no_trace_and_its_batch_goes_on(
    notifier, monkeypatch
) -> None:
    original = HANDLERS["registry.operator.created"]
    tries = []

    async def remembers_then_breaks(context, message):
        await context.memory.remember_operator_creator(
            operator_id=message.operator_id, user_id=message.created_by_user_id
        )
        if message.operator_id.startswith("broken"):
            tries.append(message.operator_id)
            raise RuntimeError("bug after remembering")
        return await original(context, message)

    monkeypatch.setitem(HANDLERS, "registry.operator.created", remembers_then_breaks)
    parked_before = dead_letters("handler_error")
    user = notifier.identity.add_user(language="en")
    broken = await notifier.emit(
        "registry.operator.created",
        reg.OperatorCreated(operator_id=f"broken-{uuid.uuid4()}", created_by_user_id="u-x"),
    )
    sound = await notifier.emit(
        "identity.user.password_changed", ev.UserPasswordChanged(user_id=user.user_id)
    )
    await notifier.mail_to(user.email)  # the other event of the batch went through
    assert await notifier.is_handled(sound.id)

    async def parked() -> bool:
        return dead_letters("handler_error") > parked_before

    await _wait(parked)
    assert len(tries) == notifier.settings.consumer_max_handler_failures
    assert not await notifier.is_handled(broken.id)
    [remembered] = await notifier.sql_rows(
        "SELECT count(*) AS n FROM operator_creators WHERE operator_id LIKE 'broken-%'"
    )
    assert remembered["n"] == 0  # each failed try's memory writes were never made


async def test_replicas_share_the_work_and_send_each_message_once(notifier) -> None:
    notifier.start_replica()
    users = [notifier.identity.add_user(language="sv") for _ in range(12)]
    for user in users:
        await notifier.emit(
            "identity.user.password_changed", ev.UserPasswordChanged(user_id=user.user_id)
        )
    for user in users:
        await notifier.mail_to(user.email)
    await asyncio.sleep(0.3)
    assert all(len(notifier.sink.to(user.email)) == 1 for user in users)


async def _wait(condition) -> None:
    for _ in range(200):
        if await condition():
            return
        await asyncio.sleep(0.05)
    pytest.fail("condition not reached in 10 s")


async def _update_while_failed(notifier, event_id: str, assignments: str) -> None:
    """Change the row between two tries: only while it is 'failed', i.e. no courier holds it."""
    statement = f"UPDATE messages {assignments} WHERE event_id = :event_id AND status = 'failed'"

    async def updated() -> bool:
        return await notifier.sql(statement, event_id=uuid.UUID(event_id)) == 1

    await _wait(updated)


async def _parked(subscription, wanted, count: int) -> list:
    """The dead letters matching `wanted`, waiting until there are `count` of them."""
    found: list = []
    for _ in range(20):
        try:
            batch = await subscription.fetch(50, timeout=0.5)
        except TimeoutError:
            batch = []
        for message in batch:
            await message.ack()
        found += [m for m in batch if wanted(m)]
        if len(found) >= count:
            return found
    pytest.fail(f"expected {count} dead letters, found {len(found)}")


async def test_the_shared_consumer_takes_identity_and_registry_events_only(notifier) -> None:
    info = await notifier.nc.jetstream().consumer_info(
        notifier.settings.events_stream, notifier.settings.notifier_consumer
    )
    assert info.config.durable_name == notifier.settings.notifier_consumer
    assert info.config.ack_policy == AckPolicy.EXPLICIT
    assert info.config.max_deliver == -1
    if notifier.nc.connected_server_version.minor < 10:
        pytest.skip("NATS before 2.10 has no filter_subjects (the notifier skips foreign subjects)")
    assert sorted(info.config.filter_subjects) == [
        f"{notifier.prefix}.identity.>",
        f"{notifier.prefix}.registry.>",
    ]
