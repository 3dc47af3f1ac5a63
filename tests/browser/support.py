"""What the browser tests share: the browser's settings, the page texts, screenshots, axe-core,
and the steps a person takes on identity's pages (sign up, set the password, sign in with each
second factor, enrol the authenticator app and a security key).

Everything here acts through the pages as a user would: it fills labelled fields and presses the
buttons the catalogs name. The only things done outside the browser are what the manual does
outside it too: reading the e-mail, and the phone (the reference authenticator app in
tools/authenticator, which reads the QR code shown on the page).
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, CDPSession, Page, expect
from stdnum.se import orgnr

import gatehouse_identity
import gatehouse_registry
from gatehouse_authenticator import Authenticator, DeviceStore, PendingRequest
from gatehouse_authenticator.camera import png_from_data_uri, read_qr
from gatehouse_devstack.mailbox_client import MailboxClient, Message, links
from gatehouse_devstack.stack import Stack

CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LANGUAGES = ("sv", "en")
LOCALES = {"sv": "sv-SE", "en": "en-GB"}
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 667}
TIMEOUT_MS = 15_000
PASSWORD = "Tullverket#2025kod"
NEW_PASSWORD = "Gransposten!2026ny"
SERIOUS_IMPACTS = ("serious", "critical")

_axe = Axe()


IDENTITY_CATALOGS = Path(gatehouse_identity.__file__).parent / "i18n"
REGISTRY_CATALOGS = Path(gatehouse_registry.__file__).parent / "web" / "i18n"


@cache
def _catalog(directory: Path, language: str) -> dict[str, str]:
    path = directory / f"{language}.json"
    found: dict[str, str] = json.loads(path.read_text("utf-8")) if path.exists() else {}
    return found


def texts(language: str) -> dict[str, str]:
    """Identity's page texts in `language` (the catalogs the pages are rendered from)."""
    return _catalog(IDENTITY_CATALOGS, language)


def registry_texts(language: str) -> dict[str, str]:
    """The registry's page texts in `language` (empty while it has no catalog)."""
    return _catalog(REGISTRY_CATALOGS, language)


def exact(text: str) -> re.Pattern[str]:
    """A pattern matching `text` exactly (for accessible names that may contain regex signs)."""
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


def labelled(text: str) -> re.Pattern[str]:
    """A label's text exactly, with or without the asterisk of a required field."""
    return re.compile(rf"^\s*{re.escape(text)}(\s*\*)?\s*$")


def unique_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.se"


@dataclass
class SystemUnderTest:
    """The running stack as a browser sees it (public URLs on localhost) and its mailbox."""

    stack: Stack
    mailbox: MailboxClient

    @property
    def identity_url(self) -> str:
        return self.stack.env_for("identity")["PUBLIC_URL"].rstrip("/")

    @property
    def registry_url(self) -> str:
        return self.stack.env_for("registry")["PUBLIC_URL"].rstrip("/")


class ScreenshotFolder:
    """test-artifacts/screenshots/<language>/NN-step.png"""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cleared: set[str] = set()

    def folder(self, language: str) -> Path:
        folder = self.root / language
        if language not in self._cleared:  # a run's screenshots only, none left from earlier runs
            folder.mkdir(parents=True, exist_ok=True)
            for old in folder.glob("*.png"):
                old.unlink()
            self._cleared.add(language)
        return folder

    def take(self, page: Page, language: str, name: str) -> Path:
        path = self.folder(language) / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


# --- what a page must be ----------------------------------------------------------------------

PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
# Pieces shorter than this (between {placeholders}) are too common to prove anything.
MIN_FRAGMENT = 4


def english_only_fragments(english: dict[str, str], swedish: dict[str, str]) -> dict[str, str]:
    """Fragment → catalog key, for every English text that is not also the Swedish one."""
    swedish_values = set(swedish.values())
    found: dict[str, str] = {}
    for key, value in english.items():
        if swedish.get(key) == value or value in swedish_values:
            continue
        for piece in PLACEHOLDER.split(value):
            fragment = piece.strip(" .,:;()\"'–-")
            if len(fragment) >= MIN_FRAGMENT and not any(
                fragment in text for text in swedish_values
            ):
                found[fragment] = key
    return found


