"""Every event of identity and registry becomes the expected message, to the expected people, in
each one's language: the whole system as real processes, a Swedish and an English cast.

Accounts are made through identity's HTTP API (their "account created" e-mail is checked too).
The registry's organizations and roles are written straight into its database (its web flows need
a second-factor sign-in), so its gRPC lookups answer about real rows. Events are published
straight to JetStream, as identity's and registry's outbox relays would; the registry's own
consumer reacts to identity.user.devices_reset as it would in production.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import httpx
import nats
import psycopg
import pytest
from google.protobuf import message as protobuf
from google.protobuf.timestamp_pb2 import Timestamp

from gatehouse.events.v1 import identity_events_pb2 as ev
from gatehouse.events.v1 import registry_events_pb2 as reg
from gatehouse_common.events import Event, event_for, nats_subject
from gatehouse_devstack.mailbox_client import MailboxClient, Message
from gatehouse_devstack.stack import Stack
from tests.journeys import create_account, identity_client, unique_email

pytestmark = pytest.mark.stack

Events = list[tuple[str, protobuf.Message, datetime | None]]

# Subjects by message, (Swedish, English); {o} is the organization or operator named.
SUBJECTS = {
    "account_created": (
        "Välkommen \N{EN DASH} skapa ditt lösenord",
        "Welcome \N{EN DASH} create your password",
    ),
    "registration_repeated": (
        "Någon försökte skapa ett konto med din e-postadress",
        "Someone tried to create an account with your e-mail address",
    ),
    "password_reset": ("Återställ ditt lösenord", "Reset your password"),
    "account_blocked": ("Ditt konto har spärrats", "Your account has been blocked"),
    "password_changed": ("Ditt lösenord har ändrats", "Your password has been changed"),
    "second_factor_added": (
        "En inloggningsmetod har lagts till på ditt konto",
        "A sign-in method was added to your account",
    ),
    "second_factor_removed": (
        "En inloggningsmetod har tagits bort från ditt konto",
        "A sign-in method was removed from your account",
    ),
    "second_factor_failures": (
        "Upprepade misslyckade inloggningar på ditt konto",
        "Repeated failed sign-ins to your account",
    ),
    "device_locked": ("Din mobila enhet har spärrats", "Your mobile device has been locked"),
    "devices_reset": (
        "Alla dina inloggningsmetoder har tagits bort",
        "All your sign-in methods have been removed",
    ),
    "recovery_code_used": (
        "En reservkod användes för att logga in",
        "A recovery code was used to sign in",
    ),
    "operator_created": ("Ny aktör att validera: {o}", "New operator to validate: {o}"),
    "operator_validated": ("{o} har validerats", "{o} has been validated"),
    "operator_rejected": ("{o} har avslagits", "{o} has been rejected"),
    "activity_created": (
        "Ny verksamhet att validera för {o}",
        "New activity to validate for {o}",
    ),
    "activity_validated": (
        "En verksamhet för {o} har validerats",
        "An activity of {o} has been validated",
    ),
    "activity_rejected": (
        "En verksamhet för {o} har avslagits",
        "An activity of {o} has been rejected",
    ),
    "role_requested": (
        "Ny ansökan om behörighet för {o}",
        "New request for access to {o}",
    ),
    "role_request_received": (
        "Vi har tagit emot din ansökan om behörighet för {o}",
        "We have received your request for access to {o}",
    ),
    "role_request_reminder": (
        "Påminnelse: en ansökan om behörighet för {o} väntar",
        "Reminder: a request for access to {o} is waiting",
    ),
    "role_approved": (
        "Din behörighet för {o} har godkänts",
        "Your access to {o} has been approved",
    ),
    "role_rejected": (
        "Din ansökan om behörighet för {o} har avslagits",
        "Your request for access to {o} has been rejected",
    ),
    "role_revoked": (
        "Din behörighet för {o} har återkallats",
        "Your access to {o} has been withdrawn",
    ),
    "admin_granted": (
        "Du är nu administratör för {o}",
        "You are now an administrator of {o}",
    ),
    "admin_removed": (
        "Du är inte längre administratör för {o}",
        "You are no longer an administrator of {o}",
    ),
    "user_unsuspended": (
        "Din behörighet för {o} fungerar igen",
        "Your access to {o} works again",
    ),
    "inactivity_warning": (
        "Logga in för att behålla ditt konto i registret aktivt",
        "Sign in to keep your registry account active",
    ),
    "user_inactivated": (
        "Ditt konto i registret har blivit inaktivt",
        "Your registry account has become inactive",
    ),
    "reactivation_requested": (
        "En användare ber om att återaktiveras i registret",
        "A user asks to be reactivated in the registry",
    ),
    "user_reactivated": (
        "Ditt konto i registret är aktivt igen",
        "Your registry account is active again",
    ),
    "user_suspended": (
        "Din behörighet i registret har stängts av",
        "Your access in the registry has been suspended",
    ),
    "suspension_to_review": (
        "En användares behörighet väntar på din granskning",
        "A user's access awaits your review",
    ),
}
SENDERS = {
    ("identity", "sv"): "Autentiseringstjänst",
    ("identity", "en"): "Authentication service",
    ("registry", "sv"): "Gatehouse-registret",
    ("registry", "en"): "Gatehouse registry",
}
IDENTITY_MESSAGES = {
    "account_created",
    "registration_repeated",
    "password_reset",
    "account_blocked",
    "password_changed",
    "second_factor_added",
    "second_factor_removed",
    "second_factor_failures",
    "device_locked",
    "devices_reset",
    "recovery_code_used",
}


@dataclass(frozen=True)
class Person:
    email: str
    user_id: str


@dataclass(frozen=True)
class Cast:
    """Everyone in one language: the requester, an operator's administrator, a member of the
    competent authority, and whoever registered the new operators; and their organizations."""

    language: str
    requester: Person
    administrator: Person
    validator: Person
    creator: Person
    tag: str
    authority: str = ""
    operator: str = ""  # valid, administered by `administrator`
    new_operator: str = ""  # pending, validated in the test
    rejected_operator: str = ""  # pending, rejected in the test
    other_operator: str = ""  # valid, `requester` holds an approved role there
    member_role: str = ""  # requester's pending request at `operator`
    first_role: str = ""  # requester's pending request at `new_operator`
    approved_role: str = ""  # requester's approved role at `other_operator`

    def name(self, organization: str) -> str:
        return {
            self.operator: f"Importföretaget {self.tag} AB",
            self.new_operator: f"Nya Importen {self.tag} AB",
            self.rejected_operator: f"Tredje Importen {self.tag} AB",
            self.other_operator: f"Fjärde Handeln {self.tag} AB",
            self.authority: f"Testmyndigheten {self.tag}",
        }[organization]


@pytest.fixture
def casts(stack: Stack, mailbox: MailboxClient) -> dict[str, Cast]:
    casts = {}
    with identity_client(stack) as client:
        for language in ("sv", "en"):
            people = [_person(stack, client, mailbox, language, role) for role in range(4)]
            cast = Cast(language, *people, tag=uuid.uuid4().hex[:6])
            casts[language] = _registry_world(stack, cast)
    return casts


def _person(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient, language: str, number: int
) -> Person:
    email = unique_email(f"notifier-{language}-{number}")
    create_account(client, mailbox, language=language, email=email)
    with psycopg.connect(stack.database_urls["identity"], autocommit=True) as connection:
        row = connection.execute(
            "SELECT id FROM users WHERE email_normalized = lower(%s)", (email,)
        ).fetchone()
    assert row is not None
    return Person(email=email, user_id=str(row[0]))


def _registry_world(stack: Stack, cast: Cast) -> Cast:
    ids = {name: str(uuid.uuid4()) for name in ("a", "o1", "o2", "o3", "o4", "r1", "r2", "r4")}
    cast = replace(
        cast,
        authority=ids["a"],
        operator=ids["o1"],
        new_operator=ids["o2"],
        rejected_operator=ids["o3"],
        other_operator=ids["o4"],
        member_role=ids["r1"],
        first_role=ids["r2"],
        approved_role=ids["r4"],
    )
    organization = """INSERT INTO organizations (id, kind, name, country_code, status, code,
                          authority_kind, competent_authority_id)
                      VALUES (%s, %s, %s, 'SE', %s, %s, %s, %s)"""
    role = """INSERT INTO roles (id, user_id, organization_id, kind, status, is_admin, decided_at)
              VALUES (%s, %s, %s, 'member', %s, %s, CASE WHEN %s = 'approved' THEN now() END)"""
    with psycopg.connect(stack.database_urls["registry"], autocommit=True) as connection:
        authority = (cast.authority, "authority", cast.name(cast.authority), "valid")
        connection.execute(organization, (*authority, f"NT-{cast.tag}", "central", None))
        for operator, status in (
            (cast.operator, "valid"),
            (cast.new_operator, "pending"),
            (cast.rejected_operator, "pending"),
            (cast.other_operator, "valid"),
        ):
            connection.execute(
                organization,
                (operator, "operator", cast.name(operator), status, None, None, cast.authority),
            )
        for person in (cast.requester, cast.administrator, cast.validator, cast.creator):
            connection.execute(
                """INSERT INTO users (id, full_name, email, last_sign_in_at, last_seen_at)
                   VALUES (%s, 'Anna Svensson', %s, now(), now())""",
                (person.user_id, person.email),
            )
        for role_id, person, organization, status, admin in (
            (str(uuid.uuid4()), cast.validator, cast.authority, "approved", False),
            (str(uuid.uuid4()), cast.administrator, cast.operator, "approved", True),
            (cast.member_role, cast.requester, cast.operator, "pending", False),
            (cast.first_role, cast.requester, cast.new_operator, "pending", False),
            (cast.approved_role, cast.requester, cast.other_operator, "approved", False),
        ):
            connection.execute(role, (role_id, person.user_id, organization, status, admin, status))
    return cast


def _stamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def _first_events(cast: Cast) -> Events:
    """Everything but the operators' decisions, which need their creation handled first."""
    r = cast.requester.user_id
    method = ev.SECOND_FACTOR_METHOD_TOTP
    return [
        ("identity.user.registration_repeated", ev.UserRegistrationRepeated(user_id=r), None),
        ("identity.user.password_reset_requested", ev.UserPasswordResetRequested(user_id=r), None),
        ("identity.user.locked", ev.UserLocked(user_id=r, failed_attempts=5), None),
        ("identity.user.password_changed", ev.UserPasswordChanged(user_id=r), None),
        ("identity.user.password_set", ev.UserPasswordSet(user_id=r, replaced=True), None),
        ("identity.user.password_set", ev.UserPasswordSet(user_id=r, replaced=False), None),
        (
            "identity.second_factor.added",
            ev.SecondFactorAdded(user_id=r, factor_id="f", method=method, name="Telefon"),
            None,
        ),
        (
            "identity.second_factor.removed",
            ev.SecondFactorRemoved(user_id=r, factor_id="f", method=method, name="Telefon"),
            None,
        ),
        (
            "identity.second_factor.failures_repeated",
            ev.SecondFactorFailuresRepeated(user_id=r, method=method, bursts=3),
            None,
        ),
        (
            "identity.device.locked",
            ev.DeviceLocked(user_id=r, device_id="d", name="Pixel", failed_pins=5),
            None,
        ),
        # The registry suspends the requester's approved role on this one and says so itself.
        ("identity.user.devices_reset", ev.UserDevicesReset(user_id=r, removed_count=2), None),
        ("identity.recovery_code.used", ev.RecoveryCodeUsed(user_id=r, remaining=2), None),
        (
            "registry.operator.created",
            reg.OperatorCreated(
                operator_id=cast.new_operator,
                created_by_user_id=cast.creator.user_id,
                competent_authority_id=cast.authority,
            ),
            None,
        ),
        (
            "registry.operator.created",
            reg.OperatorCreated(
                operator_id=cast.rejected_operator,
                created_by_user_id=cast.creator.user_id,
                competent_authority_id=cast.authority,
            ),
            None,
        ),
        (
            "registry.activity.created",
            reg.ActivityCreated(
                activity_id=str(uuid.uuid4()),
                operator_id=cast.operator,
                created_by_user_id=cast.administrator.user_id,
                authority_id=cast.authority,
            ),
            None,
        ),
        (
            "registry.activity.validated",
            reg.ActivityValidated(activity_id=str(uuid.uuid4()), operator_id=cast.operator),
            None,
        ),
        (
            "registry.activity.rejected",
            reg.ActivityRejected(
                activity_id=str(uuid.uuid4()), operator_id=cast.operator, reason="Fel kod"
            ),
            None,
        ),
        (
            "registry.role_request.created",
            reg.RoleRequestCreated(
                role_request_id=cast.member_role, user_id=r, organization_id=cast.operator
            ),
            None,
        ),
        (
            # Made eight days ago: due for a reminder (ROLE_REQUEST_REMINDER_DAYS is 7).
            "registry.role_request.created",
            reg.RoleRequestCreated(
                role_request_id=cast.first_role, user_id=r, organization_id=cast.new_operator
            ),
            datetime.now(UTC) - timedelta(days=8),
        ),
        *[
            (event_type, message_type(role_request_id=cast.member_role, user_id=r), None)
            for event_type, message_type in (
                ("registry.role_request.approved", reg.RoleRequestApproved),
                ("registry.role_request.rejected", reg.RoleRequestRejected),
                ("registry.role.revoked", reg.RoleRevoked),
                ("registry.admin.granted", reg.AdminGranted),
                ("registry.admin.removed", reg.AdminRemoved),
                ("registry.user.unsuspended", reg.UserUnsuspended),
            )
        ],
        (
            "registry.user.inactivity_warned",
            reg.UserInactivityWarned(user_id=r, inactive_time=_stamp(datetime.now(UTC))),
            None,
        ),
        ("registry.user.inactivated", reg.UserInactivated(user_id=r), None),
        (
            "registry.user.reactivation_requested",
            reg.UserReactivationRequested(user_id=r, message="Tillbaka från ledighet."),
            None,
        ),
        ("registry.user.reactivated", reg.UserReactivated(user_id=r), None),
    ]


