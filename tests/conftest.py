"""Fixtures for tests of the whole system, run as real processes by gatehouse_devstack.

`stack` starts embedded PostgreSQL, NATS JetStream, the mailbox and the three services once per
test session (once per worker under pytest-xdist, each on its own free ports). DATABASE_URL,
NATS_URL or SMTP_HOST in the environment point the stack at external servers instead.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator

import pytest

from gatehouse_devstack.mailbox_client import MailboxClient
from gatehouse_devstack.stack import Stack, StackOptions


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The running system. A component that does not start fails the test with its log tail."""
    with Stack(StackOptions.testing(tmp_path_factory.mktemp("stack"))) as running:
        yield running


@pytest.fixture
def mailbox(stack: Stack) -> Iterator[MailboxClient]:
    """The emails the system has sent. Not emptied between tests: use unique addresses."""
    if stack.mailbox_url is None:
        pytest.skip("SMTP_HOST is set: mail goes to that server, so there is no mailbox to read")
    with MailboxClient(stack.mailbox_url) as client:
        yield client


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # A failing system test is diagnosed from the services' logs: say where they are.
    report = yield
    running = getattr(item, "funcargs", {}).get("stack")
    if report.failed and isinstance(running, Stack):
        report.sections.append(("gatehouse stack", f"service logs: {running.logs_dir}"))
    return report
