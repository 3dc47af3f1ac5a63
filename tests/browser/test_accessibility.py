"""Accessibility of identity's pages: axe-core finds no serious or critical violation on any of
them (the journey checks every page it shows too), and signing up, signing in and every
second-factor step work with the keyboard alone: Tab to move, Enter or Space to act, never a
mouse click, always with a visible focus."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.support import (
    Person,
    SystemUnderTest,
    add_virtual_security_key,
    approve_push,
    exact,
    keyboard_activate,
    keyboard_type_into,
    link_to,
    path_of,
    qr_payload,
    security_key_credentials,
    touch_security_key,
    unique_email,
    wait_for_path,
    wait_until_registered,
)
from tests.browser.tour import PageRecord

pytestmark = [pytest.mark.browser, pytest.mark.stack]


def test_every_identity_page_passes_axe(phone_tour: list[PageRecord]) -> None:
    """axe-core on each page of the tour (tour.py); the journey checks its own pages too."""
    assert len(phone_tour) > 30, [record.name for record in phone_tour]
    problems = [
        f"{record.name} ({record.path}): {problem}"
        for record in phone_tour
        for problem in [*record.axe, *record.problems]
    ]
    assert not problems, "\n".join(problems)


def _button(page: Page, name: str) -> object:
    return page.get_by_role("button", name=exact(name))


def _link(page: Page, name: str) -> object:
    return page.get_by_role("link", name=exact(name))


def test_sign_up_sign_in_and_second_factors_with_the_keyboard_only(
    chromium: Browser, system: SystemUnderTest
) -> None:
    person = Person("Kalle", "Tangentsson", unique_email("keyboard"), "sv", pin="8642")
    page = person.open(chromium)
    t, base = person.t, system.identity_url
    try:
        # Create an account.
        page.goto(f"{base}/signup")
        keyboard_type_into(
            page, page.get_by_label(t["field.first_name"], exact=True), person.first_name
        )
        keyboard_type_into(
            page, page.get_by_label(t["field.last_name"], exact=True), person.last_name
        )
        keyboard_type_into(page, page.get_by_label(t["field.email"], exact=True), person.email)
        confirmation = page.get_by_label(t["field.email_confirmation"], exact=True)
        keyboard_type_into(page, confirmation, person.email)
        privacy = page.get_by_label(t["field.privacy_statement_accepted"], exact=True)
        keyboard_activate(page, privacy, "Space")
        expect(privacy).to_be_checked()
        keyboard_activate(page, _button(page, t["signup.submit"]))
        expect(page.get_by_role("heading", level=1)).to_have_text(t["signup.sent.title"])

        # Set the password from the e-mail; Enter in a field sends the form.
        (message,) = system.mailbox.wait_for(to=person.email)
        page.goto(link_to(message, "/password/set"))
        keyboard_type_into(
            page, page.get_by_label(t["field.new_password"], exact=True), person.password
        )
        repeated = page.get_by_label(t["field.password_confirmation"], exact=True)
        keyboard_type_into(page, repeated, person.password)
        repeated.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text(t["password.set.done_title"])

        # Sign in.
        keyboard_activate(page, _link(page, t["login.title"]))
        _keyboard_password_step(page, person)
        wait_for_path(page, "/account")

        # Add a mobile device: name, PIN twice, the app scans the QR code.
        keyboard_activate(page, _link(page, t["mfa.security.title"]))
        keyboard_activate(page, _link(page, t["mfa.mobile.add"]))
        keyboard_type_into(
            page, page.get_by_label(t["mfa.field.device_name"], exact=True), "Telefon"
        )
        keyboard_type_into(page, page.get_by_label(t["mfa.field.pin"], exact=True), person.pin)
        pin_again = page.get_by_label(t["mfa.field.pin_confirmation"], exact=True)
        keyboard_type_into(page, pin_again, person.pin)
        pin_again.press("Enter")
        page.wait_for_load_state()
        person.app.enrol(qr_payload(page), pin=person.pin)
        wait_until_registered(page, person)

        # Add a security key: identity first asks for the app (the push page continues by
        # itself), then Space on "Register the key".
        add_virtual_security_key(page, person)
        keyboard_activate(page, _link(page, t["mfa.security.title"]))
        wait_for_path(page, "/login/second-factor")
        keyboard_activate(page, _link(page, t["mfa.method.mobile_app_push"]))
        approve_push(page, person)
        wait_for_path(page, "/account/security")
        keyboard_activate(page, _link(page, t["mfa.webauthn.add"]))
        keyboard_activate(page, _button(page, t["mfa.webauthn.register"]), "Space")
        expect(page.get_by_role("heading", level=1)).to_have_text(t["mfa.enrolled.title"])
        assert len(security_key_credentials(person)) == 1
        touch_security_key(person, touched=False)  # the sign-in page's passkey offer: not taken

        # Sign out, sign in with the security key.
        page.goto(f"{base}/account")
        keyboard_activate(page, _button(page, t["account.logout"]))
        page.goto(f"{base}/login?level=phishing_resistant&next=/account")
        _keyboard_password_step(page, person)
        if path_of(page) == "/login/second-factor":
            keyboard_activate(page, _link(page, t["mfa.method.webauthn"]))
        touch_security_key(person, touched=True)
        keyboard_activate(page, _button(page, t["mfa.webauthn.use"]), "Space")
        wait_for_path(page, "/account")
        touch_security_key(person, touched=False)

        # Sign out, sign in with the app's QR code and the one-time password it shows.
        keyboard_activate(page, _button(page, t["account.logout"]))
        page.goto(f"{base}/login?level=multi_factor&next=/account")
        _keyboard_password_step(page, person)
        keyboard_activate(page, _link(page, t["mfa.method.mobile_app_qr"]))
        one_time_password = person.app.one_time_password(qr_payload(page), pin=person.pin)
        code = page.get_by_label(t["mfa.field.code"], exact=True)
        keyboard_type_into(page, code, one_time_password)
        code.press("Enter")
        wait_for_path(page, "/account")
    finally:
        person.close()


def _keyboard_password_step(page: Page, person: Person) -> None:
    t = person.t
    keyboard_type_into(page, page.get_by_label(t["field.email"], exact=True), person.email)
    password = page.get_by_label(t["field.password"], exact=True)
    keyboard_type_into(page, password, person.password)
    password.press("Enter")
    page.wait_for_url(lambda url: urlsplit(url).path != "/login")
