"""A tour of every identity page, in one language, reaching each the way a user does (including
the pages that only show after a mistake: a form with errors, a refused link, an expired form).

`identity_tour(...)` calls `visit(name, page)` on each page. The fixture `phone_tour`
takes it once, in Swedish on a 375×667 screen, and records for each page what the accessibility,
translation and small-screen tests check (screenshots: test-artifacts/screenshots/phone/). A new
identity page should be added here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import pyotp
from playwright.sync_api import Browser, Page, expect

from tests.browser.support import (
    PHONE,
    PageWatch,
    Person,
    ScreenshotFolder,
    SystemUnderTest,
    add_virtual_security_key,
    answer_app_qr,
    choose_method,
    enrol_mobile_device,
    exact,
    fill_signup,
    has_horizontal_scroll,
    link_to,
    password_step,
    path_of,
    scan_enrolment_qr,
    serious_axe_violations,
    set_password,
    submit,
    touch_security_key,
    unique_email,
    visible_text,
    wait_for_path,
    wait_until_registered,
)

Visit = Callable[[str, Page], None]

TOUR_NAMES = {"sv": ("Karin", "Öberg"), "en": ("Kate", "Oakley")}


def remove_csrf_token_and_submit(page: Page, button: str) -> None:
    """A form whose CSRF token is gone (as after the cookie expired): identity answers 403."""
    page.evaluate(
        "() => document.querySelectorAll('input[name=csrf_token]').forEach(e => e.remove())"
    )
    submit(page, button)


def identity_tour(
    browser: Browser,
    system: SystemUnderTest,
    language: str,
    visit: Visit,
    *,
    watch: PageWatch | None = None,
    viewport: dict[str, int] | None = None,
) -> Person:
    first, last = TOUR_NAMES[language]
    person = Person(first, last, unique_email(f"tour-{language}"), language, pin="1357")
    page = person.open(browser, watch, viewport=viewport)
    visit = _settled(visit)
    t, base = person.t, system.identity_url
    try:
        # Signed out: sign in, create an account, forgotten password, bad link, expired form.
        page.goto(f"{base}/login")
        visit("login", page)
        password_step(page, person, password="Wrong#password1")
        expect(page.locator("#password-error")).to_be_visible()
        visit("login-failed", page)
        page.goto(f"{base}/password/forgot")
        visit("forgot-password", page)
        page.get_by_label(t["field.email"], exact=True).fill("not an address")
        submit(page, t["forgot.submit"])
        expect(page.locator("#email-error")).to_be_visible()
        visit("forgot-password-error", page)
        page.goto(f"{base}/password/set?token=not-a-valid-token")
        visit("link-refused", page)
        page.goto(f"{base}/login")
        remove_csrf_token_and_submit(page, t["login.submit"])
        visit("form-expired", page)
        page.goto(f"{base}/signup")
        visit("signup", page)
        submit(page, t["signup.submit"])
        expect(page.locator("#first_name-error")).to_be_visible()
        visit("signup-errors", page)
        fill_signup(page, person)
        submit(page, t["signup.submit"])
        visit("signup-sent", page)

        (message,) = system.mailbox.wait_for(to=person.email)
        page.goto(link_to(message, "/password/set"))
        visit("set-password", page)
        page.get_by_label(t["field.new_password"], exact=True).fill("Short1!")
        page.get_by_label(t["field.password_confirmation"], exact=True).fill("Other1!")
        submit(page, t["password.set.submit"])
        visit("set-password-mismatch", page)
        page.get_by_label(t["field.new_password"], exact=True).fill("weakpassword")
        page.get_by_label(t["field.password_confirmation"], exact=True).fill("weakpassword")
        submit(page, t["password.set.submit"])
        expect(page.locator("#password-error")).to_be_visible()
        visit("set-password-weak", page)
        set_password(page, person, person.password)
        visit("password-set", page)

        # A service that needs a second factor, and the user has none yet.
        page.goto(f"{base}/login?level=multi_factor&next=/account")
        password_step(page, person)
        wait_for_path(page, "/login/second-factor")
        visit("second-factor-needed", page)
        page.goto(f"{base}/account")
        visit("my-account", page)
        page.get_by_role("link", name=exact(t["account.change_password"])).click()
        visit("change-password", page)
        page.get_by_label(t["field.current_password"], exact=True).fill("Wrong#password1")
        page.get_by_label(t["field.new_password"], exact=True).fill("Another#Password9")
        page.get_by_label(t["field.password_confirmation"], exact=True).fill("Another#Password9")
        submit(page, t["account.change_password"])
        visit("change-password-error", page)
        page.goto(f"{base}/account/applications")
        visit("applications", page)
        page.goto(f"{base}/account/eids")
        visit("eids", page)
        page.goto(f"{base}/account/delete")
        visit("delete-account", page)
        submit(page, t["delete.submit"])
        expect(page.locator("#confirmation-error")).to_be_visible()
        visit("delete-account-error", page)

        # Second factors: authenticator app (TOTP), mobile device, security key, phone number.
        page.goto(f"{base}/account/security")
        visit("security-empty", page)
        page.get_by_role("link", name=exact(t["mfa.totp.add"])).click()
        visit("authenticator-app-name", page)
        submit(page, t["mfa.next"])
        visit("authenticator-app-qr", page)
        page.get_by_label(t["mfa.field.code"], exact=True).fill("000000")
        submit(page, t["mfa.confirm"])
        visit("authenticator-app-wrong-code", page)
        secret = page.locator("#totp-secret").inner_text().replace(" ", "")
        page.get_by_label(t["mfa.field.code"], exact=True).fill(pyotp.TOTP(secret).now())
        submit(page, t["mfa.confirm"])
        expect(page.locator(".recovery-codes li").first).to_be_visible()
        visit("recovery-codes", page)

        # Managing second factors needs a second factor now.
        page.goto(f"{base}/account/security/mobile-devices/new")
        wait_for_path(page, "/login/second-factor")
        visit("step-up-choose", page)
        choose_method(page, person, "totp")
        visit("step-up-authenticator-app", page)
        page.get_by_label(t["mfa.field.code"], exact=True).fill(pyotp.TOTP(secret).at(_next_step()))
        submit(page, t["mfa.login.continue"])
        wait_for_path(page, "/account/security/mobile-devices/new")
        visit("mobile-device", page)
        page.get_by_label(t["mfa.field.device_name"], exact=True).fill("Telefon")
        page.get_by_label(t["mfa.field.pin"], exact=True).fill("12")
        page.get_by_label(t["mfa.field.pin_confirmation"], exact=True).fill("12")
        submit(page, t["mfa.next"])
        visit("mobile-device-error", page)
        page.goto(f"{base}/account/security")
        enrol_mobile_device(page, person, "Telefon")
        visit("mobile-device-qr", page)
        scan_enrolment_qr(page, person)
        wait_until_registered(page, person)
        visit("second-factor-added", page)

        add_virtual_security_key(page, person)
        page.goto(f"{base}/account/security/security-keys/new")
        visit("security-key", page)
        page.get_by_role("button", name=exact(t["mfa.webauthn.register"])).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(t["mfa.enrolled.title"])
        touch_security_key(person, touched=False)  # the sign-in page's passkey offer: not taken
        page.goto(f"{base}/account/security/phone-numbers/new")
        visit("phone-number-withdrawn", page)
        page.goto(f"{base}/account/security")
        visit("security-with-factors", page)

        # Signing in with each method.
        page.goto(f"{base}/account")
        submit(page, t["account.logout"])
        page.goto(f"{base}/login?level=multi_factor&next=/account")
        password_step(page, person)
        wait_for_path(page, "/login/second-factor")
        visit("choose-method", page)
        for method in ("mobile_app_push", "totp", "recovery_code", "webauthn"):
            choose_method(page, person, method)
            visit(f"method-{method}", page)
            page.get_by_role("link", name=exact(t["mfa.login.other_method"])).click()
        choose_method(page, person, "totp")
        page.get_by_label(t["mfa.field.code"], exact=True).fill("000000")
        submit(page, t["mfa.login.continue"])
        visit("method-totp-wrong-code", page)
        page.get_by_role("link", name=exact(t["mfa.login.other_method"])).click()
        choose_method(page, person, "mobile_app_qr")
        visit("method-mobile_app_qr", page)
        answer_app_qr(page, person)
        wait_for_path(page, "/account")
        page.goto(f"{base}/oidc/logout")
        visit("sign-out-question", page)
        submit(page, t["oidc.logout.confirm"])
        visit("signed-out", page)
    finally:
        person.close()
    return person


def _settled(visit: Visit) -> Visit:
    """Look at a page only once it has loaded (not while the browser is still navigating)."""

    def settled(name: str, page: Page) -> None:
        page.wait_for_load_state()
        visit(name, page)

    return settled


def _next_step() -> float:
    """A moment in the next 30-second TOTP step (the current one's code was just used)."""
    return time.time() + 30


@dataclass(frozen=True)
class PageRecord:
    """What one page of the tour showed."""

    name: str
    path: str
    lang: str
    text: str
    axe: list[str]
    problems: list[str]  # CSP violations and script errors
    scrolls_sideways: bool


def record_tour(
    browser: Browser,
    system: SystemUnderTest,
    screenshots: ScreenshotFolder,
    *,
    language: str = "sv",
    viewport: dict[str, int] = PHONE,
) -> list[PageRecord]:
    watch = PageWatch()
    records: list[PageRecord] = []

    def record(name: str, page: Page) -> None:
        screenshots.take(page, "phone", f"{len(records) + 1:02d}-{name}")
        records.append(
            PageRecord(
                name=name,
                path=path_of(page),
                lang=page.evaluate("() => document.documentElement.lang"),
                text=visible_text(page),
                axe=serious_axe_violations(page),
                problems=watch.take(),
                scrolls_sideways=has_horizontal_scroll(page),
            )
        )

    identity_tour(browser, system, language, record, watch=watch, viewport=viewport)
    return records
