"""The test harness itself: embedded PostgreSQL, NATS JetStream, the mailbox and the launcher.

None of this needs the Gatehouse services: the launcher is exercised with a stub service that
honours the same environment contract.
"""

from __future__ import annotations

import json
import os
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import httpx
import nats
import psutil
import psycopg
import pytest

from gatehouse_devstack.cli import describe
from gatehouse_devstack.components import MailboxProcess
from gatehouse_devstack.mailbox_client import MailboxClient, links
from gatehouse_devstack.nats import EmbeddedNats, delete_stream, run_coroutine
from gatehouse_devstack.postgres import DatabaseServer, EmbeddedPostgres
from gatehouse_devstack.processes import ComponentError, ProcessComponent
from gatehouse_devstack.stack import (
    PORT_SETTINGS,
    SERVICES,
    Ports,
    Stack,
    StackError,
    StackOptions,
    free_ports,
)
from gatehouse_devstack.supervisor import Supervisor, backoff_delay

STUB_SERVICES = dict.fromkeys(SERVICES, "gatehouse_devstack.stub_service")
EXTERNAL_VARIABLES = ("DATABASE_URL", "NATS_URL", "SMTP_HOST")
WELCOME_SUBJECT = "Välkommen \N{EN DASH} skapa ditt lösenord"  # as the real email says


# --- PostgreSQL ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    [port] = free_ports(1)
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pg") / "data", port, durable=False)
    server.start()
    yield server
    server.stop()


def test_embedded_postgres_answers_queries_over_tcp(postgres: EmbeddedPostgres) -> None:
    assert postgres.server_url == f"postgresql://postgres@127.0.0.1:{postgres.port}"
    url = postgres.create_database("harness_check")
    with psycopg.connect(url) as connection:
        row = connection.execute(
            "SELECT current_database(), inet_server_port(), current_setting('fsync'),"
            " current_setting('max_connections')::int"
        ).fetchone()
    assert row == ("harness_check", postgres.port, "off", 300)
    postgres.drop_database("harness_check")
    assert not DatabaseServer(url).is_reachable()


def test_database_server_creates_and_drops_databases_through_any_url(
    postgres: EmbeddedPostgres,
) -> None:
    # What an external DATABASE_URL gets: the URL names some database on the server.
    server = DatabaseServer(postgres.database_url("postgres"))
    url = server.create_database("gh_harness_identity")
    assert url == postgres.database_url("gh_harness_identity")
    assert server.create_database("gh_harness_identity", exist_ok=True) == url
    with psycopg.connect(url) as still_connected:
        server.drop_database("gh_harness_identity")  # disconnects whoever is still in
        with pytest.raises(psycopg.OperationalError):
            still_connected.execute("SELECT 1")
    assert not DatabaseServer(url).is_reachable()


# --- NATS JetStream ---------------------------------------------------------------------------


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[EmbeddedNats]:
    port, monitor_port = free_ports(2)
    server = EmbeddedNats(tmp_path / "nats", port, monitor_port)
    server.start()
    yield server
    server.stop()


async def test_jetstream_stream_and_durable_consumer_survive_a_restart(
    nats_server: EmbeddedNats,
) -> None:
    connection = await nats.connect(nats_server.url)
    jetstream = connection.jetstream()
    await jetstream.add_stream(name="HARNESS", subjects=["harness.>"])
    await jetstream.publish("harness.one", b"first", headers={"Nats-Msg-Id": "event-1"})
    reader = await jetstream.pull_subscribe("harness.>", durable="reader")
    [first] = await reader.fetch(1, timeout=5)
    assert first.data == b"first"
    await first.ack_sync()
    await connection.close()

    nats_server.restart()

    connection = await nats.connect(nats_server.url)
    jetstream = connection.jetstream()
    await jetstream.publish("harness.two", b"second", headers={"Nats-Msg-Id": "event-2"})
    reader = await jetstream.pull_subscribe("harness.>", durable="reader")
    [second] = await reader.fetch(1, timeout=5)
    assert second.data == b"second"  # the durable consumer remembers what was acknowledged
    assert (await jetstream.stream_info("HARNESS")).state.messages == 2
    await connection.close()

    # Callable from inside a running event loop, as in this test.
    assert delete_stream(nats_server.url, "HARNESS") is True
    assert delete_stream(nats_server.url, "HARNESS") is False


# --- mailbox --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mail_sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailboxProcess]:
    smtp_port, http_port = free_ports(2)
    sink = MailboxProcess(tmp_path_factory.mktemp("mail") / "store", smtp_port, http_port)
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def sink_client(mail_sink: MailboxProcess) -> Iterator[MailboxClient]:
    with MailboxClient(mail_sink.url) as client:
        client.clear()
        yield client


