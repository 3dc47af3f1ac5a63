"""Handlers, templates, e-mail building and policies, without any server.

In-memory stand-ins for identity, the registry and the notifier's memory, and one example of
every event in the catalog with the messages it must produce, to whom.
"""

from __future__ import annotations

import dataclasses
import email as email_module
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from zoneinfo import ZoneInfo

import pytest
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from nats.aio.msg import Msg
from pydantic import ValidationError

from gatehouse.events.v1 import identity_events_pb2 as ev
from gatehouse.events.v1 import registry_events_pb2 as reg
from gatehouse_common.event_catalog import EVENT_MESSAGES
from gatehouse_common.events import Event, event_for
from gatehouse_notifier.backoff import backoff_delay
from gatehouse_notifier.consumer import by_subject
from gatehouse_notifier.directory import LinkPurpose, PasswordLink, Recipient, RefusedError
from gatehouse_notifier.handlers import HANDLERS, SILENT, Draft, HandlerContext, PublicUrls
from gatehouse_notifier.handlers.base import silent
from gatehouse_notifier.mail import Letter, compose, message_id_header
from gatehouse_notifier.registry import (
    Operator,
    OrganizationKind,
    RoleKind,
    RoleRequest,
    RoleStatus,
)
from gatehouse_notifier.reminders import TEMPLATE as REMINDER
from gatehouse_notifier.reminders import Schedule, reminder_drafts
from gatehouse_notifier.rendering import EU_LANGUAGES, PARTS, Renderer, format_date, format_datetime
from gatehouse_notifier.settings import NotifierSettings

URLS = PublicUrls(identity="https://id.test", registry="https://reg.test")
LANGUAGES = ("sv", "en")


@dataclass
class MemoryDirectory:
    users: dict[str, Recipient] = field(default_factory=dict)
    link_expiry: bool = True
    links: list[tuple[str, LinkPurpose, str]] = field(default_factory=list)

    async def get_user(self, user_id: str) -> Recipient:
        if user_id not in self.users:
            raise RefusedError("NOT_FOUND", "no such user")
        return self.users[user_id]

    async def get_users(self, user_ids: list[str]) -> dict[str, Recipient]:
        return {user_id: self.users[user_id] for user_id in user_ids if user_id in self.users}

    async def create_password_link(
        self, *, user_id: str, purpose: LinkPurpose, event_id: str
    ) -> PasswordLink:
        self.links.append((user_id, purpose, event_id))
        expires = datetime(2025, 6, 30, 12, 0, tzinfo=UTC) if self.link_expiry else None
        return PasswordLink(
            url=f"https://id.test/password/{purpose.name}?t=a&b={user_id}", expires_at=expires
        )


@dataclass
class MemoryRegistry:
    roles: dict[str, RoleRequest] = field(default_factory=dict)
    deciders: dict[str, list[str]] = field(default_factory=dict)
    reactivation: dict[str, list[str]] = field(default_factory=dict)
    operators: dict[str, Operator] = field(default_factory=dict)
    administrators: dict[str, list[str]] = field(default_factory=dict)
    validators: dict[str, list[str]] = field(default_factory=dict)

    async def get_role_request(self, role_request_id: str) -> RoleRequest:
        if role_request_id not in self.roles:
            raise RefusedError("NOT_FOUND", "no such role request")
        return self.roles[role_request_id]

    async def role_request_deciders(self, role_request_id: str) -> list[str]:
        await self.get_role_request(role_request_id)
        return self.deciders.get(role_request_id, [])

    async def reactivation_deciders(self, user_id: str) -> list[str]:
        return self.reactivation.get(user_id, [])

    async def get_operator(self, operator_id: str) -> Operator:
        if operator_id not in self.operators:
            raise RefusedError("NOT_FOUND", "no such operator")
        return self.operators[operator_id]

    async def operator_administrators(self, operator_id: str) -> list[str]:
        await self.get_operator(operator_id)
        return self.administrators.get(operator_id, [])

    async def operator_validators(self, operator_id: str) -> list[str]:
        await self.get_operator(operator_id)
        return self.validators.get(operator_id, [])


@dataclass
class MemoryMemory:
    creators: dict[str, str] = field(default_factory=dict)
    pending: dict[str, datetime] = field(default_factory=dict)
    forgotten: list[str] = field(default_factory=list)

    async def remember_operator_creator(self, *, operator_id: str, user_id: str) -> None:
        self.creators.setdefault(operator_id, user_id)

    async def operator_creator(self, operator_id: str) -> str | None:
        return self.creators.get(operator_id)

    async def forget_operator(self, operator_id: str) -> None:
        self.creators.pop(operator_id, None)

    async def track_role_request(self, *, role_request_id: str, requested_at: datetime) -> None:
        self.pending.setdefault(role_request_id, requested_at)

    async def untrack_role_request(self, role_request_id: str) -> None:
        self.pending.pop(role_request_id, None)

    async def forget_recipient(self, user_id: str) -> None:
        self.forgotten.append(user_id)


# ----------------------------------------------------------------------------- the scenario
# The user the message is about is "u-req" (Swedish); "u-admin" administers the operator op-1
# (English); "u-val" is a member of its competent authority (Swedish); "u-creator" created it.

OPERATOR = "op-1"
NEW_OPERATOR = "op-new"
AUTHORITY = "auth-1"


def recipient(
    user_id: str, language: str, first: str = "Anna", email: str | None = None
) -> Recipient:
    return Recipient(
        user_id=user_id,
        email=f"{user_id}@example.test" if email is None else email,
        first_name=first,
        last_name="Svensson",
        language=language,
    )


