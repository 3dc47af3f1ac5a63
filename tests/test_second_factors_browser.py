"""The second-factor pages' script (/static/gatehouse-mfa.js) in a real browser: the enrolment
page turns to "registration complete" by itself, the push page continues by itself once the app
approves, and security keys register and sign in through navigator.credentials (Chromium's
virtual authenticator).

Browsers refuse an IP address as a WebAuthn relying-party id, so these tests use one more
identity process, sharing the stack's database, whose public URL is http://localhost:<port>.
Skipped, saying so, when Debian's chromium is not installed."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from gatehouse_authenticator import Authenticator, DeviceStore
from gatehouse_authenticator.camera import png_from_data_uri, read_qr
from gatehouse_devstack.components import ServiceProcess
from gatehouse_devstack.mailbox_client import MailboxClient
from gatehouse_devstack.stack import Stack, free_ports
from gatehouse_identity.web.i18n import Translator
from tests.journeys import (
    Account,
    away_from_step_edge,
    create_account,
    enrol_totp,
    identity_client,
    signed_in_account,
    totp_code,
)

pytestmark = [pytest.mark.stack, pytest.mark.browser]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PIN = "2580"


@pytest.fixture(scope="module")
def localhost_identity(stack: Stack) -> Iterator[str]:
    http_port, grpc_port = free_ports(2)
    url = f"http://localhost:{http_port}"
    env = stack.env_for("identity") | {
        "HTTP_PORT": str(http_port),
        "GRPC_PORT": str(grpc_port),
        "PUBLIC_URL": url,
    }
    process = ServiceProcess(
        "identity-localhost",
        "gatehouse_identity",
        env,
        log_path=stack.logs_dir / "identity-localhost.log",
        python=sys.executable,
    )
    process.start()
    yield url
    process.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(
            "BROWSER TESTS SKIPPED: Debian's chromium is not installed at /usr/bin/chromium "
            "(apt-get install -y chromium)"
        )
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as driver:
        chromium = driver.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


def path_of(page: Any) -> str:
    return urlsplit(page.url).path


def sign_in(page: Any, base: str, account: Account, next_url: str) -> None:
    page.goto(f"{base}/login?next={next_url}")
    page.fill("#email", account.email)
    page.fill("#password", account.password)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()


def touch(cdp: Any, authenticator: dict[str, str], *, touched: bool) -> None:
    """Whether the virtual authenticator answers requests by itself (a person touching it)."""
    cdp.send(
        "WebAuthn.setAutomaticPresenceSimulation",
        {"authenticatorId": authenticator["authenticatorId"], "enabled": touched},
    )


def test_page_scripts_poll_approve_and_use_security_keys(
    stack: Stack, mailbox: MailboxClient, localhost_identity: str, browser: Any
) -> None:
    base = localhost_identity
    with identity_client(stack) as client:
        account = create_account(client, mailbox)
    context = browser.new_context()
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    with httpx.Client(timeout=30) as http:
        phone = Authenticator(DeviceStore(), http=http)

        # Enrol the app: the page waits for the phone, then moves on by itself.
        sign_in(page, base, account, "/account/security/mobile-devices/new")
        assert path_of(page) == "/account/security/mobile-devices/new"
        page.fill("#name", "Browser phone")
        page.fill("#pin", PIN)
        page.fill("#pin_confirmation", PIN)
        page.click("main form button[type=submit]")
        source = page.locator("img.qr").get_attribute("src")
        phone.enrol(read_qr(png_from_data_uri(source)), pin=PIN)
        page.wait_for_url(re.compile(r"/account/security/mobile-devices/[^/]+/complete$"))
        assert page.locator("ol.recovery-codes li").count() == 10

        # Adding a security key needs a multi-factor session: the push page continues by
        # itself once the app has approved.
        page.goto(f"{base}/account/security/security-keys/new")
        assert path_of(page) == "/login/second-factor"
        page.click("a[href^='/login/second-factor/mobile_app_push']")
        number = page.locator("#push-number").inner_text().strip()
        (request,) = phone.pending_requests()
        assert phone.approve(request, pin=PIN, number=number) == "approved"
        page.wait_for_url(f"{base}/account/security/security-keys/new")

        cdp = context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        authenticator = cdp.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                }
            },
        )
        page.fill("#name", "Virtual passkey")
        page.click("main form button[type=submit]")
        page.wait_for_selector("ol.recovery-codes, p[role=status]")
        credentials = cdp.send(
            "WebAuthn.getCredentials", {"authenticatorId": authenticator["authenticatorId"]}
        )
        assert len(credentials["credentials"]) == 1
        # The sign-in page offers the passkey as autofill, which the virtual authenticator
        # would take at once: untouched, it leaves the password sign-in below alone.
        touch(cdp, authenticator, touched=False)

        # Sign in again with the key only (phishing-resistant level).
        page.goto(f"{base}/account")
        page.click("form[action='/logout'] button")
        sign_in(page, base, account, "/account/security")
        page.goto(f"{base}/login?next=/account/security&level=phishing_resistant")
        page.click("a[href^='/login/second-factor/webauthn']")
        touch(cdp, authenticator, touched=True)
        page.click("main form[data-webauthn] button[type=submit]")
        page.wait_for_url(f"{base}/account/security")
        assert "Virtual passkey" in page.content()
    context.close()
    assert errors == []


BROWSERS_OWN_WORDS = ("w3.org", "The operation", "NotAllowedError", "timed out or was not allowed")


def passkey_refused(page: Any, url: str, language: str) -> str:
    """Open the passkey page `url` in `language`, press its button while the authenticator
    refuses, and return the sentence the page then shows."""
    page.goto(f"{url}{'&' if '?' in url else '?'}lang={language}")
    assert page.locator("html").get_attribute("lang") == language
    if page.locator("#name").count():
        page.fill("#name", "Virtual passkey")
    page.click("main form[data-webauthn] button[type=submit]")
    shown = page.locator("#credential-error")
    shown.wait_for(state="visible")
    return str(shown.inner_text()).strip()


def test_a_failed_passkey_is_said_in_the_pages_language(
    stack: Stack, mailbox: MailboxClient, localhost_identity: str, browser: Any
) -> None:
    """When the browser refuses a passkey (here: user verification fails, as when the
    fingerprint or PIN is not given), the page says so in its own sentence, in Swedish and in
    English, never in the browser's English text with its link to the W3C specification: both
    when adding a passkey and at the sign-in step."""
    base = localhost_identity
    with identity_client(stack) as client:
        account, token = signed_in_account(client, mailbox)
        secret, _ = enrol_totp(client, token)
    cancelled = {
        language: Translator(language)("mfa.webauthn.cancelled") for language in ["sv", "en"]
    }
    context = browser.new_context()
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, base, account, "/account/security/security-keys/new")
    if path_of(page) == "/login/second-factor":  # the list of methods: the app's code
        page.click("a[href^='/login/second-factor/totp']")
    away_from_step_edge()
    page.fill("#code", totp_code(secret))
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/account/security/security-keys/new")
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": False,
            }
        },
    )
    authenticator = {"authenticatorId": added["authenticatorId"]}
    pages = {"adding": f"{base}/account/security/security-keys/new"}
    step_up = "next=/account/security&level=phishing_resistant"
    pages["signing in"] = f"{base}/login/second-factor/webauthn?{step_up}"
    for step, url in pages.items():
        if step == "signing in":
            # A passkey that works, then the step-up asks for it while verification fails.
            cdp.send("WebAuthn.setUserVerified", {**authenticator, "isUserVerified": True})
            page.goto(pages["adding"])
            page.fill("#name", "Virtual passkey")
            page.click("main form button[type=submit]")
            page.wait_for_selector("ol.recovery-codes, p[role=status]")
            cdp.send("WebAuthn.setUserVerified", {**authenticator, "isUserVerified": False})
            page.goto(f"{base}/login?{step_up}")
            assert path_of(page).startswith("/login/second-factor"), page.url
        for language, sentence in cancelled.items():
            shown = passkey_refused(page, url, language)
            assert shown == sentence, (step, language, shown)
            assert not any(words in shown for words in BROWSERS_OWN_WORDS), shown
    context.close()