def send_email(smtp_port: int, *, to: str, subject: str, text: str, html: str | None = None) -> str:
    message = EmailMessage()
    message["From"] = "Authentication service <no-reply@gatehouse.localhost>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="gatehouse.localhost")
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp:
        smtp.send_message(message)
    return str(message["Message-ID"])


def test_mailbox_receives_smtp_and_decodes_swedish_text(
    mail_sink: MailboxProcess, sink_client: MailboxClient
) -> None:
    link = "https://identity.test/password/new?token=abc123"
    sent_id = send_email(
        mail_sink.smtp_port,
        to="Anna Svensson <anna.svensson@example.se>",
        subject=WELCOME_SUBJECT,
        text=f"Hej Anna!\n\nVälj ditt lösenord här: {link}.\n",
        html=f'<p>Hej Anna!</p><p><a href="{link}">Välj lösenord</a></p>',
    )

    [message] = sink_client.wait_for(to="anna.svensson@example.se", subject_contains="Välkommen")

    assert message.subject == WELCOME_SUBJECT
    assert message.message_id == sent_id
    assert message.envelope_from == "no-reply@gatehouse.localhost"
    assert message.envelope_recipients == ["anna.svensson@example.se"]
    assert message.text is not None
    assert "Välj ditt lösenord här" in message.text
    assert message.html is not None
    assert f'href="{link}"' in message.html
    assert links(message) == [link]  # without the full stop that ends the sentence
    assert message.header("subject") == WELCOME_SUBJECT


def test_inbox_and_message_pages_escape_what_the_mail_contains(
    mail_sink: MailboxProcess, sink_client: MailboxClient
) -> None:
    send_email(
        mail_sink.smtp_port,
        to="mallory@example.se",
        subject="<script>alert('subject')</script> & co",
        text="Klicka <b>här</b>: https://identity.test/confirm?a=1&b=2\n",
        html="<script>alert('html')</script>",
    )
    [message] = sink_client.wait_for(to="mallory@example.se")

    inbox = httpx.get(f"{mail_sink.url}/").text
    assert "&lt;script&gt;alert(&#x27;subject&#x27;)&lt;/script&gt; &amp; co" in inbox
    assert "<script>" not in inbox
    page = httpx.get(f"{mail_sink.url}/messages/{message.id}").text
    assert "Klicka &lt;b&gt;här&lt;/b&gt;" in page
    link = "https://identity.test/confirm?a=1&amp;b=2"
    assert f'<a href="{link}">{link}</a>' in page
    assert "<script>" not in page
    html_view = httpx.get(f"{mail_sink.url}/messages/{message.id}/html")
    assert html_view.headers["content-security-policy"] == "sandbox"


def test_mailbox_keeps_messages_across_a_restart_until_emptied(
    mail_sink: MailboxProcess, sink_client: MailboxClient
) -> None:
    send_email(mail_sink.smtp_port, to="erik@example.se", subject="Kod: 123456", text="123456")
    sink_client.wait_for(to="erik@example.se")

    mail_sink.restart()

    assert [m.subject for m in sink_client.messages()] == ["Kod: 123456"]
    sink_client.clear()
    assert sink_client.messages() == []


def test_wait_for_times_out_saying_what_did_arrive(
    mail_sink: MailboxProcess, sink_client: MailboxClient
) -> None:
    send_email(mail_sink.smtp_port, to="karin@example.se", subject="Hej Karin", text="Hej")
    sink_client.wait_for(to="karin@example.se")

    with pytest.raises(TimeoutError, match=r"found 0\. Mailbox holds:\n  karin@example.se: Hej"):
        sink_client.wait_for(to="nobody@example.se", timeout=0.3)


# --- the launcher, with stub services ---------------------------------------------------------


@pytest.fixture(scope="module")
def stub_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    options = StackOptions.testing(tmp_path_factory.mktemp("stub-stack"), env={})
    with Stack(replace(options, service_modules=STUB_SERVICES)) as stack:
        yield stack


def reported_environment(url: str) -> dict[str, str]:
    response = httpx.get(f"{url}/env", timeout=5)
    response.raise_for_status()
    environment: dict[str, str] = response.json()
    return environment