def scenario() -> tuple[MemoryDirectory, MemoryRegistry, MemoryMemory]:
    directory = MemoryDirectory(
        users={
            "u-req": recipient("u-req", "sv", "Åsa"),
            "u-admin": recipient("u-admin", "en", "Adam"),
            "u-val": recipient("u-val", "sv", "Vera"),
            "u-creator": recipient("u-creator", "en", "Carl"),
        }
    )
    operator = Operator(
        operator_id=OPERATOR,
        name="Importföretaget AB",
        country_code="SE",
        competent_authority_id=AUTHORITY,
        competent_authority_name="Jordbruksverket",
    )
    registry = MemoryRegistry(
        roles={
            "rr-member": _role("rr-member", OPERATOR, RoleKind.MEMBER),
            "rr-first": _role("rr-first", NEW_OPERATOR, RoleKind.MEMBER),
            "rr-rfl": _role("rr-rfl", OPERATOR, RoleKind.RESPONSIBLE_FOR_LOAD),
            "rr-decided": _role("rr-decided", OPERATOR, RoleKind.MEMBER, RoleStatus.APPROVED),
        },
        deciders={
            "rr-member": ["u-admin", "u-val"],
            "rr-first": ["u-val"],
            "rr-rfl": ["u-val"],
            "rr-decided": ["u-admin", "u-val"],
        },
        reactivation={"u-req": ["u-admin"]},
        operators={
            OPERATOR: operator,
            NEW_OPERATOR: Operator(NEW_OPERATOR, "Nya Importen AB", "SE", AUTHORITY, ""),
        },
        administrators={OPERATOR: ["u-admin"]},
        validators={OPERATOR: ["u-val"], NEW_OPERATOR: ["u-val"]},
    )
    memory = MemoryMemory(creators={OPERATOR: "u-creator"})
    return directory, registry, memory


def _role(
    role_id: str, organization: str, kind: RoleKind, status: RoleStatus = RoleStatus.PENDING
) -> RoleRequest:
    return RoleRequest(
        role_request_id=role_id,
        user_id="u-req",
        organization_id=organization,
        organization_name="Importföretaget AB" if organization == OPERATOR else "Nya Importen AB",
        organization_kind=OrganizationKind.OPERATOR,
        kind=kind,
        status=status,
        application_message=APPLICATION_MESSAGE if kind is RoleKind.MEMBER else "",
        contact_phone="+46 70 123 45 67" if kind is RoleKind.MEMBER else "",
    )


APPLICATION_MESSAGE = "Jag sköter importen av äpplen från och med mars.\nRing mig gärna."


def _stamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


