"""The importers' manual, screen by screen, in Chromium: once in Swedish, once in English.

Each stage of DESIGN §1 is one test, run in order; a stage needs the ones before it and is
skipped (naming the stage that did not complete) when they did not, so one failure shows as one
failure. Every screen is photographed into `test-artifacts/screenshots/<language>/NN-step.png`
(NN = the stage) and checked: axe-core finds no serious or critical violation, no
Content-Security-Policy violation or script error happens, and in Swedish no English text shows
(identity's and the registry's catalogs, and English sentences from anywhere).

People the journey does not follow from their own sign-up (the authority's and the border
post's staff, the colleague) get their account and an authenticator app through identity's JSON
API, and the authority's first administrator is made with `python -m gatehouse_registry
add-administrator`, as operations staff would.

The phone is the reference authenticator app (tools/authenticator): it reads the QR codes from
the page's image and answers over identity's device API, as the real app would. The security key
is Chromium's virtual WebAuthn authenticator (DevTools protocol).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.support import (
    LANGUAGES,
    NEW_PASSWORD,
    PageWatch,
    Person,
    ScreenshotFolder,
    SystemUnderTest,
    add_registry_administrator,
    add_virtual_security_key,
    enrol_mobile_device,
    exact,
    fill_signup,
    labelled,
    link_to,
    log_in_to_registry,
    log_out_of_registry,
    password_step,
    path_of,
    provision_with_authenticator_app,
    registry_menu,
    scan_enrolment_qr,
    second_factor,
    security_key_credentials,
    serious_axe_violations,
    set_password,
    sign_out_of_identity,
    step_up_if_asked,
    submit,
    swedish_organisation_number,
    texts,
    touch_security_key,
    unique_email,
    untranslated,
    visible_text,
    wait_for_path,
    wait_until_registered,
)

pytestmark = [pytest.mark.browser, pytest.mark.stack]

ORGANISATION_KINDS = ("operator", "organic_control_body", "authority", "other_entity")

NAMES = {
    "sv": {
        "first": ("Anna", "Lindqvist"),
        "second": ("Bertil", "Åkesson"),
        "authority": ("Ingrid", "Importkontroll"),
        "border": ("Gustav", "Gränskontroll"),
        "operator": "Äppelgården Import AB",
    },
    "en": {
        "first": ("Alice", "Walker"),
        "second": ("Bob", "Carter"),
        "authority": ("Irene", "Inspector"),
        "border": ("George", "Borders"),
        "operator": "Orchard Imports Ltd",
    },
}


@dataclass
class Journey:
    """One language's walk through the manual: the people, and which stages completed."""

    language: str
    system: SystemUnderTest
    browser: Browser
    screenshots: ScreenshotFolder
    watch: PageWatch = field(default_factory=PageWatch)
    people: dict[str, Person] = field(default_factory=dict)
    completed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    current: str = ""
    operator_name: str = ""
    organisation_number: str = ""

    @property
    def t(self) -> dict[str, str]:
        return texts(self.language)

    def person(self, role: str) -> Person:
        return self.people[role]

    def page(self, role: str) -> Page:
        return self.people[role].open(self.browser, self.watch)

    def shot(self, page: Page, step: str) -> None:
        """Photograph the screen and check it: axe-core, CSP, script errors."""
        self.screenshots.take(page, self.language, f"{self.current[:2]}-{step}")
        where = f"{step} ({path_of(page)})"
        self.problems += [f"{where}: {problem}" for problem in serious_axe_violations(page)]
        self.problems += [f"{where}: {problem}" for problem in self.watch.take()]
        if self.language == "sv":
            lang = page.evaluate("() => document.documentElement.lang")
            english = untranslated(visible_text(page)) + ([] if lang == "sv" else [f"lang={lang}"])
            self.problems += [f"{where}: untranslated {hit}" for hit in english]

    @contextmanager
    def stage(self, name: str, *, needs: tuple[str, ...] = ()) -> Iterator[Journey]:
        missing = [each for each in needs if each not in self.completed]
        if missing:
            pytest.skip(f"needs stage {', '.join(missing)}, which did not complete")
        self.current, self.problems = name, []
        yield self
        self.completed.append(name)
        assert not self.problems, "problems on the pages of this stage:\n" + "\n".join(
            self.problems
        )

    def close(self) -> None:
        for person in self.people.values():
            person.close()


