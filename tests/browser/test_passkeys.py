"""Passkey-first sign-in in a real browser (issue 18, point 1), with Chromium's virtual
authenticator holding a discoverable credential (a resident key with user verification):

- "Sign in with a passkey" signs in with no e-mail typed and returns to `next`;
- the e-mail field's autofill (a conditional WebAuthn request the page starts by itself) signs
  in without the button being pressed;
- after a password sign-in, a person without a passkey is invited once to add one, and not again
  once they have said no.

The API's refusals (replays, unknown credentials, no user verification) are tests/test_passkeys.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import psycopg
import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.browser.support import (
    PageWatch,
    Person,
    SystemUnderTest,
    add_virtual_security_key,
    exact,
    log_out_of_registry,
    new_context,
    password_step,
    security_key_credentials,
    sign_out_of_identity,
    submit,
    touch_security_key,
    unique_email,
    wait_for_path,
)
from tests.journeys import create_account, identity_client

pytestmark = [pytest.mark.browser, pytest.mark.stack]
OPTIONS = "**/api/v1/sessions/passkey/options"


def wait_until(page: Page, condition: Callable[[], bool], failure: str) -> None:
    """Poll `condition`, waiting in Playwright (which runs route handlers only meanwhile)."""
    deadline = time.monotonic() + 15
    while not condition():
        assert time.monotonic() < deadline, failure
        page.wait_for_timeout(50)


def person_with_password(system: SystemUnderTest, language: str) -> Person:
    person = Person("Petra", "Nyckel", unique_email("passkey"), language)
    with identity_client(system.stack) as client:
        account = create_account(client, system.mailbox, language=language, email=person.email)
    person.password = account.password
    return person


def sign_out(page: Page, system: SystemUnderTest, person: Person) -> None:
    """Sign out, leave the sign-in page that follows (its passkey request ends with it) for a
    blank one, and leave the authenticator untouched: each test starts from nothing pending."""
    touch_security_key(person, touched=False)
    sign_out_of_identity(page, system.identity_url, person)
    page.goto("about:blank")


@pytest.fixture(scope="module")
def passkey_person(chromium: Browser, system: SystemUnderTest) -> Iterator[tuple[Person, Page]]:
    """Someone who signed in with the password and added a passkey, then signed out; their tab
    keeps the virtual authenticator, untouched (it answers nothing until a test says so)."""
    person = person_with_password(system, "en")
    person.context = new_context(chromium, person.language)
    page = person.page = person.context.new_page()
    watch = PageWatch()
    watch.attach(page)
    base = system.identity_url
    page.goto(f"{base}/login?next=/account/security/security-keys/new")
    password_step(page, person)
    wait_for_path(page, "/account/security/security-keys/new")
    add_virtual_security_key(page, person)
    submit(page, person.t["mfa.webauthn.register"])
    expect(page.locator("ol.recovery-codes")).to_be_visible()
    (credential,) = security_key_credentials(person)
    assert credential["isResidentCredential"] is True
    sign_out(page, system, person)
    yield person, page
    person.close()
    assert watch.problems == []


def test_the_passkey_button_signs_in_with_no_email_typed(
    passkey_person: tuple[Person, Page], system: SystemUnderTest
) -> None:
    person, page = passkey_person
    # No autofill here: the options of the page's own (conditional) request are refused, so
    # only the button can ask for the passkey.
    asked: list[str] = []

    def refuse_the_first(route: Route) -> None:
        asked.append(route.request.url)
        if len(asked) == 1:
            route.fulfill(status=503, body="")
        else:
            route.continue_()

    page.route(OPTIONS, refuse_the_first)
    page.goto(f"{system.identity_url}/login?next=/account/activity")
    wait_until(page, lambda: bool(asked), "the page never asked for passkey options")
    touch_security_key(person, touched=True)
    page.get_by_role("button", name=exact(person.t["login.passkey.button"])).click()
    wait_for_path(page, "/account/activity")
    page.unroute(OPTIONS)
    expect(page.get_by_role("cell", name=person.t["activity.kind.sign_in.passkey"])).to_have_count(
        1
    )
    sign_out(page, system, person)


def test_a_passkey_sign_in_started_by_an_oidc_client_returns_to_it_at_multi_factor(
    passkey_person: tuple[Person, Page], system: SystemUnderTest
) -> None:
    """The registry's Log in (an OIDC authorization request asking for multi-factor): the
    passkey button, no e-mail typed, and the browser is back in the registry, signed in (the
    registry refuses a session below multi-factor, so being let in is the level)."""
    person, page = passkey_person
    asked: list[str] = []

    def refuse_the_first(route: Route) -> None:
        asked.append(route.request.url)
        if len(asked) == 1:
            route.fulfill(status=503, body="")
        else:
            route.continue_()

    page.route(OPTIONS, refuse_the_first)
    page.goto(f"{system.registry_url}/")
    page.get_by_role("link", name=exact(person.r["start.login"])).click()
    wait_for_path(page, "/login")
    assert page.url.startswith(system.identity_url), page.url
    wait_until(page, lambda: bool(asked), "the page never asked for passkey options")
    touch_security_key(person, touched=True)
    page.get_by_role("button", name=exact(person.t["login.passkey.button"])).click()
    page.wait_for_url(lambda url: url.startswith(system.registry_url))
    page.unroute(OPTIONS)
    page.wait_for_load_state()
    assert "code=" not in page.url  # the callback took the code and moved on
    expect(page.get_by_role("button", name=exact(person.r["nav.logout"]))).to_be_visible()
    with psycopg.connect(system.stack.database_urls["registry"], autocommit=True) as connection:
        (level, amr) = connection.execute(
            "SELECT level, amr FROM auth_sessions WHERE email = %s"
            " ORDER BY created_at DESC LIMIT 1",
            (person.email,),
        ).fetchone() or (None, None)
    assert level in ("multi_factor", "phishing_resistant"), level
    assert amr is not None
    assert "pwd" not in amr, amr
    log_out_of_registry(page, system, person)
    sign_out(page, system, person)


def test_the_email_fields_autofill_signs_in_with_the_passkey(
    passkey_person: tuple[Person, Page], system: SystemUnderTest
) -> None:
    person, page = passkey_person
    # Chromium's virtual authenticator answers a conditional request as soon as it is made (a
    # person picks the passkey the field offers when they focus it): the page's request for
    # options is held until the field has the focus, so the answer comes after it.
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    page.route(OPTIONS, hold)
    touch_security_key(person, touched=True)
    page.goto(f"{system.identity_url}/login?next=/account/sessions")
    email = page.get_by_label(person.t["field.email"], exact=True)
    assert email.get_attribute("autocomplete") == "username webauthn"
    email.focus()
    wait_until(page, lambda: bool(held), "the page never asked for passkey options")
    held.pop().continue_()
    page.unroute(OPTIONS)
    wait_for_path(page, "/account/sessions")  # the button was never pressed
    sign_out(page, system, person)


def test_a_password_sign_in_invites_to_add_a_passkey_once(
    chromium: Browser, system: SystemUnderTest
) -> None:
    person = person_with_password(system, "sv")
    t = person.t
    context = new_context(chromium, person.language)
    page = context.new_page()
    base = system.identity_url
    try:
        page.goto(f"{base}/login")
        password_step(page, person)
        wait_for_path(page, "/account")
        invitation = page.get_by_role("region", name=t["passkey.invite.title"])
        expect(invitation).to_be_visible()
        expect(
            invitation.get_by_role("link", name=exact(t["passkey.invite.add"]))
        ).to_have_attribute("href", "/account/security/security-keys/new")
        invitation.get_by_role("button", name=exact(t["passkey.invite.dismiss"])).click()
        wait_for_path(page, "/account")
        expect(page.get_by_role("region", name=t["passkey.invite.title"])).to_have_count(0)

        sign_out_of_identity(page, base, person)
        password_step(page, person)
        wait_for_path(page, "/account")
        expect(page.get_by_role("heading", level=1)).to_have_text(t["account.title"])
        expect(page.get_by_role("region", name=t["passkey.invite.title"])).to_have_count(0)
    finally:
        context.close()