# Words of English grammar that are not Swedish words (so names and addresses do not trip it).
ENGLISH_WORDS = frozenset(
    [
        "the",
        "is",
        "are",
        "was",
        "were",
        "must",
        "should",
        "not",
        "have",
        "has",
        "does",
        "your",
        "you",
        "with",
        "this",
        "that",
        "and",
        "or",
        "of",
        "to",
        "be",
        "at",
        "least",
        "needs",
        "wrong",
        "enter",
        "valid",
        "invalid",
        "please",
        "could",
        "cannot",
        "expired",
        "already",
    ]
)
WORD = re.compile(r"[A-Za-z]+")


def english_sentences(text: str) -> list[str]:
    """Lines with two or more different English function words."""
    found = []
    for line in text.splitlines():
        words = {word.lower() for word in WORD.findall(line)}
        if len(words & ENGLISH_WORDS) >= 2:
            found.append(line.strip()[:120])
    return found


def english_on(text: str, fragments: dict[str, str]) -> list[str]:
    hits = []
    for fragment, key in fragments.items():
        if re.search(rf"(?<!\w){re.escape(fragment)}(?!\w)", text):
            hits.append(f"{key}: {fragment!r}")
    return hits


def untranslated(text: str) -> list[str]:
    """English on a page that should be Swedish: texts of identity's and the registry's English
    catalogs, and English sentences from anywhere else."""
    hits = english_on(text, _catalog_fragments())
    return hits + [repr(line) for line in english_sentences(text)]


@cache
def _catalog_fragments() -> dict[str, str]:
    return {
        **english_only_fragments(texts("en"), texts("sv")),
        **english_only_fragments(registry_texts("en"), registry_texts("sv")),
    }


