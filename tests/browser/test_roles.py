"""The three roles of the manual, played in Chromium with `make demo`'s people and operators, once
in Swedish and once in English (issue 14): the importer asks for access to an operator, the
operator's administrator approves it from the e-mail's link (a deep link through sign-in), and
the authority user works through the work list that is their start page.

Every screen is photographed into `test-artifacts/screenshots/<language>/R<n>-…png` and checked
as in test_journey.py (axe-core, CSP, and in Swedish no English text); every e-mail sent in
Swedish during a stage is checked for English the same way.

The people come from gatehouse_devstack.demo (what `make demo` prints): their password and
authenticator-app secret, nothing made by hand for the test.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, expect

from gatehouse_devstack.demo import DemoData, DemoPerson, load_demo_data
from gatehouse_devstack.mailbox_client import Message, links, matching
from tests.browser.support import (
    LANGUAGES,
    Person,
    ScreenshotFolder,
    SystemUnderTest,
    exact,
    labelled,
    log_in_to_registry,
    password_step,
    second_factor,
    submit,
    untranslated,
    wait_for_path,
)
from tests.browser.test_journey import Journey

pytestmark = [pytest.mark.browser, pytest.mark.stack]

# The demo's operators Olof administers: one per language, so each walk has its own request.
OPERATOR_FOR = {"sv": "Nordfrukt Import AB", "en": "Sydplant Handel AB"}
WAITING_OPERATOR = "Grönt & Gott Import AB"
MESSAGE = {"sv": "Jag tar över importen av plantor.", "en": "I am taking over plant imports."}


@pytest.fixture(scope="package")
def demo(system: SystemUnderTest) -> DemoData:
    return load_demo_data(system.stack)


# Each account's spent authenticator time steps, shared by both languages' walks (identity
# accepts a step once): the demo's enrolment spent the current one.
_SPENT: dict[str, set[int]] = {}


def _person(demo_person: DemoPerson, language: str) -> Person:
    spent = _SPENT.setdefault(demo_person.email, {int(time.time() // 30)})
    return Person(
        first_name=demo_person.first_name,
        last_name=demo_person.last_name,
        email=demo_person.email,
        language=language,
        password=demo_person.password,
        totp_secret=demo_person.totp_secret,
        used_totp_steps=spent,
        user_id=demo_person.user_id,
    )


@pytest.fixture(scope="class", params=LANGUAGES)
def walk(
    request: pytest.FixtureRequest,
    system: SystemUnderTest,
    chromium: Browser,
    screenshots: ScreenshotFolder,
    demo: DemoData,
) -> Iterator[Journey]:
    language: str = request.param
    journey = Journey(language=language, system=system, browser=chromium, screenshots=screenshots)
    for key in ("emma", "olof", "ingrid", "per"):
        journey.people[key] = _person(demo.person(key), language)
    yield journey
    journey.close()


def _swedish_mail_checked(journey: Journey, message: Message) -> None:
    """An e-mail in Swedish: no English text in it (as on the pages)."""
    english = untranslated(f"{message.subject}\n{message.text}")
    journey.problems += [f"e-mail {message.subject!r}: untranslated {hit}" for hit in english]


def _mail(journey: Journey, *, to: str, subject: str, about: str, timeout: float = 30) -> Message:
    """The e-mail to `to` with `subject` that mentions `about` (others may share the subject)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in matching(journey.system.mailbox.messages(), to=to, subject_contains=subject):
            if about in message.text:
                return message
        time.sleep(0.3)
    raise AssertionError(f"no e-mail to {to} with {subject!r} about {about}")


