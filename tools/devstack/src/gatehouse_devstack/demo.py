"""`make demo`: the running system with example people and operators, so a newcomer can play every
role of the manual in minutes.

Everything is made the way an installation would make it, through the system's own doors:
accounts through identity's JSON API and the e-mailed set-password link (read from the
development mailbox), an authenticator app enrolled through the same API, the authorities' first
administrators with `python -m gatehouse_registry add-administrator`, and the example operators
with `python -m gatehouse_registry load-example-operators`. What was made is saved in
`var/dev/demo.json` (the passwords and app secrets of these example accounts only), so a second
`make demo` prints the same table without making anything again.

The second factor of every example account is an authenticator app (TOTP, RFC 6238): add its
secret to any authenticator app, or ask `make demo-code WHO=<name>` for the current code.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp

from gatehouse_devstack.mailbox_client import MailboxClient, links
from gatehouse_devstack.stack import Stack, StackError

PASSWORD = "Demo#Gatehouse2026"  # noqa: S105 (the example accounts' printed password)
AUTHORITY_CODE = "SE-SJV-IEK"
BORDER_POST_CODE = "SEGOT"


@dataclass(frozen=True)
class DemoPerson:
    """One example account, and the part of the manual it plays."""

    key: str  # short name for `make demo-code WHO=…`
    role: str  # what the newcomer plays with it
    first_name: str
    last_name: str
    email: str
    language: str
    password: str = PASSWORD
    totp_secret: str = ""
    user_id: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def code(self) -> str:
        """The authenticator app's code right now."""
        return pyotp.TOTP(self.totp_secret).now()


PEOPLE = (
    DemoPerson(
        "ingrid",
        "authority user (Jordbruksverket, import control): validates operators and first users",
        "Ingrid",
        "Holm",
        "ingrid.holm@example.se",
        "sv",
    ),
    DemoPerson(
        "gustav",
        "border control post Göteborg (SEGOT): decides 'responsible for the load'",
        "Gustav",
        "Ek",
        "gustav.ek@example.se",
        "sv",
    ),
    DemoPerson(
        "olof",
        "operator administrator of Nordfrukt Import AB and Sydplant Handel AB",
        "Olof",
        "Berg",
        "olof.berg@example.se",
        "sv",
    ),
    DemoPerson(
        "per",
        "colleague waiting for approval at Nordfrukt Import AB",
        "Per",
        "Lund",
        "per.lund@example.se",
        "sv",
    ),
    DemoPerson(
        "emma",
        "importer with an account and no role yet: start the manual at 'Request authorisation'",
        "Emma",
        "Clarke",
        "emma.clarke@example.se",
        "en",
    ),
)


@dataclass(frozen=True)
class DemoData:
    people: tuple[DemoPerson, ...]
    operators: tuple[str, ...]

    def person(self, key: str) -> DemoPerson:
        for person in self.people:
            if key in (person.key, person.email):
                return person
        known = ", ".join(person.key for person in self.people)
        raise StackError(f"no example account {key!r} (there are: {known})")

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        saved = {"people": [asdict(p) for p in self.people], "operators": list(self.operators)}
        path.write_text(json.dumps(saved, indent=2, ensure_ascii=False), "utf-8")

    @classmethod
    def load(cls, path: Path) -> DemoData | None:
        if not path.exists():
            return None
        saved = json.loads(path.read_text("utf-8"))
        people = tuple(DemoPerson(**person) for person in saved["people"])
        return cls(people=people, operators=tuple(saved["operators"]))


def demo_file(stack: Stack) -> Path:
    return stack.options.data_dir / "demo.json"


def load_demo_data(stack: Stack) -> DemoData:
    """The example data, made once on this stack's databases (see the module's docstring)."""
    saved = DemoData.load(demo_file(stack))
    if saved is not None:
        return saved
    if stack.mailbox_url is None:
        raise StackError(
            "make demo reads the set-password e-mails from the development mailbox; "
            "unset SMTP_HOST to use it"
        )
    with (
        httpx.Client(base_url=stack.identity_url, timeout=30) as identity,
        MailboxClient(stack.mailbox_url) as mailbox,
    ):
        people = tuple(_make_account(stack, identity, mailbox, person) for person in PEOPLE)
    made = DemoData(people=people, operators=())
    _registry_command(stack, "add-administrator", "--email", made.person("ingrid").email,
                      "--organization-code", AUTHORITY_CODE)  # fmt: skip
    _registry_command(stack, "add-administrator", "--email", made.person("gustav").email,
                      "--organization-code", BORDER_POST_CODE)  # fmt: skip
    operators = _registry_command(
        stack,
        "load-example-operators",
        *("--authority-email", made.person("ingrid").email),
        *("--administrator-email", made.person("olof").email),
        *("--colleague-email", made.person("per").email),
    ).splitlines()
    data = DemoData(people=people, operators=tuple(operators))
    data.save(demo_file(stack))
    return data