U = "u-req"
# (event type, payload, {template: recipients}) for every event type, some several times.
EXAMPLES: list[tuple[str, Message, dict[str, list[str]]]] = [
    ("identity.user.created", ev.UserCreated(user_id=U), {"account_created": [U]}),
    (
        "identity.user.registration_repeated",
        ev.UserRegistrationRepeated(user_id=U),
        {"registration_repeated": [U]},
    ),
    (
        "identity.user.password_set",
        ev.UserPasswordSet(user_id=U, replaced=True),
        {"password_changed": [U]},
    ),
    ("identity.user.password_set", ev.UserPasswordSet(user_id=U, replaced=False), {}),
    (
        "identity.user.password_changed",
        ev.UserPasswordChanged(user_id=U),
        {"password_changed": [U]},
    ),
    (
        "identity.user.password_reset_requested",
        ev.UserPasswordResetRequested(user_id=U),
        {"password_reset": [U]},
    ),
    ("identity.user.locked", ev.UserLocked(user_id=U, failed_attempts=5), {"account_blocked": [U]}),
    (
        "identity.second_factor.added",
        ev.SecondFactorAdded(
            user_id=U, factor_id="f1", method=ev.SECOND_FACTOR_METHOD_TOTP, name="Phone"
        ),
        {"second_factor_added": [U]},
    ),
    (
        "identity.second_factor.removed",
        ev.SecondFactorRemoved(
            user_id=U, factor_id="f1", method=ev.SECOND_FACTOR_METHOD_WEBAUTHN, name="Key"
        ),
        {"second_factor_removed": [U]},
    ),
    (
        "identity.second_factor.failures_repeated",
        ev.SecondFactorFailuresRepeated(
            user_id=U, method=ev.SECOND_FACTOR_METHOD_MOBILE_APP, bursts=3
        ),
        {"second_factor_failures": [U]},
    ),
    (
        "identity.device.locked",
        ev.DeviceLocked(user_id=U, device_id="d1", name="Pixel", failed_pins=5),
        {"device_locked": [U]},
    ),
    (
        "identity.user.devices_reset",
        ev.UserDevicesReset(user_id=U, removed_count=3),
        {"devices_reset": [U]},
    ),
    (
        "identity.recovery_code.used",
        ev.RecoveryCodeUsed(user_id=U, remaining=1),
        {"recovery_code_used": [U]},
    ),
    (
        "identity.user.new_device_signed_in",
        ev.UserNewDeviceSignedIn(
            user_id=U, network="203.0.113.0/24", browser="Firefox 128, Windows 10"
        ),
        {"new_device_sign_in": [U]},
    ),
    ("identity.user.deleted", ev.UserDeleted(user_id=U, pseudonym="deleted-user-3f2a9c0d41b7"), {}),
    (
        "identity.user.farewell_requested",
        ev.UserFarewellRequested(
            user_id=U,
            email="anna@example.se",
            email_language="sv",
            pseudonym="deleted-user-3f2a9c0d41b7",
        ),
        {"account_deleted": [U]},
    ),
    (
        "registry.operator.created",
        reg.OperatorCreated(
            operator_id=OPERATOR, created_by_user_id="u-creator", competent_authority_id=AUTHORITY
        ),
        {"operator_created": ["u-val"]},
    ),
    (
        "registry.operator.validated",
        reg.OperatorValidated(operator_id=OPERATOR, decided_by_user_id="u-val"),
        {"operator_validated": ["u-creator", "u-admin"]},
    ),
    (
        "registry.operator.rejected",
        reg.OperatorRejected(
            operator_id=OPERATOR, decided_by_user_id="u-val", reason="Fel\norg.nr"
        ),
        {"operator_rejected": ["u-creator", "u-admin"]},
    ),
    (
        "registry.activity.created",
        reg.ActivityCreated(
            activity_id="a1",
            operator_id=OPERATOR,
            created_by_user_id="u-admin",
            authority_id=AUTHORITY,
        ),
        {"activity_created": ["u-val"]},
    ),
    (
        "registry.activity.created",
        reg.ActivityCreated(
            activity_id="a2", operator_id=OPERATOR, created_by_user_id="u-admin", authority_id="x"
        ),
        {},
    ),
    (
        "registry.activity.validated",
        reg.ActivityValidated(activity_id="a1", operator_id=OPERATOR, decided_by_user_id="u-val"),
        {"activity_validated": ["u-admin"]},
    ),
    (
        "registry.activity.rejected",
        reg.ActivityRejected(
            activity_id="a1", operator_id=OPERATOR, decided_by_user_id="u-val", reason="Saknas"
        ),
        {"activity_rejected": ["u-admin"]},
    ),
    (
        "registry.role_request.created",
        reg.RoleRequestCreated(
            role_request_id="rr-member", user_id=U, organization_id=OPERATOR, kind=1
        ),
        {"role_requested": ["u-admin"], "role_request_received": [U]},
    ),
    (
        "registry.role_request.created",
        reg.RoleRequestCreated(
            role_request_id="rr-first", user_id=U, organization_id=NEW_OPERATOR, kind=1
        ),
        {"role_requested": ["u-val"], "role_request_received": [U]},
    ),
    (
        "registry.role_request.created",
        reg.RoleRequestCreated(role_request_id="rr-rfl", user_id=U, organization_id=OPERATOR),
        {"role_requested": ["u-val"], "role_request_received": [U]},
    ),
    (
        "registry.role_request.created",
        reg.RoleRequestCreated(role_request_id="rr-decided", user_id=U, organization_id=OPERATOR),
        {},
    ),
    (
        "registry.role_request.approved",
        reg.RoleRequestApproved(
            role_request_id="rr-first",
            user_id=U,
            organization_id=NEW_OPERATOR,
            decided_by_user_id="u-val",
            became_administrator=True,
        ),
        {"role_approved": [U]},
    ),
    (
        "registry.role_request.rejected",
        reg.RoleRequestRejected(
            role_request_id="rr-member",
            user_id=U,
            organization_id=OPERATOR,
            decided_by_user_id="u-admin",
            reason="Okänd person",
        ),
        {"role_rejected": [U]},
    ),
    (
        "registry.role.revoked",
        reg.RoleRevoked(
            role_request_id="rr-member",
            user_id=U,
            organization_id=OPERATOR,
            decided_by_user_id="u-admin",
            reason="Slutat",
        ),
        {"role_revoked": [U]},
    ),
    (
        # The deleted last administrator's ended role: its deciders (the authority) appoint.
        "registry.organization.without_administrator",
        reg.OrganizationWithoutAdministrator(
            organization_id=NEW_OPERATOR, role_request_id="rr-first"
        ),
        {"organization_without_administrator": ["u-val"]},
    ),
    (
        "registry.admin.granted",
        reg.AdminGranted(role_request_id="rr-member", user_id=U, organization_id=OPERATOR),
        {"admin_granted": [U]},
    ),
    (
        "registry.admin.removed",
        reg.AdminRemoved(role_request_id="rr-member", user_id=U, organization_id=OPERATOR),
        {"admin_removed": [U]},
    ),
    (
        "registry.user.inactivity_warned",
        reg.UserInactivityWarned(
            user_id=U, inactive_time=_stamp(datetime(2025, 10, 1, 8, 0, tzinfo=UTC))
        ),
        {"inactivity_warning": [U]},
    ),
    (
        "registry.user.inactivated",
        reg.UserInactivated(
            user_id=U, last_sign_in_time=_stamp(datetime(2025, 6, 1, 8, 0, tzinfo=UTC))
        ),
        {"user_inactivated": [U]},
    ),
    (
        "registry.user.reactivation_requested",
        reg.UserReactivationRequested(user_id=U, message="Jag var föräldraledig."),
        {"reactivation_requested": ["u-admin"]},
    ),
    (
        "registry.user.reactivated",
        reg.UserReactivated(user_id=U, decided_by_user_id="u-admin"),
        {"user_reactivated": [U]},
    ),
    (
        "registry.user.suspended",
        reg.UserSuspended(user_id=U, role_request_ids=["rr-member", "rr-rfl"], cause_event_id="e"),
        {"user_suspended": [U], "suspension_to_review": ["u-admin", "u-val"]},
    ),
    (
        "registry.user.unsuspended",
        reg.UserUnsuspended(
            user_id=U, role_request_id="rr-member", organization_id=OPERATOR, decided_by_user_id="x"
        ),
        {"user_unsuspended": [U]},
    ),
    (
        "registry.web_service_access.requested",
        reg.WebServiceAccessRequested(
            request_id="ws-1",
            operator_id=OPERATOR,
            requested_by_user_id="u-admin",
            system_name="Affärssystemet",
        ),
        {"web_service_requested": ["u-val"]},
    ),
    (
        "registry.web_service_access.approved",
        reg.WebServiceAccessApproved(
            request_id="ws-1",
            operator_id=OPERATOR,
            decided_by_user_id="u-val",
            system_name="Affärssystemet",
        ),
        {"web_service_approved": ["u-admin"]},
    ),
    (
        "registry.web_service_access.rejected",
        reg.WebServiceAccessRejected(
            request_id="ws-1",
            operator_id=OPERATOR,
            decided_by_user_id="u-val",
            system_name="Affärssystemet",
            reason="Syftet saknas",
        ),
        {"web_service_rejected": ["u-admin"]},
    ),
    (
        "registry.web_service_access.revoked",
        reg.WebServiceAccessRevoked(
            request_id="ws-1",
            operator_id=OPERATOR,
            decided_by_user_id="u-val",
            system_name="Affärssystemet",
            reason="Avtalet upphörde",
            revoked_client_ids=["op-1", "op-2"],
        ),
        {"web_service_revoked": ["u-admin"]},
    ),
    (
        "registry.machine_client.created",
        reg.MachineClientCreated(
            client_id="op-1",
            operator_id=OPERATOR,
            request_id="ws-1",
            created_by_user_id="u-admin",
            auth_method="private_key_jwt",
        ),
        {"machine_client_created": ["u-admin"]},
    ),
    (
        "registry.machine_client.rotated",
        reg.MachineClientRotated(
            client_id="op-1", operator_id=OPERATOR, rotated_by_user_id="u-admin"
        ),
        {"machine_client_rotated": ["u-admin"]},
    ),
    (
        "registry.machine_client.revoked",
        reg.MachineClientRevoked(
            client_id="op-1",
            operator_id=OPERATOR,
            revoked_by_user_id="u-admin",
            reason="Nyckeln läckte",
        ),
        {"machine_client_revoked": ["u-admin"]},
    ),
]
# Variants that take other branches of the templates (no reason, no time, no codes left, ...).
VARIANTS: list[tuple[str, Message, dict[str, list[str]]]] = [
    (
        "identity.user.devices_reset",
        ev.UserDevicesReset(user_id=U, sign_in_reported=True),
        {"sign_in_reported": [U]},
    ),
    (
        "identity.user.new_device_signed_in",
        ev.UserNewDeviceSignedIn(user_id=U, network="2001:db8:1::/48"),
        {"new_device_sign_in": [U]},
    ),
    (
        "identity.user.locked",
        ev.UserLocked(user_id=U, failed_attempts=5, unknown_clients_only=True),
        {"account_blocked": [U]},
    ),
    (
        "identity.recovery_code.used",
        ev.RecoveryCodeUsed(user_id=U, remaining=0),
        {"recovery_code_used": [U]},
    ),
    (
        "identity.recovery_code.used",
        ev.RecoveryCodeUsed(user_id=U, remaining=8),
        {"recovery_code_used": [U]},
    ),
    (
        "identity.second_factor.added",
        ev.SecondFactorAdded(user_id=U, factor_id="f2", method=ev.SECOND_FACTOR_METHOD_SMS),
        {"second_factor_added": [U]},
    ),
    (
        "registry.user.inactivity_warned",
        reg.UserInactivityWarned(user_id=U),
        {"inactivity_warning": [U]},
    ),
    ("registry.user.inactivated", reg.UserInactivated(user_id=U), {"user_inactivated": [U]}),
    (
        "registry.role_request.rejected",
        reg.RoleRequestRejected(role_request_id="rr-member", user_id=U, organization_id=OPERATOR),
        {"role_rejected": [U]},
    ),
    (
        "registry.role_request.approved",
        reg.RoleRequestApproved(role_request_id="rr-rfl", user_id=U, organization_id=OPERATOR),
        {"role_approved": [U]},
    ),
    (
        "registry.user.reactivation_requested",
        reg.UserReactivationRequested(user_id=U),
        {"reactivation_requested": ["u-admin"]},
    ),
]
ALL_MESSAGES = {
    "machine_client_created",
    "machine_client_revoked",
    "machine_client_rotated",
    "web_service_approved",
    "web_service_rejected",
    "web_service_requested",
    "web_service_revoked",
    "account_blocked",
    "account_deleted",
    "account_created",
    "activity_created",
    "activity_rejected",
    "activity_validated",
    "admin_granted",
    "admin_removed",
    "device_locked",
    "devices_reset",
    "inactivity_warning",
    "new_device_sign_in",
    "operator_created",
    "operator_rejected",
    "operator_validated",
    "organization_without_administrator",
    "password_changed",
    "password_reset",
    "reactivation_requested",
    "recovery_code_used",
    "registration_repeated",
    "role_approved",
    "role_rejected",
    "role_request_reminder",
    "role_requested",
    "role_request_received",
    "role_revoked",
    "second_factor_added",
    "second_factor_failures",
    "second_factor_removed",
    "sign_in_reported",
    "suspension_to_review",
    "user_inactivated",
    "user_reactivated",
    "user_suspended",
    "user_unsuspended",
}
REGISTRY_PREFIXES = (
    "activity",
    "admin",
    "operator",
    "organization",
    "role",
    "reactivation",
    "suspension",
    "web_service",
    "machine_client",
)
REGISTRY_MESSAGES = {
    name
    for name in ALL_MESSAGES
    if name.startswith(REGISTRY_PREFIXES)
    or name in {"inactivity_warning", "user_inactivated", "user_reactivated", "user_suspended"}
    or name == "user_unsuspended"
}
# Words that give away text left in the other language (spaces around: whole words only).
ENGLISH_WORDS = (" the ", " your ", " you ", " has been ", " to ")
SWEDISH_WORDS = (" och ", " har ", " du ", " ditt ", " att ")