def serious_axe_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page, one line each."""
    results = _axe.run(page)
    found = []
    for violation in results.response["violations"]:
        if violation.get("impact") in SERIOUS_IMPACTS:
            targets = ", ".join(
                " ".join(str(part) for part in node.get("target", []))
                for node in violation.get("nodes", [])[:5]
            )
            found.append(
                f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}"
            )
    return found


def has_horizontal_scroll(page: Page) -> bool:
    width: bool = page.evaluate(
        "() => document.documentElement.scrollWidth > document.documentElement.clientWidth + 1"
    )
    return width


def visible_text(page: Page) -> str:
    """The text a user sees (and a screen reader reads: alt texts and labels included)."""
    body: str = page.locator("body").inner_text()
    extra: list[str] = page.eval_on_selector_all(
        "[alt], [aria-label], [title], input[type=submit][value], option",
        """elements => elements.map(e =>
            e.getAttribute('alt') || e.getAttribute('aria-label') || e.getAttribute('title')
            || e.getAttribute('value') || e.textContent || '')""",
    )
    return "\n".join([body, *extra])


@dataclass
class PageWatch:
    """Content-Security-Policy violations and script errors seen on a browser context's pages."""

    problems: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        def on_console(message: Any) -> None:
            if message.type == "error" and "Content Security Policy" in message.text:
                self.problems.append(f"CSP: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))

    def take(self) -> list[str]:
        found, self.problems = self.problems, []
        return found


def new_context(browser: Browser, language: str, *, viewport: dict[str, int] | None = None) -> Any:
    """A fresh browser profile speaking `language` (Accept-Language and navigator.language)."""
    context: BrowserContext = browser.new_context(
        locale=LOCALES[language],
        viewport=viewport or DESKTOP,  # type: ignore[arg-type]
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


def wait_for_path(page: Page, path: str | re.Pattern[str], *, timeout: float = 15.0) -> None:
    """Wait until the browser has arrived on `path` (the page may get there by itself)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = path_of(page)
        if (current == path) if isinstance(path, str) else path.search(current):
            page.wait_for_load_state()
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"the browser stayed on {page.url}, expected {path}")


# --- a person and their devices ---------------------------------------------------------------


@dataclass
class Person:
    """Someone following the manual: their account, their browser profile and their phone."""

    first_name: str
    last_name: str
    email: str
    language: str
    password: str = PASSWORD
    pin: str = "4711"
    context: Any = None
    page: Page | None = None
    app: Authenticator = field(default_factory=lambda: Authenticator(DeviceStore()))
    cdp: CDPSession | None = None
    authenticator_id: str | None = None
    totp_secret: str | None = None
    used_totp_steps: set[int] = field(default_factory=set)
    user_id: str | None = None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def t(self) -> dict[str, str]:
        return texts(self.language)

    @property
    def r(self) -> dict[str, str]:
        """The registry's texts in the person's language."""
        return registry_texts(self.language)

    def totp_code(self) -> str:
        """The authenticator app's code for a step later than every step this account has spent:
        identity remembers the last accepted step and refuses it and every earlier one (replay
        protection), and accepts one step either side of now. When the next unspent step is
        more than one step ahead, wait for the clock to catch up rather than be refused."""
        assert self.totp_secret, "the person has no authenticator app"
        while True:
            now = int(time.time() // 30)
            step = max([now, *(spent + 1 for spent in self.used_totp_steps)])
            if step <= now + 1:
                break
            time.sleep((step - 1) * 30 - time.time() + 0.2)
        self.used_totp_steps.add(step)
        return pyotp.TOTP(self.totp_secret).at(step * 30)

    def open(
        self,
        browser: Browser,
        watch: PageWatch | None = None,
        *,
        viewport: dict[str, int] | None = None,
    ) -> Page:
        """The person's browser profile with one tab (kept for the whole journey: the virtual
        security key lives in that tab)."""
        if self.page is None:
            self.context = new_context(browser, self.language, viewport=viewport)
            self.page = self.context.new_page()
            if watch is not None:
                watch.attach(self.page)
        return self.page

    def close(self) -> None:
        if self.context is not None:
            self.context.close()
        self.context, self.page, self.cdp = None, None, None


# --- identity: account ------------------------------------------------------------------------


def fill_signup(page: Page, person: Person) -> None:
    t = person.t
    page.get_by_label(t["field.first_name"], exact=True).fill(person.first_name)
    page.get_by_label(t["field.last_name"], exact=True).fill(person.last_name)
    page.get_by_label(t["field.email"], exact=True).fill(person.email)
    page.get_by_label(t["field.email_confirmation"], exact=True).fill(person.email)
    page.get_by_label(t["field.email_language"], exact=True).select_option(person.language)
    page.get_by_label(t["field.privacy_statement_accepted"]).check()


def submit(page: Page, name: str) -> None:
    page.get_by_role("button", name=exact(name)).click()
    page.wait_for_load_state()


def set_password_link(mailbox: MailboxClient, person: Person, *, after: int = 0) -> str:
    """The set-password link of the newest e-mail to the person (the `after`+1-th of them)."""
    messages = mailbox.wait_for(to=person.email, count=after + 1)
    return link_to(messages[after], "/password/set")


def link_to(message: Message, path: str) -> str:
    for url in links(message):
        if urlsplit(url).path == path:
            return url
    raise AssertionError(f"no link to {path} in the e-mail {message.subject!r}:\n{message.text}")


def set_password(page: Page, person: Person, password: str) -> None:
    t = person.t
    page.get_by_label(t["field.new_password"], exact=True).fill(password)
    page.get_by_label(t["field.password_confirmation"], exact=True).fill(password)
    submit(page, t["password.set.submit"])
    expect(page.get_by_role("heading", level=1)).to_have_text(t["password.set.done_title"])
    person.password = password


def password_step(page: Page, person: Person, password: str | None = None) -> None:
    """On identity's sign-in page: e-mail, password, Sign in."""
    t = person.t
    expect(page.get_by_role("heading", level=1)).to_have_text(t["login.title"])
    page.get_by_label(t["field.email"], exact=True).fill(person.email)
    page.get_by_label(t["field.password"], exact=True).fill(password or person.password)
    submit(page, t["login.submit"])


def sign_out_of_identity(page: Page, identity_url: str, person: Person) -> None:
    page.goto(f"{identity_url}/account")
    if path_of(page) == "/account":
        submit(page, person.t["account.logout"])
    wait_for_path(page, "/login")


# --- identity: second factors -----------------------------------------------------------------


def qr_payload(page: Page, selector: str = "img.qr") -> str:
    """What the phone's camera reads from the QR code the page shows."""
    source = page.locator(selector).get_attribute("src") or ""
    return read_qr(png_from_data_uri(source))


def enrol_mobile_device(page: Page, person: Person, device_name: str) -> None:
    """Add a mobile device → name, PIN twice → QR code → the app scans it and proves the PIN →
    the page sees the registration complete by itself."""
    t = person.t
    page.get_by_role("link", name=exact(t["mfa.mobile.add"])).click()
    page.get_by_label(t["mfa.field.device_name"], exact=True).fill(device_name)
    page.get_by_label(t["mfa.field.pin"], exact=True).fill(person.pin)
    page.get_by_label(t["mfa.field.pin_confirmation"], exact=True).fill(person.pin)
    submit(page, t["mfa.next"])
    expect(page.locator("img.qr")).to_be_visible()


def scan_enrolment_qr(page: Page, person: Person) -> None:
    person.app.enrol(qr_payload(page), pin=person.pin)


def wait_until_registered(page: Page, person: Person) -> None:
    """The enrolment page sees the app's registration and moves on by itself: "Registration
    complete" (with the recovery codes when it is the first second factor)."""
    wait_for_path(page, re.compile(r"^/account/security/mobile-devices/[^/]+/complete$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(person.t["mfa.mobile.complete"])


def add_virtual_security_key(page: Page, person: Person, *, touched: bool = True) -> None:
    """Chromium's virtual WebAuthn authenticator in the person's tab (a platform authenticator
    with user verification: a passkey that needs no touch). `touched`: whether it answers at
    once (see `touch_security_key`)."""
    if person.cdp is None:
        person.cdp = page.context.new_cdp_session(page)
        person.cdp.send("WebAuthn.enable")
        added = person.cdp.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": touched,
                }
            },
        )
        person.authenticator_id = added["authenticatorId"]