def test_each_service_gets_its_environment_contract(stub_stack: Stack) -> None:
    for service in SERVICES:
        expected = stub_stack.env_for(service)
        reported = reported_environment(stub_stack.services[service].url)
        assert {name: reported.get(name) for name in expected} == expected

    identity, registry, notifier = (stub_stack.env_for(service) for service in SERVICES)
    assert identity["GATEHOUSE_ENVIRONMENT"] == "test"
    assert identity["CAPTCHA_ENABLED"] == "false"
    assert registry["IDENTITY_GRPC_TARGET"] == stub_stack.identity_grpc_target
    assert notifier["SMTP_PORT"] == str(stub_stack.options.ports.mailbox_smtp)
    assert notifier["GRPC_PORT"] == str(stub_stack.options.ports.notifier_grpc)
    assert identity["NOTIFIER_GRPC_TARGET"] == stub_stack.notifier_grpc_target
    assert len({env["SERVICE_AUTH_SECRET"] for env in (identity, registry, notifier)}) == 1
    assert len({env["SECRET_KEY"] for env in (identity, registry, notifier)}) == 3
    for service, url in stub_stack.database_urls.items():
        assert url.endswith(f"/gatehouse_{service}")
        with psycopg.connect(url) as connection:  # the stub's `migrate` ran there
            assert connection.execute("SELECT count(*) FROM stub_migrations").fetchone() == (1,)
    assert stub_stack.identity_url in describe(stub_stack)


def test_components_can_be_killed_stopped_and_started_again(stub_stack: Stack) -> None:
    identity_ready = f"{stub_stack.identity_url}/readyz"
    stub_stack.kill_component("identity")
    with pytest.raises(httpx.ConnectError):
        httpx.get(identity_ready)
    stub_stack.start_component("identity")
    assert httpx.get(identity_ready).status_code == 200

    stub_stack.stop_component("postgres")
    assert httpx.get(identity_ready).status_code == 503  # the stub checks its database
    stub_stack.start_component("postgres")
    assert httpx.get(identity_ready).status_code == 200

    for name in ("nats", "mailbox", "notifier"):
        stub_stack.kill_component(name)
        assert not stub_stack.component(name).is_running
        stub_stack.start_component(name)
        assert stub_stack.component(name).is_running

    with pytest.raises(StackError, match="no component called 'smtp'"):
        stub_stack.stop_component("smtp")


def test_a_second_notifier_runs_beside_the_first(stub_stack: Stack) -> None:
    replica = stub_stack.start_service_replica("notifier")
    try:
        reported = reported_environment(replica.url)
        assert reported["HTTP_PORT"] != stub_stack.env_for("notifier")["HTTP_PORT"]
        assert reported["DATABASE_URL"] == stub_stack.database_urls["notifier"]
        assert replica.name == "notifier-2"
    finally:
        replica.stop()


def test_external_servers_get_per_run_names_removed_at_stop(
    postgres: EmbeddedPostgres, nats_server: EmbeddedNats, tmp_path: Path
) -> None:
    [unused_smtp_port] = free_ports(1)
    env = {
        "DATABASE_URL": postgres.database_url("postgres"),
        "NATS_URL": nats_server.url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(unused_smtp_port),
    }
    stack = Stack(replace(StackOptions.testing(tmp_path, env=env), service_modules=STUB_SERVICES))
    stack.start()
    try:
        processes = all_processes(stack)
        database_names = [url.rsplit("/", 1)[1] for url in stack.database_urls.values()]
        assert database_names == [f"gh_{stack.run_id}_{service}" for service in SERVICES]
        assert stack.events_stream == f"GH_{stack.run_id.upper()}_EVENTS"
        assert stack.mailbox_url is None
        assert stack.env_for("notifier")["SMTP_PORT"] == str(unused_smtp_port)
        with pytest.raises(StackError, match=r"postgres is an external server \(DATABASE_URL"):
            stack.kill_component("postgres")
        run_coroutine(lambda: add_stream(nats_server.url, stack.events_stream))
    finally:
        stack.stop()

    assert not any(DatabaseServer(url).is_reachable() for url in stack.database_urls.values())
    assert delete_stream(nats_server.url, stack.events_stream) is False  # already deleted
    assert [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE] == []


def all_processes(stack: Stack) -> list[psutil.Process]:
    leaders = [psutil.Process(c.pid) for c in stack.components().values() if c.pid is not None]
    return leaders + [child for leader in leaders for child in leader.children(recursive=True)]


async def add_stream(url: str, name: str) -> None:
    connection = await nats.connect(url)
    await connection.jetstream().add_stream(name=name, subjects=[f"{name.lower()}.>"])
    await connection.close()


def test_a_taken_port_is_reported_with_the_variable_that_changes_it(tmp_path: Path) -> None:
    variables = [variable for variable, _, _ in PORT_SETTINGS.values()]
    env = dict(zip(variables, map(str, free_ports(len(variables))), strict=True))
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", int(env["IDENTITY_HTTP_PORT"])))
        squatter.listen()
        stack = Stack(StackOptions.development(tmp_path, env=env))
        with pytest.raises(StackError, match=r"\(identity web\) is in use.*IDENTITY_HTTP_PORT"):
            stack.start()
    assert stack.components()["postgres"].pid is None  # nothing was started