def _make_account(
    stack: Stack, identity: httpx.Client, mailbox: MailboxClient, person: DemoPerson
) -> DemoPerson:
    """Invited by operations, set the password from the e-mailed link, enrol an authenticator
    app (the sign-up page's captcha is for people, so the demo uses the operating command)."""
    _command(stack, "identity", "users", "invite", "--email", person.email,
             "--first-name", person.first_name, "--last-name", person.last_name,
             "--language", person.language)  # fmt: skip
    (message,) = mailbox.wait_for(to=person.email, timeout=60)
    link = next(url for url in links(message) if urlsplit(url).path == "/password/set")
    token = parse_qs(urlsplit(link).query)["token"][0]
    _expect(
        identity.post("/api/v1/password/set", json={"token": token, "password": person.password}),
        200,
        f"setting the password of {person.email}",
    )
    session = identity.post(
        "/api/v1/sessions", json={"email": person.email, "password": person.password}
    )
    _expect(session, 201, f"signing in as {person.email}")
    bearer = {"Authorization": f"Bearer {session.json()['session_token']}"}
    user_id = identity.get("/api/v1/me", headers=bearer).json()["user_id"]
    started = identity.post("/api/v1/me/authenticator-apps", json={"name": "Demo"}, headers=bearer)
    _expect(started, 201, f"adding an authenticator app for {person.email}")
    secret = started.json()["secret"]
    confirmed = identity.post(
        f"/api/v1/me/authenticator-apps/{started.json()['factor_id']}/confirm",
        json={"code": pyotp.TOTP(secret).now()},
        headers=bearer,
    )
    _expect(confirmed, 200, f"confirming the authenticator app of {person.email}")
    identity.delete("/api/v1/sessions/current", headers=bearer)
    return DemoPerson(**{**asdict(person), "totp_secret": secret, "user_id": user_id})


def _expect(response: httpx.Response, status: int, what: str) -> None:
    if response.status_code != status:
        raise StackError(f"make demo: {what} failed ({response.status_code}): {response.text}")


def _registry_command(stack: Stack, *args: str) -> str:
    return _command(stack, "registry", *args)


def _command(stack: Stack, service: str, *args: str) -> str:
    """`python -m gatehouse_<service> …` with the service's settings, as `make manage` runs it."""
    done = subprocess.run(
        [stack.options.python, "-m", f"gatehouse_{service}", *args],
        env={**os.environ, **stack.env_for(service)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise StackError(f"make demo: {service} {args[0]} failed: {done.stderr.strip()[-2000:]}")
    return done.stdout


def describe(data: DemoData, stack: Stack) -> str:
    """The table printed by `make demo`: who to be, and how to sign in as them."""
    lines = [
        "",
        "Example accounts (password for all: " + PASSWORD + ")",
        "Second factor: an authenticator app. Add the secret to any authenticator app, or get",
        "the current code with `make demo-code WHO=<name>` in another terminal.",
        "",
    ]
    for person in data.people:
        lines.append(f"  {person.key:<7} {person.email:<26} {person.role}")
        lines.append(f"  {'':<7} app secret {person.totp_secret}")
    lines += ["", "Example operators:"] + [f"  {line}" for line in data.operators]
    lines += [
        "",
        f"Start at the registry, {stack.env_for('registry')['PUBLIC_URL']}, and press Log in;",
        f"every e-mail the system sends shows up in the mailbox, {stack.mailbox_url}.",
        "",
    ]
    return "\n".join(lines)


def wait_for_current_code(person: DemoPerson) -> str:
    """A code with at least five seconds left, so it is still valid when typed."""
    remaining = 30 - time.time() % 30
    if remaining < 5:
        time.sleep(remaining + 0.1)
    return person.code()