def _decisions(cast: Cast) -> Events:
    return [
        (
            "registry.operator.validated",
            reg.OperatorValidated(operator_id=cast.new_operator),
            None,
        ),
        (
            "registry.operator.rejected",
            reg.OperatorRejected(operator_id=cast.rejected_operator, reason="Finns redan"),
            None,
        ),
    ]


def _expected(cast: Cast) -> dict[str, Counter[tuple[str, str]]]:
    """(message, organization) each person should have received, by address."""

    def mails(*items: tuple[str, str]) -> Counter[tuple[str, str]]:
        return Counter(items)

    org = cast.name
    return {
        cast.requester.email: mails(
            ("account_created", ""),
            ("registration_repeated", ""),
            ("password_reset", ""),
            ("account_blocked", ""),
            ("password_changed", ""),
            ("password_changed", ""),
            ("second_factor_added", ""),
            ("second_factor_removed", ""),
            ("second_factor_failures", ""),
            ("device_locked", ""),
            ("devices_reset", ""),
            ("recovery_code_used", ""),
            ("user_suspended", ""),
            ("role_request_received", org(cast.operator)),
            ("role_request_received", org(cast.new_operator)),
            ("role_approved", org(cast.operator)),
            ("role_rejected", org(cast.operator)),
            ("role_revoked", org(cast.operator)),
            ("admin_granted", org(cast.operator)),
            ("admin_removed", org(cast.operator)),
            ("user_unsuspended", org(cast.operator)),
            ("inactivity_warning", ""),
            ("user_inactivated", ""),
            ("user_reactivated", ""),
        ),
        cast.administrator.email: mails(
            ("account_created", ""),
            ("activity_validated", org(cast.operator)),
            ("activity_rejected", org(cast.operator)),
            ("role_requested", org(cast.operator)),
        ),
        cast.validator.email: mails(
            ("account_created", ""),
            ("operator_created", org(cast.new_operator)),
            ("operator_created", org(cast.rejected_operator)),
            ("activity_created", org(cast.operator)),
            ("role_requested", org(cast.new_operator)),
            ("role_request_reminder", org(cast.new_operator)),
            ("reactivation_requested", ""),
            ("suspension_to_review", ""),
        ),
        cast.creator.email: mails(
            ("account_created", ""),
            ("operator_validated", org(cast.new_operator)),
            ("operator_rejected", org(cast.rejected_operator)),
        ),
    }


