"""What every identity page owes its user beyond its own job: it fits a phone's screen, a form
keeps what was typed and puts each error beside its field, a form posted without its CSRF token
is refused, cookies are Secure/HttpOnly/SameSite, and pages send a Content-Security-Policy."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.support import (
    Person,
    SystemUnderTest,
    fill_signup,
    link_to,
    new_context,
    password_step,
    set_password,
    submit,
    texts,
    unique_email,
    wait_for_path,
)
from tests.browser.tour import PageRecord

pytestmark = [pytest.mark.browser, pytest.mark.stack]


def test_identity_pages_fit_a_phone_screen(phone_tour: list[PageRecord]) -> None:
    """375×667 (the tour runs at that size): no page scrolls sideways, signed out or in, with
    errors shown, nor the QR code pages."""
    wide = [f"{record.name} ({record.path})" for record in phone_tour if record.scrolls_sideways]
    assert len(phone_tour) > 30, [record.name for record in phone_tour]
    assert not wide, "pages wider than a 375 px screen: " + ", ".join(wide)


def test_signup_keeps_what_was_typed_and_shows_errors_beside_fields(
    chromium: Browser, system: SystemUnderTest
) -> None:
    context = new_context(chromium, "en")
    page = context.new_page()
    t = texts("en")
    person = Person("Åsa", "Nilsson-Öst", unique_email("typo"), "en")
    try:
        page.goto(f"{system.identity_url}/signup")
        fill_signup(page, person)
        page.get_by_label(t["field.email_confirmation"]).fill("another@example.se")
        page.get_by_label(t["field.email_language"]).select_option("sv")
        submit(page, t["signup.submit"])

        # Everything typed is still there (the privacy tick and the language too).
        expect(page.get_by_label(t["field.first_name"])).to_have_value("Åsa")
        expect(page.get_by_label(t["field.last_name"])).to_have_value("Nilsson-Öst")
        expect(page.get_by_label(t["field.email"], exact=True)).to_have_value(person.email)
        expect(page.get_by_label(t["field.email_confirmation"])).to_have_value("another@example.se")
        expect(page.get_by_label(t["field.email_language"])).to_have_value("sv")
        expect(page.get_by_label(t["field.privacy_statement_accepted"])).to_be_checked()

        # The error is beside the wrong field, tied to it for screen readers, and only there.
        field = page.get_by_label(t["field.email_confirmation"])
        expect(field).to_have_attribute("aria-invalid", "true")
        error = page.locator("#email_confirmation-error")
        expect(error).to_be_visible()
        expect(error).not_to_be_empty()
        expect(field).to_have_attribute("aria-describedby", re.compile(r"email_confirmation-error"))
        assert page.locator(".field.has-error").count() == 1
        same_field = page.locator(".field", has=page.locator("#email_confirmation-error"))
        expect(same_field.locator("#email_confirmation")).to_have_count(1)
        shown_errors = page.locator(".error:visible")
        expect(shown_errors).to_have_count(1)

        # Fixing it sends the form.
        field.fill(person.email)
        submit(page, t["signup.submit"])
        expect(page.get_by_role("heading", level=1)).to_have_text(t["signup.sent.title"])
    finally:
        context.close()


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/login", {"email": "someone@example.se", "password": "Whatever#2025"}),
        ("/signup", {"first_name": "A", "last_name": "B", "email": "a@example.se"}),
        ("/password/forgot", {"email": "someone@example.se"}),
        ("/logout", {}),
    ],
)
def test_a_form_posted_without_its_csrf_token_is_refused(
    chromium: Browser, system: SystemUnderTest, path: str, fields: dict[str, str]
) -> None:
    context = new_context(chromium, "en")
    try:
        page = context.new_page()
        page.goto(f"{system.identity_url}/login")  # the browser now holds a CSRF cookie
        without = page.request.post(system.identity_url + path, form=fields, max_redirects=0)
        assert without.status == 403, (path, without.status)
        wrong = page.request.post(
            system.identity_url + path,
            form={**fields, "csrf_token": "x" * 43},
            max_redirects=0,
        )
        assert wrong.status == 403, (path, wrong.status)
    finally:
        context.close()


def test_cookies_are_secure_httponly_and_samesite(
    chromium: Browser, system: SystemUnderTest
) -> None:
    context = new_context(chromium, "sv")
    page = context.new_page()
    person = Person("Kaka", "Smulan", unique_email("cookies"), "sv")
    base, t = system.identity_url, person.t
    try:
        page.goto(f"{base}/signup?lang=sv")
        fill_signup(page, person)
        submit(page, t["signup.submit"])
        (message,) = system.mailbox.wait_for(to=person.email)
        page.goto(link_to(message, "/password/set"))
        set_password(page, person, person.password)
        page.goto(f"{base}/login")
        password_step(page, person)
        wait_for_path(page, "/account")
        cookies = context.cookies(base)
        names = {cookie["name"] for cookie in cookies}
        assert any("session" in name for name in names), names
        assert any("csrf" in name for name in names), names
        weak = [
            f"{cookie['name']}: secure={cookie['secure']} httpOnly={cookie['httpOnly']}"
            f" sameSite={cookie['sameSite']}"
            for cookie in cookies
            if not (
                cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] in ("Lax", "Strict")
            )
        ]
        assert not weak, "cookies without Secure, HttpOnly or SameSite: " + "; ".join(weak)
        host_only = [c["name"] for c in cookies if c["name"].startswith("__Host-")]
        assert host_only, "session and CSRF cookies should be __Host- cookies"
    finally:
        context.close()


@pytest.mark.parametrize(
    ("service", "path"),
    [
        ("identity", "/login"),
        ("identity", "/signup"),
        ("identity", "/password/forgot"),
        ("identity", "/account/security"),
        ("registry", "/"),
    ],
)
def test_pages_send_a_content_security_policy(
    system: SystemUnderTest, service: str, path: str
) -> None:
    base = system.identity_url if service == "identity" else system.registry_url
    response = httpx.get(base + path, follow_redirects=True, timeout=10)
    assert response.status_code == 200
    policy = response.headers.get("content-security-policy", "")
    directives = {
        part.strip().split(" ", 1)[0]: part.strip() for part in policy.split(";") if part.strip()
    }
    assert "'self'" in directives.get("default-src", ""), policy
    script = directives.get("script-src", directives.get("default-src", ""))
    assert "'unsafe-inline'" not in script, policy
    assert "'unsafe-eval'" not in script, policy
    assert directives.get("frame-ancestors") == "frame-ancestors 'none'", policy
    assert "object-src" in directives, policy
    assert response.headers.get("x-content-type-options") == "nosniff"
    assert "no-store" in response.headers.get("cache-control", "")


def test_the_browser_enforces_the_policy(chromium: Browser, system: SystemUnderTest) -> None:
    """An inline script injected into a page does not run (and identity's pages need none)."""
    context = new_context(chromium, "en")
    page: Page = context.new_page()
    try:
        violations: list[str] = []
        page.on(
            "console",
            lambda message: (
                violations.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        page.goto(f"{system.identity_url}/login")
        assert violations == [], violations
        page.evaluate(
            """() => { const s = document.createElement('script');
                       s.textContent = 'window.injected = true'; document.body.append(s); }"""
        )
        assert page.evaluate("() => window.injected === undefined")
        page.wait_for_timeout(100)
        assert violations, "the browser did not report the blocked inline script"
    finally:
        context.close()