def touch_security_key(person: Person, touched: bool) -> None:
    """Whether the virtual authenticator answers requests by itself (a person touching it).

    The sign-in page offers the person's passkeys as autofill (a conditional WebAuthn request,
    issue 18), and Chromium's virtual authenticator answers such a request at once, as if the
    person had picked the passkey. A person who signs in with the password instead is one whose
    authenticator is not touched: then the request stays pending until the page is left."""
    if person.cdp is not None:
        person.cdp.send(
            "WebAuthn.setAutomaticPresenceSimulation",
            {"authenticatorId": person.authenticator_id, "enabled": touched},
        )


def security_key_credentials(person: Person) -> list[dict[str, Any]]:
    assert person.cdp is not None, "the person has no virtual security key"
    assert person.authenticator_id is not None
    found = person.cdp.send("WebAuthn.getCredentials", {"authenticatorId": person.authenticator_id})
    credentials: list[dict[str, Any]] = found["credentials"]
    return credentials


def pending_push(person: Person, *, timeout: float = 15.0) -> PendingRequest:
    """The app's list of active sign-in requests, refreshed until one shows."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        requests = person.app.pending_requests()
        if requests:
            return max(requests, key=lambda request: request.created_at)
        time.sleep(0.2)
    raise AssertionError("the app got no sign-in request")


def approve_push(page: Page, person: Person) -> str:
    """The browser shows a number; the app shows the request → Continue → number and PIN."""
    number = page.locator("#push-number").inner_text().strip()
    request = pending_push(person)
    assert person.app.approve(request, pin=person.pin, number=number) == "approved"
    return number


def choose_method(page: Page, person: Person, method: str) -> None:
    """On 'Choose how to confirm it is you': the method's link."""
    page.get_by_role("link", name=exact(person.t[f"mfa.method.{method}"])).click()
    page.wait_for_load_state()