def _subject(message: str, organization: str, language: str) -> str:
    swedish, english = SUBJECTS[message]
    return (swedish if language == "sv" else english).format(o=organization)


def publish(stack: Stack, events: Events) -> list[Event]:
    """Publish to JetStream as an outbox relay would (one Nats-Msg-Id per event)."""
    built = []
    for event_type, message, moment in events:
        event = event_for(
            event_type=event_type,
            source=f"gatehouse/{event_type.split('.', maxsplit=1)[0]}",
            subject=str(message.ListFields()[0][1]),  # the id it is about, as publishers do
            message=message,
        )
        built.append(replace(event, time=moment) if moment else event)

    async def send() -> None:
        nc = await nats.connect(stack.nats_url)
        try:
            js = nc.jetstream()
            for event in built:
                await js.publish(
                    nats_subject(stack.events_subject_prefix, event.type),
                    event.data,
                    stream=stack.events_stream,
                    headers=event.headers(),
                )
        finally:
            await nc.close()

    asyncio.run(send())
    return built


def _received(mailbox: MailboxClient, addresses: set[str]) -> dict[str, list[Message]]:
    found: dict[str, list[Message]] = {address: [] for address in addresses}
    for message in mailbox.messages():
        for recipient in message.envelope_recipients:
            if recipient in found:
                found[recipient].append(message)
    return found


