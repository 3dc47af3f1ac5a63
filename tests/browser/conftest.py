"""Fixtures for the browser suite: Debian's Chromium driven by Playwright, and the whole system
served on http://localhost.

Screenshots of every step land in `test-artifacts/screenshots/<language>/NN-step.png` (the folder
is git-ignored; it is rebuilt by each run of `make test` or of
`.venv/bin/python -m pytest tests/browser`).

Chromium is Debian's package (`/usr/bin/chromium`); Playwright never downloads a browser. When
the package is missing and the tests run as root, the `chromium_path` fixture installs it with
apt-get; otherwise every browser test is skipped with a message that says so.

Browsers refuse an IP address as a WebAuthn relying-party id, so these tests run the stack with
its public URLs on `localhost` (the services still listen on 127.0.0.1; `localhost` resolves
there): a security key registered on http://localhost:<port> is usable for the whole journey,
including the sign-in that the registry starts. The launcher registers the registry as identity's
OIDC client (its post-start hook) with these URLs.

The fixtures here are package-scoped: the stack and the browser start with the first browser test
and stop after the last one, so they do not stay up beside the other tests' stack in `make test`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from gatehouse_devstack.components import ServiceProcess
from gatehouse_devstack.mailbox_client import MailboxClient
from gatehouse_devstack.stack import Stack, StackOptions
from tests.browser.support import CHROMIUM_ARGS, CHROMIUM_PATH, ScreenshotFolder, SystemUnderTest
from tests.browser.tour import PageRecord, record_tour

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
APT_TIMEOUT_S = 900


def _on_localhost(env: Mapping[str, str]) -> dict[str, str]:
    """A service's environment with its public URLs on localhost instead of 127.0.0.1."""
    return {
        key: value.replace("://127.0.0.1:", "://localhost:")
        if key.endswith("PUBLIC_URL")
        else value
        for key, value in env.items()
    }


class LocalhostStack(Stack):
    """The test stack, with every public URL (issuer, redirect URIs, links in e-mails, WebAuthn
    origin) on http://localhost:<port>."""

    def _service_process(self, name: str, service: str, env: dict[str, str]) -> ServiceProcess:
        return super()._service_process(name, service, _on_localhost(env))

    def env_for(self, service: str) -> dict[str, str]:
        return _on_localhost(super().env_for(service))

    @property
    def identity_url(self) -> str:
        # Also what the launcher's hook registers the registry's redirect URIs with.
        return self.env_for("identity")["PUBLIC_URL"].rstrip("/")

    @property
    def registry_url(self) -> str:
        return self.env_for("registry")["PUBLIC_URL"].rstrip("/")


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The running system for browser tests (replaces tests/conftest.py's `stack` here)."""
    with LocalhostStack(StackOptions.testing(tmp_path_factory.mktemp("browser-stack"))) as running:
        yield running


@pytest.fixture(scope="package")
def system(stack: Stack) -> Iterator[SystemUnderTest]:
    if stack.mailbox_url is None:
        pytest.skip("SMTP_HOST is set: mail goes to that server, so the journey cannot read it")
    with MailboxClient(stack.mailbox_url) as mailbox:
        yield SystemUnderTest(stack=stack, mailbox=mailbox)


def _install_chromium() -> str:
    """Install Debian's chromium; returns what went wrong, or "" on success."""
    if os.name != "posix" or os.geteuid() != 0:
        return "not running as root, so apt-get cannot install it"
    if shutil.which("apt-get") is None:
        return "there is no apt-get on this machine"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "chromium"],
    ):
        try:
            done = subprocess.run(
                command, env=env, capture_output=True, text=True, timeout=APT_TIMEOUT_S, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"{' '.join(command)} failed: {error}"
        if done.returncode != 0:
            return f"{' '.join(command)} exited {done.returncode}: {done.stderr.strip()[-500:]}"
    return ""


@pytest.fixture(scope="package")
def chromium_path() -> str:
    """/usr/bin/chromium, installed with apt-get when missing and we are root."""
    if not Path(CHROMIUM_PATH).exists():
        problem = _install_chromium()
        if not Path(CHROMIUM_PATH).exists():
            pytest.skip(
                "BROWSER TESTS SKIPPED: Debian's chromium is not installed at "
                f"{CHROMIUM_PATH} and could not be installed "
                f"({problem or 'no binary after apt-get install'}). "
                "Install it with: apt-get install -y chromium"
            )
    return CHROMIUM_PATH


@pytest.fixture(scope="package")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def chromium(chromium_path: str, playwright_driver: Playwright) -> Iterator[Browser]:
    """One headless Chromium for all browser tests; tests open their own contexts."""
    browser = playwright_driver.chromium.launch(
        executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture(scope="package")
def screenshots() -> ScreenshotFolder:
    return ScreenshotFolder(SCREENSHOTS)


@pytest.fixture(scope="package")
def phone_tour(
    chromium: Browser, system: SystemUnderTest, screenshots: ScreenshotFolder
) -> list[PageRecord]:
    """Every identity page, in Swedish on a 375×667 screen, looked at once for all tests."""
    return record_tour(chromium, system, screenshots)