def answer_app_qr(page: Page, person: Person) -> str:
    """The app scans the page's QR code (offline) and shows a one-time password to type."""
    one_time_password = person.app.one_time_password(qr_payload(page), pin=person.pin)
    page.get_by_label(person.t["mfa.field.code"], exact=True).fill(one_time_password)
    submit(page, person.t["mfa.login.continue"])
    return one_time_password


def second_factor(
    page: Page, person: Person, method: str, *, shoot: Callable[[str], None] | None = None
) -> None:
    """Answer identity's second-factor step with `method`, from the page that lists methods (or
    directly from the method's page when it is the only one)."""
    if path_of(page) == "/login/second-factor":
        if shoot:
            shoot("choose")
        choose_method(page, person, method)
    wait_for_path(page, f"/login/second-factor/{method}")
    if method == "mobile_app_push":
        expect(page.locator("#push-number")).to_be_visible()
        if shoot:
            shoot("push")
        approve_push(page, person)
        # The page polls and continues by itself once the app has approved.
        page.wait_for_url(lambda url: not urlsplit(url).path.startswith("/login/second-factor"))
    elif method == "mobile_app_qr":
        expect(page.locator("img.qr")).to_be_visible()
        if shoot:
            shoot("qr")
        answer_app_qr(page, person)
    elif method == "totp":
        if shoot:
            shoot("authenticator-code")
        page.get_by_label(person.t["mfa.field.code"], exact=True).fill(person.totp_code())
        submit(page, person.t["mfa.login.continue"])
    elif method == "webauthn":
        if shoot:
            shoot("security-key")
        touch_security_key(person, touched=True)
        page.get_by_role("button", name=exact(person.t["mfa.webauthn.use"])).click()
        page.wait_for_url(lambda url: not urlsplit(url).path.startswith("/login/second-factor"))
        touch_security_key(person, touched=False)
    else:
        raise AssertionError(f"no browser steps for {method}")
    page.wait_for_load_state()


def step_up_if_asked(page: Page, person: Person, method: str = "mobile_app_push") -> bool:
    """Identity asks for a second factor before some actions (e.g. adding another factor)."""
    if path_of(page).startswith("/login/second-factor"):
        second_factor(page, person, method)
        return True
    return False


# --- the keyboard only ------------------------------------------------------------------------


def focused_description(page: Page) -> str:
    described: str = page.evaluate(
        """() => { const e = document.activeElement;
                   return e ? `${e.tagName.toLowerCase()}#${e.id} "${(e.innerText || e.value
                   || '').trim().slice(0, 40)}"` : 'nothing'; }"""
    )
    return described


def focus_is_visible(page: Page) -> bool:
    """The focused element shows a focus indicator (an outline or a box shadow)."""
    visible: bool = page.evaluate(
        """() => { const e = document.activeElement; if (!e || e === document.body) return false;
                   const s = getComputedStyle(e);
                   const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
                   return outline || (s.boxShadow && s.boxShadow !== 'none'); }"""
    )
    return visible


def tab_to(page: Page, target: Any, *, max_presses: int = 40) -> None:
    """Press Tab until `target` (a locator) has the focus, and check the focus can be seen."""
    for _ in range(max_presses):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            assert focus_is_visible(page), f"no visible focus on {focused_description(page)}"
            return
    raise AssertionError(f"{max_presses} Tab presses never reached {target}")


def keyboard_type_into(page: Page, target: Any, text: str) -> None:
    tab_to(page, target)
    page.keyboard.type(text)


def keyboard_activate(page: Page, target: Any, key: str = "Enter") -> None:
    """Tab to a link or button and press Enter (or Space). The key goes to the element that has
    the focus already (Playwright's locator.press also waits for the navigation it starts)."""
    tab_to(page, target)
    target.press(key)
    page.wait_for_load_state()


# --- people the journey needs but does not follow: set up as an installation would --------------


