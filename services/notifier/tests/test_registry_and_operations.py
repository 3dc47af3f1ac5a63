"""Registry events through the registry's gRPC lookups, reminders to deciders, and replaying
parked events: the running notifier against real PostgreSQL, NATS, SMTP and gRPC."""

from __future__ import annotations

import argparse
import asyncio
import io
from datetime import UTC, datetime, timedelta

from gatehouse.events.v1 import identity_events_pb2 as ev
from gatehouse.events.v1 import registry_events_pb2 as reg
from gatehouse.registry.v1 import role_service_pb2 as role_pb
from gatehouse_notifier import admin
from gatehouse_notifier.handlers import HANDLERS


async def test_a_role_request_reaches_the_administrators_in_their_language(notifier) -> None:
    requester = notifier.identity.add_user(language="sv", first_name="Åsa")
    administrator = notifier.identity.add_user(language="en", first_name="Adam")
    validator = notifier.identity.add_user(language="sv", first_name="Vera")
    operator = notifier.registry.add_operator(
        "Importföretaget AB",
        administrators=[administrator.user_id],
        validators=[validator.user_id],
    )
    role = notifier.registry.add_role_request(
        user_id=requester.user_id,
        operator_id=operator,
        deciders=[administrator.user_id, validator.user_id],
    )
    await notifier.emit(
        "registry.role_request.created",
        reg.RoleRequestCreated(
            role_request_id=role, user_id=requester.user_id, organization_id=operator
        ),
    )
    [mail] = await notifier.mail_to(administrator.email)
    assert mail["Subject"] == "New request for access to Importföretaget AB"
    assert mail["From"].addresses[0].display_name == "Gatehouse registry"
    assert mail["Content-Language"] == "en"
    text = mail.get_body(("plain",)).get_content()
    assert requester.email in text
    # A deep link to the applicant's page (sign-in comes on the way), not to the sign-in page.
    assert f"https://registry.test/actors/users/{requester.user_id}" in text
    [receipt] = await notifier.mail_to(requester.email)  # the applicant's receipt, in Swedish
    assert "Importföretaget AB" in receipt["Subject"]
    assert receipt["Content-Language"] == "sv"

    notifier.registry.roles[role].status = role_pb.ROLE_REQUEST_STATUS_APPROVED
    await notifier.emit(
        "registry.role_request.approved",
        reg.RoleRequestApproved(
            role_request_id=role,
            user_id=requester.user_id,
            organization_id=operator,
            became_administrator=False,
        ),
    )
    _receipt, approved = await notifier.mail_to(requester.email, count=2)
    assert approved["Subject"] == "Din behörighet för Importföretaget AB har godkänts"
    assert approved["From"].addresses[0].display_name == "Gatehouse-registret"
    assert notifier.sink.to(validator.email) == []  # the administrators decide, not the authority


async def test_deciders_are_reminded_once_per_period_of_waiting(notifier) -> None:
    requester = notifier.identity.add_user(language="en")
    validator = notifier.identity.add_user(language="sv")
    operator = notifier.registry.add_operator("Nya Importen AB", validators=[validator.user_id])
    role = notifier.registry.add_role_request(
        user_id=requester.user_id, operator_id=operator, deciders=[validator.user_id]
    )
    asked = datetime.now(UTC) - timedelta(days=8)
    created = await notifier.emit(
        "registry.role_request.created",
        reg.RoleRequestCreated(role_request_id=role, user_id=requester.user_id),
        time=asked,
    )
    await notifier.mail_to(validator.email)  # told when the request was made
    assert await _tracked(notifier, role) == asked

    # Two replicas run the job at the same moment: one reminder.
    first, second = notifier.context.reminders(), notifier.context.reminders()
    sent = await asyncio.gather(first.run_once(), second.run_once())
    assert sorted(sent) == [0, 1]
    mails = await notifier.mail_to(validator.email, count=2)
    assert mails[1]["Subject"] == "Påminnelse: en ansökan om behörighet för Nya Importen AB väntar"
    assert "8 dagar" in " ".join(mails[1].get_body(("plain",)).get_content().split())
    assert await first.run_once() == 0  # the same reminder again: nothing

    # A week later the request was decided without the notifier hearing of it: no reminder,
    # and the request is no longer tracked.
    notifier.registry.roles[role].status = role_pb.ROLE_REQUEST_STATUS_REJECTED
    assert await first.run_once(datetime.now(UTC) + timedelta(days=7)) == 0
    assert await _tracked(notifier, role) is None
    await asyncio.sleep(0.3)
    assert len(notifier.sink.to(validator.email)) == 2
    assert created.id  # the reminder's messages are separate from the event's
    reminders = await notifier.sql_rows(
        "SELECT * FROM messages WHERE event_type = 'notifier.role_request.reminder'"
        " AND recipient_user_id = :user_id",
        user_id=validator.user_id,
    )
    assert len(reminders) == 1