def approve_pending_application(
    journey: Journey, decider: Person, *, applicant: Person, shoot: bool = False
) -> str:
    """Actors → Users → Search pending applications → the applicant → tick the green check for
    the pending role → Save changes. Returns the role's id."""
    page, r = journey.page(_role_of(journey, decider)), decider.r
    page.goto(f"{journey.system.registry_url}/")
    registry_menu(page, r["users.title"])
    page.locator("#search-pending").click()
    page.wait_for_load_state()
    applications = page.locator("#applications")
    expect(applications).to_contain_text(applicant.full_name)
    if shoot:
        journey.shot(page, "pending-applications")
    applications.get_by_role("link", name=exact(applicant.full_name)).first.click()
    page.wait_for_load_state()
    pending = page.locator("td.approve input[name=approve]:not([disabled])")
    expect(pending).to_have_count(1)
    role_id = pending.get_attribute("value") or ""
    pending.check()
    if shoot:
        journey.shot(page, "approve")
    page.locator("#save-changes").click()
    page.wait_for_load_state()
    expect(page.locator("#done")).to_have_text(r["done.saved"])
    expect(page.locator(f"#approve-{role_id}")).to_be_disabled()
    if shoot:
        journey.shot(page, "saved")
    return role_id


def _role_of(journey: Journey, person: Person) -> str:
    return next(role for role, each in journey.people.items() if each is person)


@pytest.fixture(scope="class", params=LANGUAGES)
def journey(
    request: pytest.FixtureRequest,
    system: SystemUnderTest,
    chromium: Browser,
    screenshots: ScreenshotFolder,
) -> Iterator[Journey]:
    language: str = request.param
    names = NAMES[language]
    walk = Journey(language=language, system=system, browser=chromium, screenshots=screenshots)
    for role in ("first", "second", "authority", "border"):
        first, last = names[role]
        walk.people[role] = Person(
            first_name=first,
            last_name=last,
            email=unique_email(f"{role}-{language}"),
            language=language,
            pin="4711" if role == "first" else "2580",
        )
    walk.operator_name = names["operator"]
    walk.organisation_number = swedish_organisation_number()
    yield walk
    walk.close()