def provision_with_authenticator_app(system: SystemUnderTest, person: Person) -> None:
    """An identity account with its password and an authenticator app (TOTP), made through
    identity's JSON API: for people whose own sign-up the journey does not follow (the
    authority's staff, a colleague). The codes come from pyotp, an independent RFC 6238 app."""
    with httpx.Client(base_url=system.stack.identity_url, timeout=30) as client:
        created = client.post(
            "/api/v1/accounts",
            json={
                "first_name": person.first_name,
                "last_name": person.last_name,
                "email": person.email,
                "email_confirmation": person.email,
                "email_language": person.language,
                "privacy_statement_accepted": True,
            },
        )
        assert created.status_code == 202, created.text
        (message,) = system.mailbox.wait_for(to=person.email)
        token = parse_qs(urlsplit(link_to(message, "/password/set")).query)["token"][0]
        done = client.post(
            "/api/v1/password/set", json={"token": token, "password": person.password}
        )
        assert done.status_code == 200, done.text
        session = client.post(
            "/api/v1/sessions", json={"email": person.email, "password": person.password}
        )
        assert session.status_code == 201, session.text
        bearer = {"Authorization": f"Bearer {session.json()['session_token']}"}
        me = client.get("/api/v1/me", headers=bearer)
        person.user_id = me.json()["user_id"]
        started = client.post(
            "/api/v1/me/authenticator-apps", json={"name": "Telefon"}, headers=bearer
        )
        assert started.status_code == 201, started.text
        person.totp_secret = started.json()["secret"]
        confirmed = client.post(
            f"/api/v1/me/authenticator-apps/{started.json()['factor_id']}/confirm",
            json={"code": person.totp_code()},
            headers=bearer,
        )
        assert confirmed.status_code == 200, confirmed.text


def add_registry_administrator(
    system: SystemUnderTest, person: Person, organization_code: str
) -> None:
    """`python -m gatehouse_registry add-administrator`: how operations staff make someone the
    first administrator of an authority (nobody inside the registry can approve that one)."""
    done = subprocess.run(
        [
            sys.executable,
            *("-m", "gatehouse_registry", "add-administrator"),
            *("--organization-code", organization_code, "--email", person.email),
        ],
        env={**os.environ, **system.stack.env_for("registry")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]


def swedish_organisation_number() -> str:
    """A valid, random Swedish organisation number (NNNNNN-NNNN, Luhn check digit)."""
    while True:
        digits = "55" + str(random.randint(2, 9)) + f"{random.randint(0, 999999):06d}"
        for check in range(10):
            if orgnr.is_valid(digits + str(check)):
                return f"{digits[:6]}-{digits[6:]}{check}"


# --- the registry ---------------------------------------------------------------------------


def log_in_to_registry(
    page: Page,
    system: SystemUnderTest,
    person: Person,
    method: str,
    *,
    shoot: Callable[[str], None] | None = None,
) -> None:
    """The start page's "Log in" → identity (password, second factor) → back in the registry."""
    page.goto(f"{system.registry_url}/")
    page.get_by_role("link", name=exact(person.r["start.login"])).click()
    wait_for_path(page, "/login")
    assert page.url.startswith(system.identity_url), page.url
    if shoot:
        shoot("identity-sign-in")
    password_step(page, person)
    second_factor(page, person, method, shoot=shoot)
    page.wait_for_url(lambda url: url.startswith(system.registry_url))
    page.wait_for_load_state()


def log_out_of_registry(page: Page, system: SystemUnderTest, person: Person) -> None:
    """The menu's "Log out": out of the registry and of identity, back on the start page."""
    page.goto(f"{system.registry_url}/")
    page.get_by_role("button", name=exact(person.r["nav.logout"])).click()
    page.wait_for_load_state()
    if page.url.startswith(system.identity_url) and path_of(page) == "/oidc/logout":
        submit(page, person.t["oidc.logout.confirm"])  # identity asks when it cannot tell who
    page.wait_for_url(f"{system.registry_url}/")
    expect(page.get_by_role("link", name=exact(person.r["start.login"]))).to_be_visible()


def registry_menu(page: Page, name: str) -> None:
    """A link of the registry's main menu."""
    page.get_by_role("navigation").get_by_role("link", name=exact(name)).click()
    page.wait_for_load_state()