def context_for(
    event_type: str,
    message: Message,
    world: tuple[MemoryDirectory, MemoryRegistry, MemoryMemory],
) -> HandlerContext:
    directory, registry, memory = world
    event = event_for(event_type=event_type, source="test", subject="s", message=message)
    return HandlerContext(event, directory, registry, memory, URLS)


async def drafts_for(
    event_type: str,
    message: Message,
    world: tuple[MemoryDirectory, MemoryRegistry, MemoryMemory] | None = None,
) -> list[Draft]:
    world = world or scenario()
    return await HANDLERS[event_type](context_for(event_type, message, world), message)


async def reminder_example() -> list[Draft]:
    world = scenario()
    event = Event(
        type="notifier.role_request.reminder",
        source="notifier",
        subject="rr-member",
        data=b"",
        time=datetime(2025, 6, 20, 9, 0, tzinfo=UTC),
    )
    context = HandlerContext(event, *world, URLS)
    role = world[1].roles["rr-member"]
    requested = datetime(2025, 6, 10, 9, 0, tzinfo=UTC)
    return await reminder_drafts(context, role, requested_at=requested, number=1)


def by_template(drafts: list[Draft]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for draft in drafts:
        found.setdefault(draft.template, []).append(draft.user_id)
    return {template: sorted(users) for template, users in found.items()}


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(timezone="Europe/Stockholm")


def test_every_catalog_event_has_a_handler_and_an_example() -> None:
    # A catalog event without a handler would be parked (no_handler) until one is written; an
    # event that sends nothing on purpose is declared with silent(...), never left out.
    assert set(HANDLERS) == set(EVENT_MESSAGES)
    assert set(SILENT) <= set(HANDLERS)
    assert {event_type for event_type, _, _ in EXAMPLES} == set(EVENT_MESSAGES)


def test_silent_declares_an_event_that_sends_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    event_type = "registry.activity.created"
    monkeypatch.delitem(HANDLERS, event_type)
    try:
        silent(event_type, "told elsewhere")
        assert SILENT[event_type] == "told elsewhere"
        with pytest.raises(ValueError, match="already has a handler"):
            silent(event_type, "twice")
    finally:
        SILENT.pop(event_type, None)
    with pytest.raises(KeyError, match="unknown event type"):
        silent("registry.operator.exploded", "not in the catalog")


@pytest.mark.parametrize(
    ("event_type", "message", "expected"),
    EXAMPLES + VARIANTS,
    ids=[f"{t}-{i}" for i, (t, _, _) in enumerate(EXAMPLES + VARIANTS)],
)
async def test_each_event_gives_the_expected_messages_to_the_expected_people(
    event_type: str, message: Message, expected: dict[str, list[str]]
) -> None:
    drafts = await drafts_for(event_type, message)
    assert by_template(drafts) == {t: sorted(users) for t, users in expected.items()}
    assert all(draft.recipient is not None for draft in drafts)
    registry_event = event_type.startswith("registry.")
    assert all((draft.sender == "registry") == registry_event for draft in drafts)


async def test_a_deleted_account_is_forgotten_and_its_farewell_needs_no_lookup() -> None:
    world = scenario()
    directory, _, memory = world
    deleted = ev.UserDeleted(user_id="u-gone", pseudonym="deleted-user-3f2a9c0d41b7")
    assert await drafts_for("identity.user.deleted", deleted, world) == []
    assert memory.forgotten == ["u-gone"]
    farewell = ev.UserFarewellRequested(
        user_id="u-gone", email="gone@example.se", email_language="sv", pseudonym="p"
    )
    (draft,) = await drafts_for("identity.user.farewell_requested", farewell, world)
    assert "u-gone" not in directory.users  # identity no longer knows them: not asked
    assert draft.recipient is not None
    assert (draft.recipient.email, draft.recipient.language) == ("gone@example.se", "sv")
    no_address = ev.UserFarewellRequested(user_id="u-gone", email_language="sv")
    (abandoned,) = await drafts_for("identity.user.farewell_requested", no_address, world)
    assert abandoned.recipient is None


async def test_deciders_are_reminded_like_they_were_told() -> None:
    drafts = await reminder_example()
    assert by_template(drafts) == {REMINDER: ["u-admin"]}
    assert drafts[0].variables["days_waiting"] == 10


async def test_role_requests_and_operators_are_remembered_and_forgotten() -> None:
    world = scenario()
    _, _, memory = world
    created = reg.RoleRequestCreated(role_request_id="rr-member", user_id=U)
    await drafts_for("registry.role_request.created", created, world)
    assert set(memory.pending) == {"rr-member"}
    approved = reg.RoleRequestApproved(role_request_id="rr-member", user_id=U)
    await drafts_for("registry.role_request.approved", approved, world)
    assert memory.pending == {}
    decided = reg.RoleRequestCreated(role_request_id="rr-decided", user_id=U)
    await drafts_for("registry.role_request.created", decided, world)
    assert memory.pending == {}  # already decided when the event was handled: nothing to remind
    operator = reg.OperatorCreated(operator_id="op-x", created_by_user_id="u-creator")
    await drafts_for("registry.operator.created", operator, world)
    assert memory.creators["op-x"] == "u-creator"
    await drafts_for(
        "registry.operator.validated", reg.OperatorValidated(operator_id="op-x"), world
    )
    assert "op-x" not in memory.creators


def test_every_message_has_every_part_in_swedish_and_english(renderer: Renderer) -> None:
    assert set(renderer.messages()) == ALL_MESSAGES
    folder = renderer._dir
    for message in renderer.messages():
        assert set(renderer.languages(message)) == set(LANGUAGES), message
        for language in LANGUAGES:
            for part in PARTS:
                assert (folder / message / language / part).is_file(), (message, language, part)


def badly_wrapped(text: str, width: int = 72) -> list[str]:
    """Lines too long, and lines broken early: the next line's first word would have fitted
    (what a template wrapped by hand does once a long name is filled in). A line ending in a
    colon, or followed by a list item or a link, ends where it means to."""
    found = []
    lines = text.split("\n")
    for line, following in zip(lines, [*lines[1:], ""], strict=True):
        if len(line) > width and " " in line.strip():
            found.append(f"too long: {line!r}")
        # A line that ends a sentence or a clause, or a short one (a signature), ends on purpose.
        deliberate = line.rstrip().endswith((":", ",", ".", "!", "?")) or len(line.split()) < 4
        if deliberate or not following.strip():
            continue
        first_word = following.split()[0]
        if first_word in {"-", "*"} or "://" in first_word or following.startswith(" "):
            continue
        if len(line.rstrip()) + 1 + len(first_word) <= width:
            found.append(f"broken early: {line!r} / {following!r}")
    return found


@pytest.mark.parametrize("link_expiry", [True, False], ids=["expiry-known", "expiry-unknown"])
async def test_every_template_renders_in_every_language(
    renderer: Renderer, link_expiry: bool
) -> None:
    rendered_messages: set[str] = set()
    drafts: list[Draft] = await reminder_example()
    for event_type, message, _ in EXAMPLES + VARIANTS:
        world = scenario()
        world[0].link_expiry = link_expiry
        drafts += await drafts_for(event_type, message, world)
    for draft in drafts:
        assert draft.recipient is not None
        texts = {}
        for language in LANGUAGES:
            out = renderer.render(draft.template, language, draft.variables, sender=draft.sender)
            rendered_messages.add(draft.template)
            where = f"{draft.template}/{language}"
            assert out.language == language
            assert out.subject, where
            assert "\n" not in out.subject
            for text in (out.subject, out.text, out.html):
                for leftover in ("{{", "}}", "{%", "%}", "{#", "Undefined", "None", "[]"):
                    assert leftover not in text, (where, leftover, text)
            assert f'<html lang="{language}">' in out.html
            assert (
                f"<title>{out.subject}" in out.html.replace("&#34;", '"').replace("&#39;", "'")
                or out.subject.replace("'", "&#39;") in out.html
            )
            first_name = draft.recipient.first_name
            assert first_name in out.text, where
            assert first_name in out.html, where
            if "link_url" in draft.variables:
                assert draft.variables["link_url"] in out.text
                assert draft.variables["link_url"].replace("&", "&amp;") in out.html
            for url in ("https://reg.test/auth/login", "https://id.test/account"):
                assert (url in out.text) == (url in out.html), (where, url)
            if draft.sender == "registry":
                assert "Gatehouse" in out.text
                assert out.sender_name in {"Gatehouse registry", "Gatehouse-registret"}
            # What the applicant wrote is theirs, in whatever language they wrote it.
            own_words = out.text
            for line in APPLICATION_MESSAGE.splitlines():
                own_words = own_words.replace(line, "")
            text = " ".join(f" {out.subject} {own_words} ".split()).lower() + " "
            foreign = ENGLISH_WORDS if language == "sv" else SWEDISH_WORDS
            assert not [word for word in foreign if word in text], (where, text)
            assert not badly_wrapped(out.text), (where, badly_wrapped(out.text), out.text)
            texts[language] = out
        assert texts["sv"].subject != texts["en"].subject
        assert texts["sv"].text != texts["en"].text
    assert rendered_messages == ALL_MESSAGES


def test_registry_messages_carry_the_registry_layout(renderer: Renderer) -> None:
    folder = renderer._dir
    for message in ALL_MESSAGES:
        layout = "registry" if message in REGISTRY_MESSAGES else "base"
        for language in LANGUAGES:
            for part in ("body.txt", "body.html"):
                first = (folder / message / language / part).read_text().splitlines()[0]
                assert first == f'{{% extends "_layout/{language}/{layout}.{part[5:]}" %}}', (
                    message,
                    language,
                    part,
                )


def test_languages_other_than_swedish_fall_back_to_english(renderer: Renderer) -> None:
    for message in ALL_MESSAGES:
        for code in EU_LANGUAGES - {"sv", "en"}:
            assert renderer.language_for(message, code) == "en"
    assert renderer.language_for("account_created", "sv-SE") == "sv"
    assert renderer.language_for("account_created", "SV") == "sv"
    assert renderer.language_for("account_created", "") == "en"
    assert renderer.language_for("account_created", "klingon") == "en"


def test_sender_name_follows_the_language_and_the_service(renderer: Renderer) -> None:
    assert renderer.sender_name("sv") == "Autentiseringstjänst"
    assert renderer.sender_name("en") == ""  # MAIL_FROM as configured
    assert renderer.sender_name("sv", "registry") == "Gatehouse-registret"
    assert renderer.sender_name("en", "registry") == "Gatehouse registry"


async def test_html_is_escaped_and_text_is_not(renderer: Renderer) -> None:
    world = scenario()
    world[0].users[U] = recipient(U, "en", "<b>Eve</b>")
    [draft] = await drafts_for("identity.user.created", ev.UserCreated(user_id=U), world)
    out = renderer.render(draft.template, "en", draft.variables)
    assert "&lt;b&gt;Eve&lt;/b&gt;" in out.html
    assert "<b>Eve</b>" not in out.html
    assert "<b>Eve</b>" in out.text
    rejected = reg.RoleRequestRejected(
        role_request_id="rr-member", user_id=U, reason="<script>x</script>\nrad två"
    )
    [draft] = await drafts_for("registry.role_request.rejected", rejected, world)
    out = renderer.render(draft.template, "en", draft.variables, sender=draft.sender)
    assert "&lt;script&gt;" in out.html
    assert "<script>" not in out.html
    assert "    <script>x</script>\n    rad två" in out.text


def test_times_are_written_the_way_each_language_writes_them() -> None:
    moment = datetime(2025, 6, 30, 12, 5, tzinfo=UTC)
    zone = ZoneInfo("Europe/Stockholm")
    assert format_datetime(moment, zone=zone, language="sv") == "30 juni 2025 kl. 14:05 (CEST)"
    assert format_datetime(moment, zone=zone, language="en") == "30 June 2025 at 14:05 (CEST)"
    late = datetime(2025, 6, 30, 23, 30, tzinfo=UTC)
    assert format_date(late, zone=zone, language="sv") == "1 juli 2025"
    assert format_date(late, zone=zone, language="en") == "1 July 2025"


async def test_deciders_read_the_application_and_follow_a_deep_link(renderer: Renderer) -> None:
    """Issue 14: "Review the request" opened the sign-in page, not the request; the applicant's
    message was not in the e-mail, and the applicant got no receipt."""
    created = reg.RoleRequestCreated(role_request_id="rr-member", user_id=U)
    drafts = await drafts_for("registry.role_request.created", created)
    to_deciders = [draft for draft in drafts if draft.template == "role_requested"]
    (receipt,) = [draft for draft in drafts if draft.template == "role_request_received"]
    assert to_deciders
    assert receipt.user_id == U
    for draft in [*to_deciders, receipt]:
        for language in LANGUAGES:
            out = renderer.render(draft.template, language, draft.variables, sender=draft.sender)
            assert "Importföretaget AB" in " ".join(out.text.split())
            for line in APPLICATION_MESSAGE.splitlines():
                assert line in out.text, (draft.template, language, out.text)
                assert line in out.html
            link = URLS.registry_user(U) if draft in to_deciders else URLS.registry_profile
            assert link in out.text, (draft.template, out.text)
            assert f'href="{link}"' in out.html
            assert "/auth/login" not in out.text
            if draft in to_deciders:
                assert "+46 70 123 45 67" in out.text


async def test_an_authoritys_first_user_is_told_what_waited(renderer: Renderer) -> None:
    """Issue 14: an operator created while its authority had no users was announced to nobody.
    The authority's first user learns that work may have waited, with a link to the work list."""
    world = scenario()
    world[1].roles["rr-authority"] = dataclasses.replace(
        _role("rr-authority", AUTHORITY, RoleKind.MEMBER, RoleStatus.APPROVED),
        organization_name="Jordbruksverket",
        organization_kind=OrganizationKind.AUTHORITY,
    )
    approved = reg.RoleRequestApproved(
        role_request_id="rr-authority", user_id=U, became_administrator=True
    )
    (draft,) = await drafts_for("registry.role_request.approved", approved, world)
    for language in LANGUAGES:
        out = renderer.render(draft.template, language, draft.variables, sender=draft.sender)
        assert URLS.registry_work_list in out.text, out.text
        assert {"sv": "arbetslista", "en": "work list"}[language] in out.text
    # An operator's first user is not sent there.
    member = reg.RoleRequestApproved(
        role_request_id="rr-first", user_id=U, became_administrator=True
    )
    (draft,) = await drafts_for("registry.role_request.approved", member, scenario())
    assert (
        URLS.registry_work_list not in renderer.render(draft.template, "en", draft.variables).text
    )


async def test_handlers_ask_for_the_right_links() -> None:
    expected = {
        "identity.user.created": ("account_created", LinkPurpose.SET),
        "identity.user.password_reset_requested": ("password_reset", LinkPurpose.RESET),
        "identity.user.locked": ("account_blocked", LinkPurpose.RESET),
        "identity.user.registration_repeated": ("registration_repeated", None),
        "identity.user.password_changed": ("password_changed", None),
        "identity.user.new_device_signed_in": ("new_device_sign_in", LinkPurpose.SIGN_IN_REPORT),
    }
    for event_type, (template, purpose) in expected.items():
        world = scenario()
        message = EVENT_MESSAGES[event_type](user_id=U)
        [draft] = await drafts_for(event_type, message, world)
        assert draft.template == template
        assert [link[1] for link in world[0].links] == ([purpose] if purpose else [])
    # "This wasn't me" confirmed: the blocked account gets a link to choose a new password.
    world = scenario()
    reported = ev.UserDevicesReset(user_id=U, sign_in_reported=True)
    [draft] = await drafts_for("identity.user.devices_reset", reported, world)
    assert draft.template == "sign_in_reported"
    assert [link[1] for link in world[0].links] == [LinkPurpose.RESET]


async def test_unknown_user_or_missing_address_gives_an_abandoned_draft() -> None:
    world = scenario()
    world[0].users["u2"] = recipient("u2", "sv", email="")
    [gone] = await drafts_for("identity.user.created", ev.UserCreated(user_id="u1"), world)
    assert gone.recipient is None
    assert gone.abandon_reason
    assert "unknown" in gone.abandon_reason
    [silent_user] = await drafts_for("identity.user.created", ev.UserCreated(user_id="u2"), world)
    assert silent_user.recipient is None
    assert silent_user.abandon_reason == "recipient has no e-mail address"
    assert world[0].links == []  # no link is minted for a message that cannot be sent


async def test_among_several_recipients_only_the_unknown_ones_are_abandoned() -> None:
    world = scenario()
    world[1].deciders["rr-member"] = ["u-admin", "u-gone"]
    world[1].administrators[OPERATOR] = ["u-admin", "u-gone"]
    created = reg.RoleRequestCreated(role_request_id="rr-member", user_id=U)
    drafts = await drafts_for("registry.role_request.created", created, world)
    assert {d.user_id: d.recipient is not None for d in drafts} == {
        "u-admin": True,
        "u-gone": False,
        U: True,  # the applicant's receipt
    }
    [gone] = [d for d in drafts if d.recipient is None]
    assert gone.abandon_reason == "recipient unknown to identity"


async def test_a_request_the_registry_does_not_know_is_recorded_not_retried() -> None:
    approved = reg.RoleRequestApproved(role_request_id="rr-unknown", user_id=U)
    [draft] = await drafts_for("registry.role_request.approved", approved)
    assert draft.recipient is None
    assert draft.abandon_reason
    assert "rr-unknown" in draft.abandon_reason
    unknown = reg.OperatorCreated(operator_id="op-unknown", created_by_user_id=U)
    assert await drafts_for("registry.operator.created", unknown) == []


def test_reminders_follow_the_schedule() -> None:
    schedule = Schedule(
        first_after=timedelta(days=7), repeat_every=timedelta(days=7), max_reminders=3
    )
    asked = datetime(2025, 6, 1, tzinfo=UTC)
    assert schedule.due_number(asked, asked + timedelta(days=6, hours=23)) == 0
    assert schedule.due_number(asked, asked + timedelta(days=7)) == 1
    assert schedule.due_number(asked, asked + timedelta(days=13)) == 1
    assert schedule.due_number(asked, asked + timedelta(days=14)) == 2
    assert schedule.due_number(asked, asked + timedelta(days=100)) == 3
    now = datetime(2025, 7, 1, tzinfo=UTC)
    assert schedule.horizon(now) == now - timedelta(days=21)


def test_backoff_is_exponential_capped_and_jittered() -> None:
    for attempt in range(1, 40):
        full = min(60.0, 1.0 * 2 ** (attempt - 1))
        delays = {backoff_delay(attempt, base_s=1.0, max_s=60.0) for _ in range(20)}
        assert all(full / 2 <= d <= full for d in delays)
        assert len(delays) > 1  # jittered


def test_message_id_is_deterministic_per_event_recipient_and_message() -> None:
    event_id = str(uuid.uuid4())
    first = message_id_header(event_id=event_id, user_id="u1", template="t", domain="example.test")
    assert first == message_id_header(
        event_id=event_id, user_id="u1", template="t", domain="example.test"
    )
    assert first != message_id_header(
        event_id=event_id, user_id="u2", template="t", domain="example.test"
    )
    assert first != message_id_header(
        event_id=event_id, user_id="u1", template="x", domain="example.test"
    )
    assert first.startswith("<")
    assert first.endswith("@example.test>")


def test_the_email_is_multipart_alternative_with_language_and_ids() -> None:
    settings = NotifierSettings(gatehouse_environment="test")
    letter = Letter(
        sender_name="Autentiseringstjänst",
        recipient_name="Åsa Öberg",
        recipient_email="a@example.test",
        subject="Återställ ditt lösenord",
        body_text="text",
        body_html="<p>html</p>",
        language="sv",
        message_id_header="<x@gatehouse.localhost>",
    )
    email = _read(compose(letter, mail_from=settings.mail_from))
    assert email.get_content_type() == "multipart/alternative"
    assert email["Content-Language"] == "sv"
    assert email["Message-ID"] == "<x@gatehouse.localhost>"
    assert email["From"].addresses[0].display_name == "Autentiseringstjänst"
    assert email["From"].addresses[0].addr_spec == "no-reply@gatehouse.localhost"
    assert email["To"].addresses[0].display_name == "Åsa Öberg"
    assert email["Auto-Submitted"] == "auto-generated"
    assert [p.get_content_type() for p in email.iter_parts()] == ["text/plain", "text/html"]
    english = _read(
        compose(replace(letter, sender_name="", language="en"), mail_from=settings.mail_from)
    )
    assert str(english["From"]) == "Authentication service <no-reply@gatehouse.localhost>"


def _read(payload: bytes) -> EmailMessage:
    parsed = email_module.message_from_bytes(
        payload.replace(b"\r\n..", b"\r\n."), policy=default_policy
    )
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_settings_defaults_and_validation() -> None:
    settings = NotifierSettings(gatehouse_environment="test")
    assert settings.http_port == 8003
    assert settings.mail_from == "Authentication service <no-reply@gatehouse.localhost>"
    assert settings.notifier_consumer == "notifier"
    assert (settings.delivery_retry_base_s, settings.delivery_retry_max_s) == (1.0, 60.0)
    assert settings.delivery_max_attempts == 12
    assert settings.role_request_reminder_days == 7
    assert settings.role_request_max_reminders == 3
    with pytest.raises(ValidationError, match="SMTP_USERNAME"):
        NotifierSettings(gatehouse_environment="test", smtp_username="mailer")
    with pytest.raises(ValidationError, match="MAIL_FROM"):
        NotifierSettings(gatehouse_environment="test", mail_from="nobody")
    with pytest.raises(ValidationError, match=r"smtp_tls"):
        NotifierSettings(gatehouse_environment="test", smtp_tls="ssl")
    with pytest.raises(ValidationError, match="SERVICE_AUTH_SECRET"):
        NotifierSettings(gatehouse_environment="production")
    assert (
        NotifierSettings(
            gatehouse_environment="test", identity_public_url="https://id/"
        ).identity_public_url
        == "https://id"
    )


def test_events_about_the_same_thing_are_handled_in_order() -> None:
    def msg(subject: str | None, data: bytes) -> Msg:
        headers = {"ce-subject": subject} if subject else {}
        return Msg(_client=None, subject="s", data=data, headers=headers)  # type: ignore[arg-type]

    batch = [
        msg("op-1", b"1"),
        msg("op-2", b"2"),
        msg(None, b"3"),
        msg("op-1", b"4"),
        msg(None, b"5"),
    ]
    groups = [
        [m.data for m in group]
        for group in by_subject(batch, lambda m: (m.headers or {}).get("ce-subject"))
    ]
    assert groups == [[b"1", b"4"], [b"2"], [b"3"], [b"5"]]


async def test_a_block_of_unknown_browsers_only_says_so(renderer: Renderer) -> None:
    locked = ev.UserLocked(user_id=U, failed_attempts=5, unknown_clients_only=True)
    [draft] = await drafts_for("identity.user.locked", locked)
    english = renderer.render(draft.template, "en", draft.variables)
    swedish = renderer.render(draft.template, "sv", draft.variables)
    assert english.subject == "Sign-ins to your account from unknown browsers have been blocked"
    assert "browsers where you have signed in before still work" in " ".join(english.text.split())
    assert swedish.subject == "Inloggning till ditt konto från okända webbläsare har spärrats"
    assert "okända webbläsare" in swedish.html