class TestManual:
    """DESIGN §1, in order. `journey` is per language; stages share its people and devices."""

    # --- 1. Create an account ---------------------------------------------------------------

    def test_01_create_account(self, journey: Journey) -> None:
        with journey.stage("01-create-account") as j:
            anna, t = j.person("first"), j.t
            page = j.page("first")
            page.goto(f"{j.system.identity_url}/login")
            expect(page).to_have_title(exact(f"{t['login.title']} – {t['app.name']}"))
            page.get_by_role("link", name=exact(t["login.create_account"])).click()
            wait_for_path(page, "/signup")
            expect(page.get_by_role("heading", level=1)).to_have_text(t["signup.title"])
            fill_signup(page, anna)
            j.shot(page, "signup")
            submit(page, t["signup.submit"])
            expect(page.get_by_role("heading", level=1)).to_have_text(t["signup.sent.title"])
            expect(page.get_by_role("status")).to_contain_text(anna.email)
            j.shot(page, "check-your-email")

    def test_02_email_and_set_password(self, journey: Journey) -> None:
        with journey.stage("02-set-password", needs=("01-create-account",)) as j:
            anna, t = j.person("first"), j.t
            page = j.page("first")
            # The e-mail from the "Authentication service", in the chosen e-mail language.
            (message,) = j.system.mailbox.wait_for(to=anna.email)
            assert "no-reply@" in message.from_header, message.from_header
            expected_word = {"sv": "lösenord", "en": "password"}[j.language]
            assert expected_word in message.subject.lower(), message.subject
            page.goto(link_to(message, "/password/set"))
            expect(page.get_by_role("heading", level=1)).to_have_text(t["password.set.title"])
            j.shot(page, "set-password")
            set_password(page, anna, anna.password)
            j.shot(page, "password-set")

    # --- 2. Sign in to identity; two-factor sign-in under My account ----------------------------

    def test_03_sign_in_to_my_account(self, journey: Journey) -> None:
        with journey.stage("03-my-account", needs=("02-set-password",)) as j:
            anna, t = j.person("first"), j.t
            page = j.page("first")
            page.get_by_role("link", name=exact(t["login.title"])).click()
            wait_for_path(page, "/login")
            page.get_by_label(t["field.email"], exact=True).fill(anna.email)
            page.get_by_label(t["field.password"], exact=True).fill(anna.password)
            j.shot(page, "sign-in")
            submit(page, t["login.submit"])
            wait_for_path(page, "/account")
            expect(page.get_by_role("heading", level=1)).to_have_text(t["account.title"])
            expect(page.locator(".success")).to_have_text(
                t["account.signed_in_as"].format(name=anna.full_name)
            )
            expect(page.locator(".details")).to_contain_text(t["account.domain_external"])
            j.shot(page, "my-account")

    def test_04_enrol_authenticator_app(self, journey: Journey) -> None:
        with journey.stage("04-authenticator-app", needs=("03-my-account",)) as j:
            anna, t = j.person("first"), j.t
            page = j.page("first")
            page.get_by_role("link", name=exact(t["mfa.security.title"])).click()
            wait_for_path(page, "/account/security")
            # SMS is past its sunset date (DESIGN §3): the page says so and offers no new number.
            j.shot(page, "security")
            enrol_mobile_device(page, anna, "Annas telefon" if j.language == "sv" else "My phone")
            expect(page.locator("#enrolment-status")).to_have_text(t["mfa.mobile.waiting"])
            j.shot(page, "scan-qr-code")
            scan_enrolment_qr(page, anna)
            # The page sees the registration complete by itself and moves on: the first second
            # factor comes with recovery codes.
            wait_until_registered(page, anna)
            expect(page.locator(".recovery-codes li")).to_have_count(10)
            j.shot(page, "recovery-codes")

    def test_05_enrol_security_key(self, journey: Journey) -> None:
        with journey.stage("05-security-key", needs=("04-authenticator-app",)) as j:
            anna, t = j.person("first"), j.t
            page = j.page("first")
            add_virtual_security_key(page, anna)
            page.get_by_role("link", name=exact(t["mfa.security.title"])).click()
            # Managing second factors needs one now: identity asks for the app first.
            wait_for_path(page, "/login/second-factor")
            second_factor(page, anna, "mobile_app_push", shoot=lambda step: j.shot(page, step))
            wait_for_path(page, "/account/security")
            page.get_by_role("link", name=exact(t["mfa.webauthn.add"])).click()
            wait_for_path(page, "/account/security/security-keys/new")
            key_name = "Nyckel på jobbet" if j.language == "sv" else "Work key"
            page.get_by_label(t["mfa.field.key_name"], exact=True).fill(key_name)
            j.shot(page, "add-security-key")
            page.get_by_role("button", name=exact(t["mfa.webauthn.register"])).click()
            expect(page.get_by_role("heading", level=1)).to_have_text(t["mfa.enrolled.title"])
            expect(page.get_by_role("status")).to_contain_text(key_name)
            assert len(security_key_credentials(anna)) == 1
            # From now on the sign-in page offers the passkey; Anna signs in otherwise.
            touch_security_key(anna, touched=False)
            j.shot(page, "security-key-added")
            page.get_by_role("link", name=exact(t["mfa.security.title"])).click()
            expect(page.locator(".factor-name")).to_have_count(2)
            j.shot(page, "second-factors")

    # --- 3. The registry: log in with password and the app (PIN and number) -------------------

    def test_06_registry_start_page(self, journey: Journey) -> None:
        """TRACES' start page: a green "Log in" button in the middle."""
        with journey.stage("06-registry-start", needs=("05-security-key",)) as j:
            anna = j.person("first")
            page = j.page("first")
            sign_out_of_identity(page, j.system.identity_url, anna)  # a new day
            page.goto(f"{j.system.registry_url}/")
            expect(page.get_by_role("heading", level=1)).to_have_text(anna.r["start.title"])
            expect(page.get_by_role("link", name=exact(anna.r["start.login"]))).to_be_visible()
            j.shot(page, "registry-start")

    def test_07_log_in_to_registry(self, journey: Journey) -> None:
        """Log in → identity asks for the password and a second factor (the app: the browser
        shows a number, the app asks for it and the PIN) → back in the registry."""
        with journey.stage("07-registry-login", needs=("06-registry-start",)) as j:
            anna, registry = j.person("first"), j.system.registry_url
            page = j.page("first")
            log_in_to_registry(
                page, j.system, anna, "mobile_app_push", shoot=lambda step: j.shot(page, step)
            )
            j.shot(page, "registry-signed-in")
            weak = [
                cookie["name"]
                for cookie in page.context.cookies(registry)
                if not (cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Lax")
            ]
            assert not weak, f"registry cookies without Secure/HttpOnly/SameSite: {weak}"

    # --- 4–10. Request authorisation, operators, approvals -----------------------------------

    def test_08_request_authorisation(self, journey: Journey) -> None:
        """No role yet: "You currently have no role that gives access", the four kinds of
        organisation, and the personal information read from identity."""
        with journey.stage("08-request-authorisation", needs=("07-registry-login",)) as j:
            anna = j.person("first")
            page, r = j.page("first"), anna.r
            wait_for_path(page, "/request-authorisation")
            expect(page.get_by_role("heading", level=1)).to_have_text(r["request.title"])
            expect(page.locator("#notice")).to_have_text(r["notice.no_role"])
            kinds = page.locator("#organisation-kinds a")
            expect(kinds).to_have_text([r[f"kind.{kind}"] for kind in ORGANISATION_KINDS])
            expect(page.locator("#full-name")).to_have_text(anna.full_name)
            expect(page.locator("#domain")).to_have_text(r["personal.domain_external"])
            expect(page.locator("#username")).to_have_text(anna.email)
            j.shot(page, "request-authorisation")
            page.get_by_role("link", name=exact(r["kind.operator"])).click()
            wait_for_path(page, "/request-authorisation/operator")

    def test_09_search_operator(self, journey: Journey) -> None:
        """Country Sweden (SE), free text → not found → "Create a new operator" is offered."""
        with journey.stage("09-search-operator", needs=("08-request-authorisation",)) as j:
            anna = j.person("first")
            page, r = j.page("first"), anna.r
            expect(page.get_by_role("heading", level=1)).to_have_text(r["search.title"])
            page.get_by_label(r["field.country"], exact=True).select_option("SE")
            page.get_by_label(r["search.text"], exact=True).fill(j.operator_name)
            j.shot(page, "select-operator")
            submit(page, r["search.submit"])
            expect(page.locator("#no-results")).to_have_text(r["search.none"])
            expect(page.locator("#create-operator")).to_have_text(r["operator.new.title"])
            j.shot(page, "no-operator-found")

    def test_10_create_operator(self, journey: Journey) -> None:
        """Create a new operator: name, address, phone and e-mail, the organisation number as
        national registration number, one activity (Plants → EUPO) at the main address →
        Create → "Send application for approval" → pending."""
        with journey.stage("10-create-operator", needs=("09-search-operator",)) as j:
            anna = j.person("first")
            page, r = j.page("first"), anna.r
            page.locator("#create-operator").click()
            wait_for_path(page, "/request-authorisation/operator/new")
            expect(page.get_by_label(labelled(r["field.operator_name"]))).to_have_value(
                j.operator_name
            )
            address = page.locator("#addresses")
            address.get_by_label(labelled(r["field.street"])).fill("Storgatan 12")
            address.get_by_label(labelled(r["field.postal_code"])).fill("211 22")
            address.get_by_label(labelled(r["field.city"])).fill("Malmö")
            contacts = page.locator("#contacts")
            contacts.get_by_label(labelled(r["field.phone"])).fill("+46 40 123 45 67")
            contacts.get_by_label(labelled(r["field.email"])).fill(anna.email)
            identifier = page.locator("#identifiers").get_by_label(
                labelled(r["field.identifier_value"])
            )
            identifier.fill(j.organisation_number)
            page.locator("#activity").get_by_label(labelled(r["field.chapter"])).select_option(
                "plant_health"
            )
            submit(page, r["operator.refresh"])
            activity = page.locator("#activity")
            activity.get_by_label(labelled(r["field.section"])).select_option("EUPO")
            activity.get_by_label(labelled(r["field.activity"])).select_option("EUPO")
            activity.get_by_label(labelled(r["field.identification_code"])).fill(
                j.organisation_number
            )
            today = datetime.now(UTC).date().isoformat()
            activity.get_by_label(labelled(r["field.valid_from"])).fill(today)
            j.shot(page, "new-operator")
            page.locator("#create").click()
            page.wait_for_load_state()
            expect(page.get_by_role("heading", level=1)).to_have_text(
                r["apply.title"].format(name=j.operator_name)
            )
            page.get_by_label(labelled(r["field.message"])).fill(
                "Vi importerar äpplen." if j.language == "sv" else "We import apples."
            )
            j.shot(page, "send-application")
            submit(page, r["apply.submit"])
            wait_for_path(page, "/request-authorisation")
            expect(page.locator("#done")).to_have_text(r["done.operator_created"])
            expect(page.locator("#notice")).to_have_text(r["notice.pending"])
            expect(page.locator("#roles")).to_contain_text(j.operator_name)
            j.shot(page, "pending")

    def test_11_authority_validates(self, journey: Journey) -> None:
        """The Swedish Board of Agriculture's import control validates the new operator, then
        its first user (Actors → Users → Search pending applications → tick → Save changes)."""
        with journey.stage("11-authority-validates", needs=("10-create-operator",)) as j:
            ingrid = j.person("authority")
            provision_with_authenticator_app(j.system, ingrid)
            add_registry_administrator(j.system, ingrid, "SE-SJV-IEK")
            page, r = j.page("authority"), ingrid.r
            log_in_to_registry(page, j.system, ingrid, "totp")
            registry_menu(page, r["authority.title"])
            waiting = page.locator("#waiting-operators")
            expect(waiting).to_contain_text(j.operator_name)
            j.shot(page, "operators-to-validate")
            waiting.get_by_role("link", name=exact(j.operator_name)).click()
            j.shot(page, "operator")
            submit(page, r["decide.validate_operator"])
            expect(page.locator("#done")).to_have_text(r["done.operator_validated"])
            expect(page.locator("#operator-status")).to_have_text(r["status.valid"])
            approve_pending_application(j, ingrid, applicant=j.person("first"), shoot=True)

    def test_12_approval_email(self, journey: Journey) -> None:
        """An e-mail tells the user; the first approved user is the operator's administrator."""
        with journey.stage("12-approval-email", needs=("11-authority-validates",)) as j:
            anna = j.person("first")
            subject = {"sv": "har godkänts", "en": "has been approved"}[j.language]
            (message,) = j.system.mailbox.wait_for(to=anna.email, subject_contains=subject)
            assert j.operator_name in message.subject, message.subject
            page, r = j.page("first"), anna.r
            page.goto(f"{j.system.registry_url}/profile")
            roles = page.locator("#roles")
            expect(roles).to_contain_text(j.operator_name)
            expect(roles).to_contain_text(r["role.administrator"])
            j.shot(page, "approved-administrator")

    def test_13_second_user_requests(self, journey: Journey) -> None:
        """A colleague finds the operator, ticks it → Request authorisation → Send."""
        with journey.stage("13-second-user-requests", needs=("12-approval-email",)) as j:
            bertil = j.person("second")
            provision_with_authenticator_app(j.system, bertil)
            page, r = j.page("second"), bertil.r
            log_in_to_registry(page, j.system, bertil, "totp")
            page.get_by_role("link", name=exact(r["kind.operator"])).click()
            page.get_by_label(r["search.text"], exact=True).fill(j.operator_name)
            submit(page, r["search.submit"])
            results = page.locator("#results")
            expect(results).to_contain_text(j.operator_name)
            page.get_by_label(r["search.pick_one"].format(name=j.operator_name)).check()
            j.shot(page, "operator-found")
            page.locator("#request-authorisation").click()
            page.wait_for_load_state()
            expect(page.get_by_role("heading", level=1)).to_have_text(
                r["apply.title"].format(name=j.operator_name)
            )
            page.get_by_label(r["field.phone"]).fill("+46 70 123 45 67")
            j.shot(page, "send-application")
            submit(page, r["apply.submit"])
            wait_for_path(page, "/request-authorisation")
            expect(page.locator("#done")).to_have_text(r["done.sent"])
            expect(page.locator("#notice")).to_have_text(r["notice.pending"])
            j.shot(page, "pending")

    def test_14_administrator_approves(self, journey: Journey) -> None:
        """The administrator: Actors → Users → Search pending applications → the colleague →
        green check → Save changes (cannot be un-ticked) → the person icon: administrator too."""
        with journey.stage("14-administrator-approves", needs=("13-second-user-requests",)) as j:
            anna, bertil = j.person("first"), j.person("second")
            page, r = j.page("first"), anna.r
            role_id = approve_pending_application(j, anna, applicant=bertil, shoot=True)
            saved = page.locator(f"#approve-{role_id}")
            expect(saved).to_be_checked()
            expect(saved).to_be_disabled()
            page.locator(f"#admin-{role_id}").get_by_role("button").click()
            page.wait_for_load_state()
            expect(page.locator("#done")).to_have_text(r["done.admin_granted"])
            expect(page.locator(f"#role-{role_id}")).to_contain_text(r["role.administrator"])
            j.shot(page, "two-administrators")

    def test_15_request_responsible_for_load(self, journey: Journey) -> None:
        """Edit your profile → Request new role → Responsible for the load, naming the border
        control post in Gothenburg."""
        with journey.stage("15-responsible-for-load", needs=("12-approval-email",)) as j:
            anna = j.person("first")
            page, r = j.page("first"), anna.r
            page.goto(f"{j.system.registry_url}/")
            page.get_by_role("link", name=re.compile(re.escape(anna.email))).click()
            wait_for_path(page, "/profile")
            expect(page.get_by_role("heading", level=1)).to_have_text(r["profile.title"])
            page.locator("#request-new-role").click()
            wait_for_path(page, "/profile/new-role")
            j.shot(page, "request-new-role")
            page.locator("#request-rfl").click()
            wait_for_path(page, "/profile/new-role/responsible-for-load")
            page.locator("#rfl").get_by_label(r["rfl.operator"]).select_option(
                label=j.operator_name
            )
            page.get_by_label(re.compile(r"\(SEGOT\)")).check()
            j.shot(page, "responsible-for-load")
            submit(page, r["apply.submit"])
            wait_for_path(page, "/profile")
            expect(page.locator("#done")).to_have_text(r["done.sent"])
            expect(page.locator("#roles")).to_contain_text(r["role.responsible_for_load"])
            j.shot(page, "requested")

    def test_16_border_post_approves(self, journey: Journey) -> None:
        """The border control post named in the request approves it."""
        with journey.stage("16-border-post-approves", needs=("15-responsible-for-load",)) as j:
            gustav, anna = j.person("border"), j.person("first")
            provision_with_authenticator_app(j.system, gustav)
            add_registry_administrator(j.system, gustav, "SEGOT")
            page = j.page("border")
            log_in_to_registry(page, j.system, gustav, "totp")
            approve_pending_application(j, gustav, applicant=anna, shoot=True)
            subject = {"sv": "har godkänts", "en": "has been approved"}[j.language]
            j.system.mailbox.wait_for(to=anna.email, subject_contains=subject, count=2)
            mine = j.page("first")
            mine.goto(f"{j.system.registry_url}/profile")
            expect(mine.locator("#roles")).to_contain_text(anna.r["role.responsible_for_load"])
            j.shot(mine, "responsible-for-load-approved")

    # --- 12. Daily sign-in with the app's QR code and with the security key --------------------

    def test_17_sign_in_with_app_qr_code(self, journey: Journey) -> None:
        """Log out; log in again with the app's QR code: the app scans it (offline) and shows a
        one-time password, typed in the browser."""
        with journey.stage("17-sign-in-app-qr", needs=("07-registry-login",)) as j:
            anna = j.person("first")
            page = j.page("first")
            log_out_of_registry(page, j.system, anna)
            j.shot(page, "logged-out")
            log_in_to_registry(
                page, j.system, anna, "mobile_app_qr", shoot=lambda step: j.shot(page, step)
            )
            expect(page.get_by_role("navigation", name=anna.r["nav.main"])).to_contain_text(
                anna.email
            )
            j.shot(page, "signed-in-with-qr")

    def test_18_sign_in_with_security_key(self, journey: Journey) -> None:
        """Log out; log in again with the security key (phishing-resistant)."""
        with journey.stage("18-sign-in-security-key", needs=("07-registry-login",)) as j:
            anna = j.person("first")
            page = j.page("first")
            log_out_of_registry(page, j.system, anna)
            log_in_to_registry(
                page, j.system, anna, "webauthn", shoot=lambda step: j.shot(page, step)
            )
            expect(page.get_by_role("navigation", name=anna.r["nav.main"])).to_contain_text(
                anna.email
            )
            j.shot(page, "signed-in-with-key")

    # --- 13. Five wrong passwords block the account; a new password unblocks it ---------------

    def test_19_five_wrong_passwords_block(self, journey: Journey) -> None:
        with journey.stage("19-blocked", needs=("03-my-account",)) as j:
            anna, t = j.person("first"), j.t
            page = j.page("first")
            sign_out_of_identity(page, j.system.identity_url, anna)
            for attempt in range(1, 6):
                password_step(page, anna, password=f"Fel#lösenord{attempt}X")
                expect(page.locator("#password-error")).to_have_text(t["error.credentials_wrong"])
                # What was typed stays: the e-mail is still filled in.
                expect(page.get_by_label(t["field.email"], exact=True)).to_have_value(anna.email)
            j.shot(page, "fifth-wrong-password")
            # Blocked: a wrong password still gets the same answer as before...
            password_step(page, anna, password="Fel#lösenord6X")
            expect(page.locator("#password-error")).to_have_text(t["error.credentials_wrong"])
            expect(page.locator("#blocked-help")).to_have_count(0)
            # ...and the right one is refused too, but its owner is told why and the way out.
            password_step(page, anna)
            expect(page.locator("#password-error")).to_have_text(t["error.account_blocked"])
            expect(page.locator("#blocked-help").get_by_role("link")).to_have_attribute(
                "href", "/password/forgot"
            )
            j.shot(page, "blocked-right-password")
            assert path_of(page) == "/login"
            blocked = j.system.mailbox.wait_for(
                to=anna.email, subject_contains={"sv": "spärrats", "en": "blocked"}[j.language]
            )
            assert blocked, "no e-mail says the account is blocked"

    def test_20_new_password_unblocks(self, journey: Journey) -> None:
        with journey.stage("20-reset", needs=("19-blocked",)) as j:
            anna, t = j.person("first"), j.t
            page = j.page("first")
            page.get_by_role("link", name=exact(t["login.forgot"])).click()
            wait_for_path(page, "/password/forgot")
            page.get_by_label(t["field.email"], exact=True).fill(anna.email)
            j.shot(page, "forgot-password")
            submit(page, t["forgot.submit"])
            expect(page.get_by_role("heading", level=1)).to_have_text(t["forgot.sent.title"])
            j.shot(page, "link-sent")
            subject = {"sv": "Återställ", "en": "Reset"}[j.language]
            (message,) = j.system.mailbox.wait_for(to=anna.email, subject_contains=subject)
            page.goto(link_to(message, "/password/set"))
            j.shot(page, "new-password")
            set_password(page, anna, NEW_PASSWORD)
            page.get_by_role("link", name=exact(t["login.title"])).click()
            password_step(page, anna)
            step_up_if_asked(page, anna)
            wait_for_path(page, "/account")
            expect(page.get_by_role("heading", level=1)).to_have_text(t["account.title"])
            j.shot(page, "signed-in-again")
