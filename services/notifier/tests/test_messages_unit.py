"""Handlers, templates, e-mail building and policies, without any server."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import aiosmtplib
import pytest
from google.protobuf.message import Message
from pydantic import ValidationError

from gatehouse.events.v1 import identity_events_pb2 as ev
from gatehouse.events.v1 import registry_events_pb2 as reg
from gatehouse_common.event_catalog import EVENT_MESSAGES
from gatehouse_common.events import event_for
from gatehouse_notifier.backoff import backoff_delay
from gatehouse_notifier.directory import LinkPurpose, PasswordLink, Recipient, RefusedError
from gatehouse_notifier.handlers import HANDLERS, Draft, HandlerContext, PublicUrls
from gatehouse_notifier.mail import build_email, classify, message_id_header
from gatehouse_notifier.rendering import EU_LANGUAGES, PARTS, Renderer, format_datetime
from gatehouse_notifier.settings import NotifierSettings
from gatehouse_notifier.store import ClaimedMessage

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

    async def create_password_link(
        self, *, user_id: str, purpose: LinkPurpose, event_id: str
    ) -> PasswordLink:
        self.links.append((user_id, purpose, event_id))
        expires = datetime(2025, 6, 30, 12, 0, tzinfo=UTC) if self.link_expiry else None
        return PasswordLink(
            url=f"https://id.test/password/{purpose.name}?t=a&b={user_id}", expires_at=expires
        )


def sample_events(user_id: str) -> list[tuple[str, Message]]:
    return [
        ("identity.user.created", ev.UserCreated(user_id=user_id)),
        ("identity.user.registration_repeated", ev.UserRegistrationRepeated(user_id=user_id)),
        ("identity.user.password_set", ev.UserPasswordSet(user_id=user_id, replaced=True)),
        ("identity.user.password_set", ev.UserPasswordSet(user_id=user_id, replaced=False)),
        ("identity.user.password_changed", ev.UserPasswordChanged(user_id=user_id)),
        ("identity.user.password_reset_requested", ev.UserPasswordResetRequested(user_id=user_id)),
        ("identity.user.locked", ev.UserLocked(user_id=user_id, failed_attempts=5)),
        (
            "registry.operator.created",
            reg.OperatorCreated(operator_id="op", created_by_user_id=user_id),
        ),
    ]


async def drafts_for(event_type: str, message: Message, directory: MemoryDirectory) -> list[Draft]:
    event = event_for(event_type=event_type, source="identity", subject="s", message=message)
    return await HANDLERS[event_type](HandlerContext(event, directory, URLS), message)


def recipient(
    language: str = "sv", *, email: str = "anna@example.test", first: str = "Anna"
) -> Recipient:
    return Recipient(
        user_id="u1", email=email, first_name=first, last_name="Svensson", language=language
    )


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(timezone="Europe/Stockholm")


FOUNDATION_EVENTS = {
    "identity.user.created",
    "identity.user.registration_repeated",
    "identity.user.password_set",
    "identity.user.password_changed",
    "identity.user.password_reset_requested",
    "identity.user.locked",
    "registry.operator.created",
}


def test_every_foundation_event_has_a_handler() -> None:
    # Catalog events without a handler are parked (reason no_handler) until one is written,
    # so they can be replayed then; the foundation's events must all be handled now.
    assert set(HANDLERS) <= set(EVENT_MESSAGES)
    assert set(HANDLERS) >= FOUNDATION_EVENTS


def test_every_message_has_every_part_in_swedish_and_english(renderer: Renderer) -> None:
    assert renderer.messages() == [
        "account_blocked",
        "account_created",
        "password_changed",
        "password_reset",
        "registration_repeated",
    ]
    folder = renderer._dir
    for message in renderer.messages():
        assert set(LANGUAGES) <= set(renderer.languages(message))
        for language in renderer.languages(message):
            for part in PARTS:
                assert (folder / message / language / part).is_file(), (message, language, part)


@pytest.mark.parametrize("link_expiry", [True, False], ids=["expiry-known", "expiry-unknown"])
async def test_every_template_renders_in_every_language(
    renderer: Renderer, link_expiry: bool
) -> None:
    directory = MemoryDirectory(users={"u1": recipient()}, link_expiry=link_expiry)
    rendered_messages = set()
    for event_type, message in sample_events("u1"):
        for draft in await drafts_for(event_type, message, directory):
            assert draft.recipient is not None
            for language in renderer.languages(draft.template):
                out = renderer.render(draft.template, language, draft.variables)
                rendered_messages.add(draft.template)
                assert out.language == language
                assert out.subject
                assert "\n" not in out.subject
                for text in (out.subject, out.text, out.html):
                    assert "{{" not in text
                    assert "}}" not in text
                    assert "{%" not in text
                assert f'<html lang="{language}">' in out.html
                assert out.subject in out.html  # the <title>
                assert "Anna" in out.text
                assert "Anna" in out.html
                if "link_url" in draft.variables:
                    assert draft.variables["link_url"] in out.text
                    assert draft.variables["link_url"].replace("&", "&amp;") in out.html
    assert rendered_messages == set(renderer.messages())


def test_languages_other_than_swedish_fall_back_to_english(renderer: Renderer) -> None:
    for code in EU_LANGUAGES - {"sv", "en"}:
        assert renderer.language_for("account_created", code) == "en"
    assert renderer.language_for("account_created", "sv-SE") == "sv"
    assert renderer.language_for("account_created", "SV") == "sv"
    assert renderer.language_for("account_created", "") == "en"
    assert renderer.language_for("account_created", "klingon") == "en"


def test_sender_name_follows_the_language(renderer: Renderer) -> None:
    assert renderer.sender_name("sv") == "Autentiseringstjänst"
    assert renderer.sender_name("en") == ""  # MAIL_FROM as configured


async def test_html_is_escaped_and_text_is_not(renderer: Renderer) -> None:
    directory = MemoryDirectory(users={"u1": recipient("en", first="<b>Eve</b>")})
    [draft] = await drafts_for("identity.user.created", ev.UserCreated(user_id="u1"), directory)
    out = renderer.render(draft.template, "en", draft.variables)
    assert "&lt;b&gt;Eve&lt;/b&gt;" in out.html
    assert "<b>Eve</b>" not in out.html
    assert "<b>Eve</b>" in out.text


def test_times_are_written_the_way_each_language_writes_them() -> None:
    moment = datetime(2025, 6, 30, 12, 5, tzinfo=UTC)
    zone = ZoneInfo("Europe/Stockholm")
    assert format_datetime(moment, zone=zone, language="sv") == "30 juni 2025 kl. 14:05 (CEST)"
    assert format_datetime(moment, zone=zone, language="en") == "30 June 2025 at 14:05 (CEST)"


async def test_handlers_ask_for_the_right_links() -> None:
    directory = MemoryDirectory(users={"u1": recipient()})
    expected = {
        "identity.user.created": ("account_created", LinkPurpose.SET),
        "identity.user.password_reset_requested": ("password_reset", LinkPurpose.RESET),
        "identity.user.locked": ("account_blocked", LinkPurpose.RESET),
        "identity.user.registration_repeated": ("registration_repeated", None),
        "identity.user.password_changed": ("password_changed", None),
    }
    for event_type, (template, purpose) in expected.items():
        directory.links.clear()
        message = EVENT_MESSAGES[event_type](user_id="u1")
        [draft] = await drafts_for(event_type, message, directory)
        assert draft.template == template
        assert [link[1] for link in directory.links] == ([purpose] if purpose else [])


async def test_first_password_and_new_operator_send_nothing() -> None:
    directory = MemoryDirectory(users={"u1": recipient()})
    first = ev.UserPasswordSet(user_id="u1", replaced=False)
    assert await drafts_for("identity.user.password_set", first, directory) == []
    operator = reg.OperatorCreated(operator_id="op", created_by_user_id="u1")
    assert await drafts_for("registry.operator.created", operator, directory) == []


async def test_unknown_user_or_missing_address_gives_an_abandoned_draft() -> None:
    directory = MemoryDirectory(users={"u2": recipient(email="")})
    [gone] = await drafts_for("identity.user.created", ev.UserCreated(user_id="u1"), directory)
    assert gone.recipient is None
    assert gone.abandon_reason
    assert "unknown" in gone.abandon_reason
    [silent] = await drafts_for("identity.user.created", ev.UserCreated(user_id="u2"), directory)
    assert silent.recipient is None
    assert silent.abandon_reason == "recipient has no e-mail address"
    assert directory.links == []  # no link is minted for a message that cannot be sent


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
    claimed = ClaimedMessage(
        id=uuid.uuid4(),
        template="password_reset",
        language="sv",
        recipient_email="a@example.test",
        recipient_name="Åsa Öberg",
        sender_name="Autentiseringstjänst",
        subject="Återställ ditt lösenord",
        body_text="text",
        body_html="<p>html</p>",
        message_id_header="<x@gatehouse.localhost>",
        attempts=1,
        event_time=datetime.now(UTC) - timedelta(seconds=1),
    )
    email = build_email(claimed, settings=settings)
    assert email.get_content_type() == "multipart/alternative"
    assert email["Content-Language"] == "sv"
    assert email["Message-ID"] == "<x@gatehouse.localhost>"
    assert email["From"].addresses[0].display_name == "Autentiseringstjänst"
    assert email["From"].addresses[0].addr_spec == "no-reply@gatehouse.localhost"
    assert email["To"].addresses[0].display_name == "Åsa Öberg"
    assert email["Auto-Submitted"] == "auto-generated"
    assert [p.get_content_type() for p in email.iter_parts()] == ["text/plain", "text/html"]
    english = build_email(
        ClaimedMessage(**{**claimed.__dict__, "sender_name": "", "language": "en"}),
        settings=settings,
    )
    assert str(english["From"]) == "Authentication service <no-reply@gatehouse.localhost>"


def test_smtp_errors_are_classified() -> None:
    refused = aiosmtplib.SMTPRecipientsRefused(
        [aiosmtplib.SMTPRecipientRefused(550, "no such mailbox", "a@x")]
    )
    assert classify(refused).permanent
    busy = aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(451, "busy", "a@x")])
    assert not classify(busy).permanent
    assert classify(aiosmtplib.SMTPDataError(554, "rejected as spam")).permanent
    sender = classify(aiosmtplib.SMTPSenderRefused(553, "not allowed", "no-reply@x"))
    assert not sender.permanent
    assert sender.connection_lost
    gone = classify(aiosmtplib.SMTPServerDisconnected("closed"))
    assert not gone.permanent
    assert gone.connection_lost
    assert classify(ConnectionRefusedError("refused")).connection_lost


def test_settings_defaults_and_validation() -> None:
    settings = NotifierSettings(gatehouse_environment="test")
    assert settings.http_port == 8003
    assert settings.mail_from == "Authentication service <no-reply@gatehouse.localhost>"
    assert settings.notifier_consumer == "notifier"
    assert (settings.delivery_retry_base_s, settings.delivery_retry_max_s) == (1.0, 60.0)
    assert settings.delivery_max_attempts == 12
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