class TestRoles:
    def test_r1_importer_asks_for_access(self, walk: Journey) -> None:
        """Emma has an account and no role: Request authorisation → Operator → search → select
        → Request authorisation → message → Send application for approval → pending. In the
        second walk she has a role already and asks for another operator from her profile."""
        with walk.stage("R1-importer") as j:
            emma = j.person("emma")
            page, r = j.page("emma"), emma.r
            log_in_to_registry(page, j.system, emma, "totp", shoot=lambda s: j.shot(page, s))
            if j.language == "sv":
                wait_for_path(page, "/request-authorisation")
                expect(page.locator("#notice")).to_have_text(r["notice.no_role"])
                j.shot(page, "no-role-yet")
            else:
                # Approved at one operator already (the Swedish walk): the manual's "Edit your
                # profile → Request new role → Operator".
                wait_for_path(page, "/profile")
                j.shot(page, "profile")
                page.locator("#request-new-role").click()
                wait_for_path(page, "/profile/new-role")
                j.shot(page, "request-new-role")
            page.get_by_role("link", name=exact(r["kind.operator"])).click()
            name = OPERATOR_FOR[j.language]
            page.get_by_label(r["search.text"], exact=True).fill(name.split()[0])
            submit(page, r["search.submit"])
            expect(page.locator("#results")).to_contain_text(name)
            page.get_by_label(r["search.pick_one"].format(name=name)).check()
            j.shot(page, "operator-found")
            page.locator("#request-authorisation").click()
            page.wait_for_load_state()
            page.get_by_label(labelled(r["field.message"])).fill(MESSAGE[j.language])
            j.shot(page, "send-application")
            submit(page, r["apply.submit"])
            page.wait_for_load_state()
            expect(page.locator("#done")).to_have_text(r["done.sent"])
            expect(page.locator("#roles")).to_contain_text(name)
            j.shot(page, "pending")
            # The receipt, in Emma's e-mail language (English).
            receipt = j.system.mailbox.wait_for(
                to=emma.email,
                subject_contains=f"We have received your request for access to {name}",
            )
            assert MESSAGE[j.language] in receipt[0].text

    def test_r2_operator_administrator_approves_from_the_email(self, walk: Journey) -> None:
        """Olof's e-mail (Swedish) quotes Emma's message; its link opens Emma's page through
        sign-in; he ticks the request and saves."""
        with walk.stage("R2-operator-administrator", needs=("R1-importer",)) as j:
            olof, emma = j.person("olof"), j.person("emma")
            name = OPERATOR_FOR[j.language]
            mail = _mail(
                j, to=olof.email, subject=f"Ny ansökan om behörighet för {name}", about=emma.email
            )
            _swedish_mail_checked(j, mail)
            assert MESSAGE[j.language] in mail.text
            link = next(url for url in links(mail) if "/actors/users/" in url)
            assert urlsplit(link).path == f"/actors/users/{emma.user_id}"
            page, r = j.page("olof"), olof.r
            page.goto(link)
            wait_for_path(page, "/login")  # identity: not signed in yet
            j.shot(page, "deep-link-sign-in")
            password_step(page, olof)
            second_factor(page, olof, "totp")
            page.wait_for_url(lambda url: urlsplit(url).path == f"/actors/users/{emma.user_id}")
            expect(page.get_by_role("heading", level=1)).to_contain_text(emma.full_name)
            pending = page.locator("td.approve input[name=approve]:not([disabled])")
            expect(pending).to_have_count(1)
            pending.check()
            j.shot(page, "approve")
            page.locator("#save-changes").click()
            page.wait_for_load_state()
            expect(page.locator("#done")).to_have_text(r["done.saved"])
            j.shot(page, "saved")

    def test_r3_authority_works_through_the_work_list(self, walk: Journey) -> None:
        """Ingrid's start page is the work list, with counts. In Swedish she validates the
        operator that waited for her; in English she approves its first user (Per), which
        waits on her list once the operator is valid and has no administrator."""
        with walk.stage("R3-authority") as j:
            ingrid, per = j.person("ingrid"), j.person("per")
            page, r = j.page("ingrid"), ingrid.r
            log_in_to_registry(page, j.system, ingrid, "totp")
            wait_for_path(page, "/authority/work")
            expect(page.get_by_role("heading", level=1)).to_have_text(r["work.title"])
            j.shot(page, "work-list")
            if j.language == "sv":
                expect(page.locator("#operators-count")).to_have_text(re.compile(r"^[1-9]"))
                page.locator("#operators").get_by_role("link", name=exact(WAITING_OPERATOR)).click()
                page.wait_for_load_state()
                j.shot(page, "operator")
                submit(page, r["decide.validate_operator"])
                expect(page.locator("#done")).to_have_text(r["done.operator_validated"])
                j.shot(page, "validated")
                (mail,) = j.system.mailbox.wait_for(
                    to=per.email, subject_contains=f"{WAITING_OPERATOR} har validerats"
                )
                _swedish_mail_checked(j, mail)
            else:
                users = page.locator("#operator-users")
                expect(users).to_contain_text(per.full_name)
                users.get_by_role("link", name=exact(per.full_name)).first.click()
                page.wait_for_load_state()
                # Per also waits at Nordfrukt, whose administrator decides: this is the one
                # at the operator without an administrator.
                pending = page.locator("tr", has_text=WAITING_OPERATOR).locator(
                    "td.approve input[name=approve]:not([disabled])"
                )
                expect(pending).to_have_count(1)
                pending.check()
                j.shot(page, "approve-first-user")
                page.locator("#save-changes").click()
                page.wait_for_load_state()
                expect(page.locator("#done")).to_have_text(r["done.saved"])
                j.shot(page, "saved")

    def test_r4_switching_language_keeps_the_way_back(self, walk: Journey) -> None:
        """Issue 14, point 3: the language links of the sign-in pages dropped `next` and
        `level`, so the user landed in identity instead of the registry. Olof switches language
        on the sign-in page and again on the second-factor page, and still arrives back."""
        with walk.stage("R4-language-switch") as j:
            olof = j.person("olof")
            other = "en" if j.language == "sv" else "sv"
            olof_other = dataclasses.replace(olof, language=other)
            page = j.page("olof")
            log_out_if_signed_in(page, j)
            page.goto(f"{j.system.registry_url}/")
            page.get_by_role("link", name=exact(olof.r["start.login"])).click()
            wait_for_path(page, "/login")
            assert "next=" in page.url, page.url
            page.locator(f'nav.languages a[lang="{other}"]').click()
            page.wait_for_load_state()
            assert "next=" in page.url, page.url
            expect(page.locator("html")).to_have_attribute("lang", other)
            password_step(page, olof_other)
            wait_for_path(page, re.compile(r"^/login/second-factor"))
            page.locator(f'nav.languages a[lang="{j.language}"]').click()
            page.wait_for_load_state()
            expect(page.locator("html")).to_have_attribute("lang", j.language)
            j.shot(page, "second-factor-after-switch")
            second_factor(page, olof, "totp")
            try:
                page.wait_for_url(lambda url: url.startswith(j.system.registry_url))
            except Exception as error:  # say where the browser ended up instead
                j.shot(page, "not-back")
                raise AssertionError(f"not back in the registry: {page.url}") from error
            expect(page.get_by_role("navigation", name=olof.r["nav.main"])).to_contain_text(
                olof.email
            )
            j.shot(page, "back-in-the-registry")


