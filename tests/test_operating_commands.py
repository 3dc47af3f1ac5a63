"""Operating commands a newcomer and operations staff run (issue 14, point 5): help for every
command, one clear line for a wrong invocation or a missing setting (never a traceback), an e-mail
address where a person has one, and `make demo`'s example data made through them."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import psycopg
import pyotp
import pytest

from gatehouse_devstack.demo import PASSWORD, DemoData, load_demo_data
from gatehouse_devstack.stack import (
    PORT_SETTINGS,
    SERVICE_MODULES,
    Stack,
    StackOptions,
    free_ports,
)
from gatehouse_identity.__main__ import _parser as identity_parser
from gatehouse_notifier.__main__ import _parser as notifier_parser
from gatehouse_registry.__main__ import _parser as registry_parser

pytestmark = pytest.mark.stack

SERVICES = ("identity", "registry", "notifier")


def _run(
    module: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _one_clear_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got:\n{done.stderr}"
    return lines[0]


def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, ...]]:
    """Every command path of a parser tree: (), ("clients",), ("clients", "create"), …"""
    yield path
    for action in parser._actions:  # argparse keeps subcommands here and nowhere public
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, (*path, name))


PARSERS = {"identity": identity_parser, "registry": registry_parser, "notifier": notifier_parser}


@pytest.mark.parametrize("service", SERVICES)
def test_every_command_has_help(service: str, capsys: pytest.CaptureFixture[str]) -> None:
    parser = PARSERS[service]()
    paths = list(_commands(parser))
    assert len(paths) > 2
    for path in paths:
        with pytest.raises(SystemExit) as leaving:
            parser.parse_args([*path, "--help"])
        assert leaving.value.code == 0
        shown = capsys.readouterr().out
        assert shown.startswith("usage: "), (path, shown)
        assert all(word in shown for word in path), (path, shown)


def test_identity_help_names_every_command_group() -> None:
    shown = _run("gatehouse_identity", "--help").stdout
    for group in ("migrate", "serve", "clients", "keys", "users"):
        assert group in shown, shown


@pytest.mark.parametrize(
    ("service", "args", "says"),
    [
        ("identity", ("nonsense",), "invalid choice"),
        ("identity", ("clients", "show"), "client_id"),
        (
            "identity",
            (
                "users",
                "invite",
                "--email",
                "not-an-address",
                "--first-name",
                "A",
                "--last-name",
                "B",
            ),
            "--email",
        ),
        ("registry", ("add-administrator", "--organization-code", "SE-SJV-IEK"), "--email"),
        ("notifier", ("messages", "retry"), "id"),
    ],
)
def test_a_wrong_invocation_is_one_line_naming_the_help(
    service: str, args: tuple[str, ...], says: str
) -> None:
    line = _one_clear_line(_run(f"gatehouse_{service}", *args))
    assert says in line, line
    assert "--help" in line, line


def test_a_missing_setting_is_one_line_naming_it() -> None:
    # As run by hand beside `make run` before: no settings, not in development mode.
    env = dict.fromkeys(("GATEHOUSE_ENVIRONMENT", "OIDC_CLIENT_SECRET", "DATABASE_URL"), "")
    env["GATEHOUSE_ENVIRONMENT"] = "production"
    line = _one_clear_line(
        _run(
            "gatehouse_registry",
            "add-administrator",
            "--email",
            "a@example.se",
            "--organization-code",
            "SE-SJV-IEK",
            env=env,
        )
    )
    assert "OIDC_CLIENT_SECRET" in line, line
    assert "make manage" in line, line


def test_manage_says_when_nothing_runs(tmp_path: Path) -> None:
    (port,) = free_ports(1)  # not 55432: someone's `make run` may be using it
    line = _one_clear_line(
        _run(
            "gatehouse_devstack.cli",
            "manage",
            "registry",
            "migrate",
            "--root",
            str(tmp_path),
            env={"POSTGRES_PORT": str(port)},
        )
    )
    assert "make run" in line, line


def test_manage_finds_the_databases_of_make_run_on_an_external_server(
    stack: Stack, tmp_path: Path
) -> None:
    """With DATABASE_URL, `make run` names its databases after its run (gh_<run>_<service>, so
    that runs sharing a server do not meet); `make manage` made up a run of its own and found
    no database. The session stack's servers play the external ones; the services are
    stand-ins, the command is the real one."""
    server = stack.postgres.database_url("postgres") if stack.postgres else None
    env = {
        "DATABASE_URL": server or os.environ["DATABASE_URL"],
        "NATS_URL": stack.nats_url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": stack.env_for("notifier")["SMTP_PORT"],
    }
    variables = [variable for variable, _, _ in PORT_SETTINGS.values()]
    env |= dict(zip(variables, map(str, free_ports(len(variables))), strict=True))
    stand_ins = dict.fromkeys(SERVICE_MODULES, "gatehouse_devstack.stub_service")
    options = StackOptions.development(tmp_path, env=env)
    make_run = Stack(replace(options, service_modules=stand_ins))
    manage = ("gatehouse_devstack.cli", "manage", "--root", str(tmp_path), "notifier", "migrate")
    make_run.start()
    try:
        done = _run(*manage, env=env)
        assert done.returncode == 0, done.stderr
        with psycopg.connect(make_run.database_urls["notifier"]) as database:
            migrated = database.execute("SELECT to_regclass('alembic_version')").fetchone()
        assert migrated == ("alembic_version",)
    finally:
        make_run.stop()
    assert "make run" in _one_clear_line(_run(*manage, env=env))


@pytest.fixture(scope="module")
def demo(stack: Stack) -> DemoData:
    return load_demo_data(stack)


def test_add_administrator_takes_an_email_address(stack: Stack, demo: DemoData) -> None:
    emma = demo.person("emma")
    done = _run(
        "gatehouse_registry",
        "add-administrator",
        "--email",
        emma.email.upper(),
        "--organization-code",
        "SEMMA",
        env=stack.env_for("registry"),
    )
    assert done.returncode == 0, done.stderr
    assert emma.full_name in done.stdout
    assert "SEMMA" in done.stdout
    unknown = _one_clear_line(
        _run(
            "gatehouse_registry",
            "add-administrator",
            "--email",
            "nobody@example.se",
            "--organization-code",
            "SEMMA",
            env=stack.env_for("registry"),
        )
    )
    assert "nobody@example.se" in unknown
    wrong_code = _one_clear_line(
        _run(
            "gatehouse_registry",
            "add-administrator",
            "--email",
            emma.email,
            "--organization-code",
            "NO-SUCH",
            env=stack.env_for("registry"),
        )
    )
    assert "NO-SUCH" in wrong_code


def test_demo_people_sign_in_with_the_printed_password_and_app_code(
    stack: Stack, demo: DemoData
) -> None:
    assert {person.key for person in demo.people} >= {"ingrid", "gustav", "olof", "per", "emma"}
    assert any("Nordfrukt Import AB" in line for line in demo.operators)
    with httpx.Client(base_url=stack.identity_url, timeout=30) as identity:
        for person in demo.people:
            session = identity.post(
                "/api/v1/sessions", json={"email": person.email, "password": PASSWORD}
            )
            assert session.status_code == 201, (person.email, session.text)
            token = session.json()["session_token"]
            answered = identity.post(
                "/api/v1/sessions/current/second-factor",
                # The next time step: the demo's enrolment may have spent the current one.
                json={
                    "method": "totp",
                    "code": pyotp.TOTP(person.totp_secret).at(time.time() + 30),
                },
                headers={"Authorization": f"Bearer {token}"},
            )
            assert answered.status_code == 200, (person.email, answered.text)
    # Made once: a second call finds what the first made.
    assert load_demo_data(stack) == demo