def test_a_port_variable_must_hold_a_port_number() -> None:
    with pytest.raises(StackError, match="NATS_PORT='nats' is not a TCP port number"):
        Ports.from_environment({"NATS_PORT": "nats"})


# --- make run keeps the system up ---------------------------------------------------------------


def _until(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"no {what} within {timeout} s"
        time.sleep(0.1)


def test_a_killed_service_or_server_is_restarted_and_the_restart_logged(
    stub_stack: Stack,
) -> None:
    said: list[str] = []
    supervisor = Supervisor(stub_stack.components, report=said.append, first_delay_s=0)
    stub_stack.start_service_replica("registry").stop()  # stopped on purpose: left alone
    supervisor.check()  # everything else runs: nothing to do
    supervisor.check()
    assert said == []
    stub_stack.kill_component("identity")
    stub_stack.kill_component("nats")

    def both_back() -> bool:
        supervisor.check()
        return all(stub_stack.component(name).is_running for name in ("identity", "nats"))

    _until(both_back, timeout=60, what="restart")
    assert httpx.get(f"{stub_stack.identity_url}/readyz", timeout=5).status_code == 200
    assert "identity stopped (exit code -9); restarting it in 0 s" in said
    assert any(line.startswith("identity restarted (pid ") for line in said), said
    assert any(line.startswith("nats restarted (pid ") for line in said), said
    log = stub_stack.component("identity").log_path.read_text()
    assert "supervisor: identity restarted" in log


class _Broken(ProcessComponent):
    """A component that never starts (a taken port, a broken build)."""

    name = "broken"

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.attempts = 0
        self.meant_to_run = True  # it ran, then died

    @property
    def is_running(self) -> bool:
        return False

    def start(self) -> None:
        self.attempts += 1
        raise ComponentError("broken exited with code 1 before 200 from /readyz.\n(log tail)")


def test_restarts_back_off_while_a_component_keeps_failing(tmp_path: Path) -> None:
    now = [0.0]
    broken = _Broken(tmp_path / "broken.log")
    said: list[str] = []
    supervisor = Supervisor(
        lambda: {"broken": broken}, report=said.append, clock=lambda: now[0], max_delay_s=8
    )
    attempts_at = []
    while now[0] < 40:
        before = broken.attempts
        supervisor.check()
        if broken.attempts > before:
            attempts_at.append(now[0])
        now[0] += 0.5
    # Waits of 1, 2, 4, then 8 s (the cap) between attempts, never a tight loop.
    assert attempts_at[:6] == [1.0, 3.0, 7.0, 15.0, 23.0, 31.0]
    assert said[0] == "broken stopped (exit code None); restarting it in 1 s"
    assert "broken did not start again (broken exited with code 1" in said[1]
    assert backoff_delay(0, first=1, maximum=60) == 1
    assert backoff_delay(10, first=1, maximum=60) == 60


def test_make_run_restarts_a_service_that_dies(tmp_path: Path) -> None:
    variables = [variable for variable, _, _ in PORT_SETTINGS.values()]
    ports = dict(zip(variables, map(str, free_ports(len(variables))), strict=True))
    env = {key: value for key, value in os.environ.items() if key not in EXTERNAL_VARIABLES}
    launcher = subprocess.Popen(
        [sys.executable, "-m", "gatehouse_devstack.cli", "run", "--root", str(tmp_path)],
        env=env | ports,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(launcher.stdout or ()), daemon=True)
    reader.start()
    try:
        _until(lambda: any("Gatehouse is running" in line for line in lines), timeout=180,
               what="start")  # fmt: skip
        ledger = json.loads((tmp_path / "var" / "dev" / "processes.json").read_text())
        os.killpg(int(ledger["identity"]["pid"]), signal.SIGKILL)
        _until(lambda: any("identity restarted" in line for line in lines), timeout=120,
               what="restart")  # fmt: skip
        readyz = f"http://127.0.0.1:{ports['IDENTITY_HTTP_PORT']}/readyz"
        assert httpx.get(readyz, timeout=10).status_code == 200
        assert any("identity stopped (exit code -9); restarting it in 1 s" in x for x in lines)
    finally:
        launcher.send_signal(signal.SIGTERM)
        launcher.wait(60)
        reader.join(10)
    assert any(line.startswith("Stopped.") for line in lines), lines[-20:]