def log_out_if_signed_in(page: Any, journey: Journey) -> None:
    """A fresh start: out of the registry and identity (the earlier stage signed Olof in)."""
    page.context.clear_cookies()


class TestOwnDetails:
    def test_r5_change_name_and_email_language(self, walk: Journey) -> None:
        """Issue 14, point 2: the registry's "Update your information" landed on My account,
        where name and e-mail language were read-only. Per changes both on a form; the next
        e-mail comes in the new language."""
        with walk.stage("R5-own-details") as j:
            per = j.person("per")
            page, t = j.page("per"), per.t
            new_language = "en" if j.language == "sv" else "sv"
            page.goto(f"{j.system.identity_url}/account/profile")
            wait_for_path(page, "/login")
            password_step(page, per)
            if urlsplit(page.url).path.startswith("/login/second-factor"):
                second_factor(page, per, "totp")
            wait_for_path(page, "/account/profile")
            expect(page.get_by_role("heading", level=1)).to_have_text(t["profile.title"])
            page.get_by_label(t["field.last_name"], exact=True).fill(f"Lund-{j.language}")
            page.get_by_label(t["field.email_language"], exact=True).select_option(new_language)
            j.shot(page, "profile-form")
            page.get_by_role("button", name=exact(t["profile.submit"])).click()
            page.wait_for_load_state()
            expect(page.get_by_role("heading", level=1)).to_have_text(t["profile.saved.title"])
            j.shot(page, "profile-saved")
            page.goto(f"{j.system.identity_url}/account")
            expect(page.locator(".details")).to_contain_text(f"Lund-{j.language}")
            # Security activity names methods as people do, not by internal name (point 7).
            page.goto(f"{j.system.identity_url}/account/activity")
            j.shot(page, "security-activity")
            shown = page.locator("main").inner_text()
            assert not re.search(r"\((totp|mobile_app\w*|recovery_code|webauthn|sms)\)", shown)
            assert "activity.kind." not in shown  # a catalog key, not a sentence (the walk)
            # ...and times in the local zone, not UTC (point 10).
            assert "UTC" not in shown
            assert re.search(r"\d\d:\d\d:\d\d CES?T", shown), shown[:500]
            # Point 10: no SMS-sunset warning for someone who never had SMS; "Reset all my
            # devices" looks like the danger it is; "Sign out everywhere" says it happened.
            page.goto(f"{j.system.identity_url}/account/security")
            if urlsplit(page.url).path.startswith("/login/second-factor"):
                second_factor(page, per, "totp")
            wait_for_path(page, "/account/security")
            expect(page.locator("#sms-sunset")).to_have_count(0)
            expect(page.locator("#reset-devices")).to_have_class(re.compile(r"\bdanger\b"))
            j.shot(page, "security")
            page.goto(f"{j.system.identity_url}/account/sessions")
            page.get_by_role("button", name=exact(t["sessions.sign_out_everywhere"])).click()
            page.wait_for_load_state()
            expect(page.get_by_role("heading", level=1)).to_have_text(
                t["sessions.signed_out_everywhere.title"]
            )
            j.shot(page, "signed-out-everywhere")
            # The next e-mail is in the new language.
            page.goto(f"{j.system.identity_url}/password/forgot")
            page.get_by_label(t["field.email"], exact=True).fill(per.email)
            submit(page, t["forgot.submit"])
            subject = {"sv": "Återställ", "en": "Reset"}[new_language]
            j.system.mailbox.wait_for(to=per.email, subject_contains=subject)