async def test_a_decided_request_is_no_longer_tracked(notifier) -> None:
    requester = notifier.identity.add_user(language="en")
    operator = notifier.registry.add_operator("Tredje AB")
    role = notifier.registry.add_role_request(
        user_id=requester.user_id, operator_id=operator, deciders=[]
    )
    created = await notifier.emit(
        "registry.role_request.created",
        reg.RoleRequestCreated(role_request_id=role, user_id=requester.user_id),
    )
    await _handled(notifier, created.id)
    assert await _tracked(notifier, role) is not None
    rejected = await notifier.emit(
        "registry.role_request.rejected",
        reg.RoleRequestRejected(role_request_id=role, user_id=requester.user_id, reason="Nej"),
    )
    await _handled(notifier, rejected.id)
    assert await _tracked(notifier, role) is None
    # The receipt of the request and the rejection (in whichever order they were sent); only the
    # rejection carries the reason.
    mails = await notifier.mail_to(requester.email, count=2)
    bodies = [mail.get_body(("plain",)).get_content() for mail in mails]
    assert sum("Nej" in body for body in bodies) == 1


async def test_parked_events_can_be_listed_and_replayed(notifier, monkeypatch) -> None:
    handler = HANDLERS["identity.recovery_code.used"]
    monkeypatch.delitem(HANDLERS, "identity.recovery_code.used")  # an older notifier
    user = notifier.identity.add_user(language="en")
    event = await notifier.emit(
        "identity.recovery_code.used", ev.RecoveryCodeUsed(user_id=user.user_id, remaining=4)
    )

    async def parked() -> list[admin.DeadLetter]:
        letters = await admin.list_dead_letters(notifier.settings, limit=1000)
        return [letter for letter in letters if letter.event_id == event.id]

    [letter] = await _eventually(parked)
    assert letter.reason == "no_handler"
    assert letter.subject.endswith(".identity.recovery_code.used")
    out = io.StringIO()
    args = argparse.Namespace(command="deadletters", action="list", limit=1000)
    assert await admin.run(notifier.settings, args, out=out) == 0
    assert event.id in out.getvalue()

    monkeypatch.setitem(HANDLERS, "identity.recovery_code.used", handler)  # upgraded
    out = io.StringIO()
    replay = argparse.Namespace(
        command="deadletters", action="replay", sequences=[letter.sequence], all=False
    )
    assert await admin.run(notifier.settings, replay, out=out) == 0
    assert out.getvalue().startswith(f"{letter.sequence}: replayed on ")
    [mail] = await notifier.mail_to(user.email)
    assert mail["Subject"] == "A recovery code was used to sign in"
    assert await parked() == []
    assert await admin.replay_dead_letters(notifier.settings, sequences=[letter.sequence]) == [
        (letter.sequence, "no parked event with that sequence")
    ]


async def _tracked(notifier, role_request_id: str) -> datetime | None:
    rows = await notifier.sql_rows(
        "SELECT requested_at FROM pending_role_requests WHERE role_request_id = :id",
        id=role_request_id,
    )
    return rows[0]["requested_at"] if rows else None


async def _handled(notifier, event_id: str) -> None:
    async def handled() -> bool:
        return await notifier.is_handled(event_id)

    await _eventually(handled)


async def _eventually(condition):
    for _ in range(200):
        value = await condition()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached in 10 s")
