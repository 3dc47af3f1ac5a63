"""Delete my account in a real browser (issue 18, point 3), in Swedish and in English.

Someone with an authenticator app signed in an hour ago, opens My account → Delete my
account, is asked for the second factor (a stale one is not enough to delete), is told that they
are the last administrator of an authority in the registry (and cannot delete until a colleague
is one too), types their e-mail address, deletes, lands on a page that says the account is
deleted, and cannot sign in again. Screenshots: test-artifacts/screenshots/delete-<language>/.

The page is asked for the second factor before it shows (not after the button was pressed:
the address would be typed twice), and shows no form to the last administrator. The rules
themselves (what is erased, the registry, the last e-mail) are tests/test_account_deletion.py.
"""

from __future__ import annotations

import psycopg
import pytest
from playwright.sync_api import Browser, expect

from tests.browser.support import (
    LANGUAGES,
    Person,
    ScreenshotFolder,
    SystemUnderTest,
    add_registry_administrator,
    exact,
    keyboard_activate,
    keyboard_type_into,
    password_step,
    path_of,
    provision_with_authenticator_app,
    second_factor,
    serious_axe_violations,
    submit,
    unique_email,
    wait_for_path,
)

pytestmark = [pytest.mark.browser, pytest.mark.stack]

# One authority per language, nobody else's: the person is its only administrator at first.
AUTHORITY = {"sv": ("SE-SKS", "Skogsstyrelsen"), "en": ("SE-SLV", "Livsmedelsverket")}


def second_factor_proved_an_hour_ago(system: SystemUnderTest, person: Person) -> None:
    """TEST FIXTURE: the session's second factor is made an hour old (instead of waiting)."""
    with psycopg.connect(system.stack.database_urls["identity"], autocommit=True) as connection:
        connection.execute(
            "UPDATE sessions SET created_at = now() - interval '1 hour',"
            " second_factor_at = now() - interval '1 hour'"
            " WHERE user_id = (SELECT id FROM users WHERE email = %s)",
            (person.email,),
        )


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_person_with_an_authenticator_app_deletes_their_account(
    chromium: Browser, system: SystemUnderTest, screenshots: ScreenshotFolder, language: str
) -> None:
    person = Person("Greta", "Raderad", unique_email(f"delete-{language}"), language)
    colleague = Person("Gustav", "Kvar", unique_email(f"stays-{language}"), language)
    provision_with_authenticator_app(system, person)
    provision_with_authenticator_app(system, colleague)
    code, authority = AUTHORITY[language]
    add_registry_administrator(system, person, code)
    t, base = person.t, system.identity_url
    page = person.open(chromium)
    shots: list[str] = []

    def shoot(name: str) -> None:
        page.wait_for_load_state()
        shots.append(name)
        screenshots.take(page, f"delete-{language}", f"{len(shots):02d}-{name}")
        assert serious_axe_violations(page) == [], name

    try:
        page.goto(f"{base}/login?next=/account")
        password_step(page, person)
        second_factor(page, person, "totp")
        wait_for_path(page, "/account")
        second_factor_proved_an_hour_ago(system, person)
        page.get_by_role("link", name=exact(t["account.delete"])).click()

        # A second factor proved an hour ago is not enough: it is asked again before the page.
        wait_for_path(page, "/login/second-factor")
        shoot("second-factor-again")
        second_factor(page, person, "totp")
        wait_for_path(page, "/account/delete")
        expect(page.get_by_role("heading", level=1)).to_have_text(t["delete.title"])

        # The last administrator of an authority is told so, and offered no button to press.
        warning = page.get_by_role("alert")
        expect(warning).to_contain_text(authority)
        shoot("last-administrator")
        expect(page.get_by_role("button", name=exact(t["delete.submit"]))).to_have_count(0)
        # …and the way back to My account, which is what they will do now.
        expect(page.locator("#delete-back")).to_have_text(t["account.title"])

        add_registry_administrator(system, colleague, code)
        page.reload()
        expect(page.get_by_role("alert")).to_have_count(0)
        shoot("delete-page")

        # A wrong address is refused and names the field.
        confirmation = page.get_by_label(t["delete.confirmation"], exact=True)
        confirmation.fill(colleague.email)
        submit(page, t["delete.submit"])
        expect(page.locator("#confirmation-error")).to_be_visible()
        shoot("wrong-confirmation")

        page.get_by_label(t["delete.confirmation"], exact=True).fill(person.email.upper())
        submit(page, t["delete.submit"])
        expect(page.get_by_role("heading", level=1)).to_have_text(t["delete.done_title"])
        expect(page.get_by_role("link", name=exact(t["delete.sign_up_again"]))).to_be_visible()
        shoot("deleted")

        page.goto(f"{base}/account")
        wait_for_path(page, "/login")
        password_step(page, person)
        expect(page.locator("#password-error")).to_be_visible()
        assert path_of(page) == "/login"
        shoot("cannot-sign-in")
    finally:
        person.close()


def test_deleting_works_with_the_keyboard_only(chromium: Browser, system: SystemUnderTest) -> None:
    """From My account to the deleted page with Tab, typing and Enter, the focus always
    visible (signed in a moment ago: no second factor is asked again)."""
    person = Person("Kalle", "Tangent", unique_email("delete-keys"), "sv")
    provision_with_authenticator_app(system, person)
    t, base = person.t, system.identity_url
    page = person.open(chromium)
    try:
        page.goto(f"{base}/login?next=/account")
        password_step(page, person)
        second_factor(page, person, "totp")
        wait_for_path(page, "/account")
        keyboard_activate(page, page.get_by_role("link", name=exact(t["account.delete"])))
        wait_for_path(page, "/account/delete")
        keyboard_type_into(
            page, page.get_by_label(t["delete.confirmation"], exact=True), person.email
        )
        keyboard_activate(page, page.get_by_role("button", name=exact(t["delete.submit"])))
        expect(page.get_by_role("heading", level=1)).to_have_text(t["delete.done_title"])
    finally:
        person.close()