def _wait_for(
    mailbox: MailboxClient, subjects: dict[str, Counter[str]], *, timeout: float = 60
) -> dict[str, list[Message]]:
    """Until each address has received (at least) the subjects listed for it."""
    deadline = time.monotonic() + timeout
    while True:
        received = _received(mailbox, set(subjects))
        missing = {
            address: wanted - Counter(m.subject for m in received[address])
            for address, wanted in subjects.items()
        }
        if not any(missing.values()):
            return received
        if time.monotonic() > deadline:
            pytest.fail(f"mail missing: { {a: dict(m) for a, m in missing.items() if m} }")
        time.sleep(0.5)


def _templates_by_subject(cast: Cast) -> dict[str, str]:
    organizations = (
        cast.operator,
        cast.new_operator,
        cast.rejected_operator,
        cast.other_operator,
    )
    return {
        _subject(template, cast.name(organization), cast.language): template
        for template in SUBJECTS
        for organization in organizations
    }


def _subjects(cast: Cast) -> dict[str, Counter[str]]:
    return {
        address: Counter(
            {
                _subject(message, organization, cast.language): n
                for (message, organization), n in wanted.items()
            }
        )
        for address, wanted in _expected(cast).items()
    }


def test_every_event_mails_the_right_people_in_their_language(
    stack: Stack, mailbox: MailboxClient, casts: dict[str, Cast]
) -> None:
    for cast in casts.values():
        publish(stack, _first_events(cast))
    # The new operators' creators must be remembered, and the old request tracked, first.
    _wait_for(
        mailbox,
        {
            cast.validator.email: Counter(
                [
                    _subject("operator_created", cast.name(cast.new_operator), cast.language),
                    _subject("operator_created", cast.name(cast.rejected_operator), cast.language),
                    _subject("role_requested", cast.name(cast.new_operator), cast.language),
                ]
            )
            for cast in casts.values()
        },
    )
    for cast in casts.values():
        publish(stack, _decisions(cast))
    result = subprocess.run(
        [sys.executable, "-m", "gatehouse_notifier", "reminders", "send-due"],
        env=stack.env_for("notifier"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    wanted = {address: n for cast in casts.values() for address, n in _subjects(cast).items()}
    _wait_for(mailbox, wanted)
    time.sleep(2)  # anything sent twice would have arrived by now
    received = _received(mailbox, set(wanted))

    for cast in casts.values():
        templates = _templates_by_subject(cast)
        for address, subjects in _subjects(cast).items():
            messages = received[address]
            assert Counter(m.subject for m in messages) == subjects, (cast.language, address)
            assert len({m.message_id for m in messages}) == len(messages)
            for message in messages:
                template = templates[message.subject]
                service = "identity" if template in IDENTITY_MESSAGES else "registry"
                assert message.header("Content-Language") == cast.language, template
                assert SENDERS[(service, cast.language)] in message.from_header, template
                greeting = "Hej Anna!" if cast.language == "sv" else "Dear Anna Svensson,"
                assert greeting in (message.text or ""), template
