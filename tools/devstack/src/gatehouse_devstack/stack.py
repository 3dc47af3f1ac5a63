"""The whole Gatehouse system on one machine, as real processes (`make run`, `make test`).

PostgreSQL, NATS JetStream, the mailbox (SMTP sink) and the three services each run as a separate
process. `DATABASE_URL`, `NATS_URL` or `SMTP_HOST` in the launcher's environment replace the
embedded server by an external one; the run then uses its own databases and stream there and
removes them when it stops.

Longer than our usual ~500 lines: starting, stopping, killing and replacing a component share
one table of processes and ports, and the fault tests drive exactly those operations; the
embedded servers themselves live in postgres.py, nats.py and mailbox.py.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import hmac
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType, TracebackType
from typing import TypeVar

from gatehouse_devstack.components import MailboxProcess, ServiceProcess
from gatehouse_devstack.nats import EmbeddedNats, delete_stream
from gatehouse_devstack.postgres import DatabaseServer, EmbeddedPostgres
from gatehouse_devstack.processes import ProcessComponent, ProcessLedger

T = TypeVar("T")
logger = logging.getLogger("gatehouse_devstack")

SERVICES = ("identity", "registry", "notifier")
GRPC_SERVICES = ("identity", "registry", "notifier")
# The embedded servers, and the environment variable that replaces each by an external one.
EXTERNAL_SETTING = {"postgres": "DATABASE_URL", "nats": "NATS_URL", "mailbox": "SMTP_HOST"}
SERVICE_MODULES = {service: f"gatehouse_{service}" for service in SERVICES}
MAIL_FROM = "Authentication service <no-reply@gatehouse.localhost>"
EVENTS_STREAM = "GATEHOUSE_EVENTS"
EVENTS_SUBJECT_PREFIX = "gatehouse"

# Each port of `make run`: the environment variable that overrides it, its default, what uses it.
PORT_SETTINGS: dict[str, tuple[str, int, str]] = {
    "identity_http": ("IDENTITY_HTTP_PORT", 8001, "identity web"),
    "identity_grpc": ("IDENTITY_GRPC_PORT", 50051, "identity gRPC"),
    "registry_http": ("REGISTRY_HTTP_PORT", 8002, "registry web"),
    "registry_grpc": ("REGISTRY_GRPC_PORT", 50052, "registry gRPC"),
    "notifier_http": ("NOTIFIER_HTTP_PORT", 8003, "notifier web"),
    "notifier_grpc": ("NOTIFIER_GRPC_PORT", 50053, "notifier gRPC"),
    "postgres": ("POSTGRES_PORT", 55432, "embedded PostgreSQL"),
    "nats": ("NATS_PORT", 54222, "embedded NATS"),
    "nats_monitor": ("NATS_MONITOR_PORT", 58222, "NATS monitoring"),
    "mailbox_smtp": ("MAILBOX_SMTP_PORT", 1025, "mailbox SMTP"),
    "mailbox_http": ("MAILBOX_HTTP_PORT", 8025, "mailbox web"),
}

# Run after every service answers /readyz, with the running stack (e.g. to register OIDC clients).
post_start_hooks: list[Callable[[Stack], None]] = []

REGISTRY_CLIENT_ID = "registry"
# In the data directory while a stack runs: its run id, which names its databases and stream on
# external servers (DATABASE_URL, NATS_URL), so that `make manage` finds them.
RUN_ID_FILE = "run-id"


class StackError(RuntimeError):
    """The stack could not start or be controlled; the message says why and shows log tails."""


@dataclass(frozen=True)
class Ports:
    identity_http: int
    identity_grpc: int
    registry_http: int
    registry_grpc: int
    notifier_http: int
    notifier_grpc: int
    postgres: int
    nats: int
    nats_monitor: int
    mailbox_smtp: int
    mailbox_http: int

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Ports:
        """The defaults of `make run`, each overridable by its environment variable."""
        return cls(
            **{
                name: _port_from_environment(env, variable, default)
                for name, (variable, default, _) in PORT_SETTINGS.items()
            }
        )

    @classmethod
    def free(cls) -> Ports:
        """Ports nobody listens on right now (tests: several stacks may run side by side)."""
        names = [port.name for port in fields(cls)]
        return cls(**dict(zip(names, free_ports(len(names)), strict=True)))

    def http(self, service: str) -> int:
        port: int = getattr(self, f"{service}_http")
        return port

    def grpc(self, service: str) -> int:
        port: int = getattr(self, f"{service}_grpc")
        return port


def _port_from_environment(env: Mapping[str, str], variable: str, default: int) -> int:
    value = env.get(variable, "").strip()
    if not value:
        return default
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise StackError(f"{variable}={value!r} is not a TCP port number")
    return int(value)


def free_ports(count: int) -> list[int]:
    # All sockets stay open until every port is chosen, so the ports are distinct.
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def is_port_free(port: int) -> bool:
    with socket.socket() as sock:
        # Like the servers themselves: a port in TIME_WAIT from a previous run is usable.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass(frozen=True)
class ExternalServers:
    """Servers managed elsewhere, named by the launcher's environment; None means embedded."""

    database_url: str | None = None
    nats_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_tls: str = "none"

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> ExternalServers:
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            nats_url=env.get("NATS_URL") or None,
            smtp_host=env.get("SMTP_HOST") or None,
            smtp_port=_port_from_environment(env, "SMTP_PORT", 25),
            smtp_tls=env.get("SMTP_TLS") or "none",
        )


@dataclass(frozen=True)
class Secrets:
    service_auth_secret: str
    secret_keys: Mapping[str, str]  # per service

    @classmethod
    def generate(cls) -> Secrets:
        return cls(
            service_auth_secret=secrets.token_urlsafe(32),
            secret_keys={service: secrets.token_urlsafe(32) for service in SERVICES},
        )

    @classmethod
    def kept_in(cls, path: Path) -> Secrets:
        """Secrets saved beside the development data: keys that encrypt data at rest must not
        change between runs, or a restart would lose the accounts' second factors."""
        if path.exists():
            saved = json.loads(path.read_text())
            kept = cls(saved["service_auth_secret"], saved["secret_keys"])
            if set(kept.secret_keys) >= set(SERVICES):
                return kept
        generated = cls.generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        saved = {
            "service_auth_secret": generated.service_auth_secret,
            "secret_keys": dict(generated.secret_keys),
        }
        path.write_text(json.dumps(saved))
        return generated


@dataclass(frozen=True)
class StackOptions:
    environment: str  # GATEHOUSE_ENVIRONMENT: "development" or "test"
    run_dir: Path  # this run's logs go to run_dir/logs
    data_dir: Path  # PostgreSQL, NATS and mailbox data
    ports: Ports
    external: ExternalServers = ExternalServers()
    log_level: str = "INFO"
    captcha_enabled: bool = False
    durable_database: bool = True  # False: fsync off, for speed in tests
    # More settings for the embedded PostgreSQL (`name=value`), e.g. make bench's statistics.
    postgres_settings: tuple[str, ...] = ()
    keep_secrets: bool = False  # True: secrets persist in data_dir between runs
    service_modules: Mapping[str, str] = field(default_factory=lambda: dict(SERVICE_MODULES))
    python: str = sys.executable
    ready_timeout: float = 60.0
    # Names this run's databases and stream on external servers; None: a new one. `make manage`
    # passes the one the running `make run` recorded (RUN_ID_FILE), to find the same databases.
    run_id: str | None = None

    @classmethod
    def development(cls, root: Path, env: Mapping[str, str] = os.environ) -> StackOptions:
        """`make run`: fixed ports, data kept in var/dev, logs in var/run-<timestamp>."""
        stamp = datetime.now(UTC).astimezone().strftime("%Y%m%d-%H%M%S")
        return cls(
            environment="development",
            run_dir=root / "var" / f"run-{stamp}",
            data_dir=root / "var" / "dev",
            ports=Ports.from_environment(env),
            external=ExternalServers.from_environment(env),
            log_level=env.get("LOG_LEVEL") or "INFO",
            captcha_enabled=True,
            keep_secrets=True,
        )

    @classmethod
    def testing(cls, directory: Path, env: Mapping[str, str] = os.environ) -> StackOptions:
        """Tests: free ports, everything in `directory`, fast non-durable PostgreSQL."""
        return cls(
            environment="test",
            run_dir=directory,
            data_dir=directory / "data",
            ports=Ports.free(),
            external=ExternalServers.from_environment(env),
            log_level=env.get("LOG_LEVEL") or "INFO",
            durable_database=False,
        )


@dataclass(frozen=True)
class Wiring:
    """Where everything is: the input of `service_environment`."""

    environment: str
    log_level: str
    captcha_enabled: bool
    ports: Ports
    database_urls: Mapping[str, str]
    nats_url: str
    events_stream: str
    events_subject_prefix: str
    smtp_host: str
    smtp_port: int
    smtp_tls: str
    secrets: Secrets


def service_environment(
    service: str,
    wiring: Wiring,
    *,
    http_port: int | None = None,
    grpc_port: int | None = None,
) -> dict[str, str]:
    """Every environment variable `service` reads: its whole configuration.

    `http_port`/`grpc_port` override the service's ports for an extra replica; public URLs stay
    those of the first instance, as behind a load balancer.
    """
    ports = wiring.ports
    # Browsers refuse WebAuthn (security keys, passkeys) on an IP address, so the addresses a
    # person opens in `make run` use localhost; tests talk to 127.0.0.1 directly.
    public_host = "localhost" if wiring.environment == "development" else "127.0.0.1"
    identity_public_url = f"http://{public_host}:{ports.identity_http}"
    registry_public_url = f"http://{public_host}:{ports.registry_http}"
    identity_grpc_target = f"127.0.0.1:{ports.identity_grpc}"
    registry_grpc_target = f"127.0.0.1:{ports.registry_grpc}"
    notifier_grpc_target = f"127.0.0.1:{ports.notifier_grpc}"
    env = {
        "GATEHOUSE_ENVIRONMENT": wiring.environment,
        "DATABASE_URL": wiring.database_urls[service],
        "NATS_URL": wiring.nats_url,
        "EVENTS_STREAM": wiring.events_stream,
        "EVENTS_SUBJECT_PREFIX": wiring.events_subject_prefix,
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(http_port or ports.http(service)),
        "LOG_LEVEL": wiring.log_level,
        "SERVICE_AUTH_SECRET": wiring.secrets.service_auth_secret,
        "SECRET_KEY": wiring.secrets.secret_keys[service],
    }
    if service in GRPC_SERVICES:
        env["GRPC_PORT"] = str(grpc_port or ports.grpc(service))
    if service == "identity":
        env["PUBLIC_URL"] = identity_public_url
        env["CAPTCHA_ENABLED"] = "true" if wiring.captcha_enabled else "false"
        # Every test comes from 127.0.0.1: per-address limits would trip unrelated tests. The
        # throttling tests start their own identity process with it on.
        env["THROTTLING_ENABLED"] = "true" if wiring.captcha_enabled else "false"
        # Delete my account asks the registry whether the user is its last administrator.
        env["REGISTRY_GRPC_TARGET"] = registry_grpc_target
        # My data asks the notifier for the e-mails sent to the user.
        env["NOTIFIER_GRPC_TARGET"] = notifier_grpc_target
    if service == "registry":
        env["PUBLIC_URL"] = registry_public_url
        env["IDENTITY_PUBLIC_URL"] = identity_public_url
        env["IDENTITY_GRPC_TARGET"] = identity_grpc_target
        env["OIDC_CLIENT_ID"] = REGISTRY_CLIENT_ID
        env["OIDC_CLIENT_SECRET"] = registry_client_secret(wiring.secrets)
    if service == "notifier":
        env["SMTP_HOST"] = wiring.smtp_host
        env["SMTP_PORT"] = str(wiring.smtp_port)
        env["SMTP_TLS"] = wiring.smtp_tls
        env["MAIL_FROM"] = MAIL_FROM
        env["IDENTITY_GRPC_TARGET"] = identity_grpc_target
        env["REGISTRY_GRPC_TARGET"] = registry_grpc_target
        env["IDENTITY_PUBLIC_URL"] = identity_public_url
        env["REGISTRY_PUBLIC_URL"] = registry_public_url
        if wiring.environment == "test":
            # Outage tests: mail goes out within seconds of SMTP's return, and the events a
            # killed notifier had in hand are redelivered after 10 s instead of a minute.
            env["DELIVERY_RETRY_MAX_S"] = "5"
            env["CONSUMER_ACK_WAIT_S"] = "10"
    return env


class Stack:
    """The running system. Use as a context manager, or call start() and stop()."""

    def __init__(
        self, options: StackOptions, *, report: Callable[[str], None] | None = None
    ) -> None:
        self.options = options
        self.report = report or (lambda _: None)
        self.run_id = options.run_id or secrets.token_hex(4)
        self.logs_dir = options.run_dir / "logs"
        self.ledger = ProcessLedger(options.data_dir / "processes.json")
        self.postgres = self._embedded_postgres()
        self.nats = self._embedded_nats()
        self.mailbox = self._mailbox()
        self.database_server = DatabaseServer(
            options.external.database_url or self._require(self.postgres).admin.url
        )
        self.wiring = self._wiring()
        self.services = {service: self._service(service) for service in SERVICES}
        self.replicas: list[ServiceProcess] = []
        self._created_databases: list[str] = []
        self._previous_sigterm_handler: signal.Handlers | None = None

    # --- where things are -------------------------------------------------------------------

    @property
    def identity_url(self) -> str:
        return self.services["identity"].url

    @property
    def registry_url(self) -> str:
        return self.services["registry"].url

    @property
    def notifier_url(self) -> str:
        return self.services["notifier"].url

    @property
    def mailbox_url(self) -> str | None:
        """None when an external SMTP server (SMTP_HOST) replaces the mailbox."""
        return self.mailbox.url if self.mailbox is not None else None

    @property
    def identity_grpc_target(self) -> str:
        return f"127.0.0.1:{self.options.ports.identity_grpc}"

    @property
    def registry_grpc_target(self) -> str:
        return f"127.0.0.1:{self.options.ports.registry_grpc}"

    @property
    def notifier_grpc_target(self) -> str:
        return f"127.0.0.1:{self.options.ports.notifier_grpc}"

    @property
    def nats_url(self) -> str:
        return self.wiring.nats_url

    @property
    def events_stream(self) -> str:
        return self.wiring.events_stream

    @property
    def events_subject_prefix(self) -> str:
        return self.wiring.events_subject_prefix

    @property
    def database_urls(self) -> dict[str, str]:
        return dict(self.wiring.database_urls)

    @property
    def service_auth_secret(self) -> str:
        return self.wiring.secrets.service_auth_secret

    def env_for(self, service: str) -> dict[str, str]:
        """The environment a process of `service` gets (e.g. to run one of its commands)."""
        return service_environment(service, self.wiring)

    def components(self) -> dict[str, ProcessComponent]:
        """The processes this stack runs itself (external servers are not among them)."""
        infrastructure = {"postgres": self.postgres, "nats": self.nats, "mailbox": self.mailbox}
        running_here = {name: c for name, c in infrastructure.items() if c is not None}
        replicas = {replica.name: replica for replica in self.replicas}
        return {**running_here, **self.services, **replicas}

    def log_tail(self, name: str, lines: int = 60) -> str:
        return self.component(name).log_tail(lines)

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Start everything and return once every service answers /readyz."""
        atexit.register(self.stop)
        self._stop_on_sigterm()
        try:
            self._start_everything()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop everything (services first), then remove this run's data on external servers."""
        atexit.unregister(self.stop)
        self._restore_sigterm_handler()
        stages: list[list[ProcessComponent]] = [
            [*self.replicas],
            [*self.services.values()],
            self._infrastructure(),
        ]
        for stage in stages:
            stop_stage = functools.partial(_in_parallel, [c.stop for c in stage])
            self._tolerate(f"stop {', '.join(c.name for c in stage)}", stop_stage)
        self._remove_external_resources()
        self._forget_run_id()

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- fault injection ------------------------------------------------------------------

    def component(self, name: str) -> ProcessComponent:
        if name in EXTERNAL_SETTING and name not in self.components():
            setting = EXTERNAL_SETTING[name]
            raise StackError(f"{name} is an external server ({setting} is set): not ours to run")
        try:
            return self.components()[name]
        except KeyError:
            known = ", ".join(self.components())
            raise StackError(f"no component called {name!r}; there are: {known}") from None

    def stop_component(self, name: str) -> None:
        """Stop `name` cleanly (its shutdown signal, then SIGKILL after a grace period)."""
        self.component(name).stop()

    def start_component(self, name: str) -> None:
        """Start `name` again, with the same ports and data, and wait until it is ready."""
        self.component(name).start()

    def kill_component(self, name: str) -> None:
        """SIGKILL `name` and its child processes, as a crash would."""
        self.component(name).kill()

    def restart_component(self, name: str) -> None:
        self.component(name).restart()

    def start_service_replica(self, service: str) -> ServiceProcess:
        """Start one more instance of `service` on ports of its own, sharing everything else."""
        number = 2 + sum(replica.name.startswith(f"{service}-") for replica in self.replicas)
        http_port, grpc_port = free_ports(2)
        env = service_environment(service, self.wiring, http_port=http_port, grpc_port=grpc_port)
        replica = self._service_process(f"{service}-{number}", service, env)
        self.replicas.append(replica)
        replica.start()
        return replica

    def run_extra_notifier(self) -> ServiceProcess:
        return self.start_service_replica("notifier")

    # --- internals --------------------------------------------------------------------------

    def _start_everything(self) -> None:
        reaped = self.ledger.reap_leftovers()
        if reaped:
            self.report(f"Stopped processes left over by an earlier run: {', '.join(reaped)}")
        self._check_ports_are_free()
        self._record_run_id()
        self.report("Starting PostgreSQL, NATS and the mailbox...")
        _in_parallel([component.start for component in self._infrastructure()])
        self._create_databases()
        self.report("Migrating the services' databases...")
        _in_parallel([service.migrate for service in self.services.values()])
        self.report("Starting identity, registry and notifier...")
        _in_parallel([service.start for service in self.services.values()])
        for hook in post_start_hooks:
            hook(self)

    def _record_run_id(self) -> None:
        path = self.options.data_dir / RUN_ID_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.run_id)

    def _forget_run_id(self) -> None:
        if recorded_run_id(self.options.data_dir) == self.run_id:
            (self.options.data_dir / RUN_ID_FILE).unlink(missing_ok=True)

    def is_running_here(self) -> bool:
        """Whether the stack these options describe has been started (by another process, e.g.
        `make run`) and its databases answer: the embedded server's port is taken, or an
        external server has this run's databases."""
        if self.postgres is not None:
            return not is_port_free(self.options.ports.postgres)
        return DatabaseServer(self.wiring.database_urls[SERVICES[0]]).is_reachable()

    def _infrastructure(self) -> list[ProcessComponent]:
        embedded = (self.postgres, self.nats, self.mailbox)
        return [component for component in embedded if component is not None]

    def _check_ports_are_free(self) -> None:
        taken = [
            f"  port {port} ({PORT_SETTINGS[name][2]}) is in use: stop what uses it, "
            f"or set {PORT_SETTINGS[name][0]} to another port"
            for name, port in self._ports_to_listen_on().items()
            if not is_port_free(port)
        ]
        if taken:
            raise StackError("Cannot start Gatehouse:\n" + "\n".join(taken))

    def _ports_to_listen_on(self) -> dict[str, int]:
        skipped = set()
        if self.postgres is None:
            skipped.add("postgres")
        if self.nats is None:
            skipped |= {"nats", "nats_monitor"}
        if self.mailbox is None:
            skipped |= {"mailbox_smtp", "mailbox_http"}
        ports = asdict(self.options.ports)
        return {name: port for name, port in ports.items() if name not in skipped}

    def _create_databases(self) -> None:
        external = self.options.external.database_url is not None
        for service in SERVICES:
            name = self._database_name(service)
            # The embedded server keeps its databases between `make run`s.
            self.database_server.create_database(name, exist_ok=not external)
            if external:
                self._created_databases.append(name)

    def _remove_external_resources(self) -> None:
        for name in self._created_databases:
            drop = functools.partial(self.database_server.drop_database, name)
            self._tolerate(f"drop database {name}", drop)
        self._created_databases.clear()
        if self.options.external.nats_url is not None:
            stream = self.wiring.events_stream
            delete = functools.partial(delete_stream, self.options.external.nats_url, stream)
            self._tolerate(f"delete stream {stream}", delete)

    def _tolerate(self, action: str, do: Callable[[], object]) -> None:
        # Clean-up goes on after a failure: the rest should still be removed.
        try:
            do()
        except Exception as error:  # noqa: BLE001
            logger.warning("could not %s: %s", action, error)
            self.report(f"Could not {action}: {error}")

    def _stop_on_sigterm(self) -> None:
        # SIGTERM would end the interpreter without atexit handlers; as an exception it unwinds
        # through stop(). Only a default handler is replaced, and only from the main thread.
        is_main_thread = threading.current_thread() is threading.main_thread()
        if is_main_thread and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _exit_on_signal)
            self._previous_sigterm_handler = signal.SIG_DFL

    def _restore_sigterm_handler(self) -> None:
        if self._previous_sigterm_handler is not None:
            signal.signal(signal.SIGTERM, self._previous_sigterm_handler)
            self._previous_sigterm_handler = None

    def _embedded_postgres(self) -> EmbeddedPostgres | None:
        if self.options.external.database_url is not None:
            return None
        return EmbeddedPostgres(
            self.options.data_dir / "postgres",
            self.options.ports.postgres,
            log_path=self.logs_dir / "postgres.log",
            durable=self.options.durable_database,
            ledger=self.ledger,
            settings=self.options.postgres_settings,
        )

    def _embedded_nats(self) -> EmbeddedNats | None:
        if self.options.external.nats_url is not None:
            return None
        return EmbeddedNats(
            self.options.data_dir / "nats",
            self.options.ports.nats,
            self.options.ports.nats_monitor,
            log_path=self.logs_dir / "nats.log",
            ledger=self.ledger,
        )

    def _mailbox(self) -> MailboxProcess | None:
        if self.options.external.smtp_host is not None:
            return None
        return MailboxProcess(
            self.options.data_dir / "mail",
            self.options.ports.mailbox_smtp,
            self.options.ports.mailbox_http,
            log_path=self.logs_dir / "mailbox.log",
            ledger=self.ledger,
            python=self.options.python,
            faults=self.options.environment == "test",
        )

    def _service(self, service: str) -> ServiceProcess:
        return self._service_process(service, service, service_environment(service, self.wiring))

    def _service_process(self, name: str, service: str, env: dict[str, str]) -> ServiceProcess:
        return ServiceProcess(
            name,
            self._module(service),
            env,
            log_path=self.logs_dir / f"{name}.log",
            ledger=self.ledger,
            python=self.options.python,
            ready_timeout=self.options.ready_timeout,
        )

    def _module(self, service: str) -> str:
        return self.options.service_modules[service]

    def _wiring(self) -> Wiring:
        options, external = self.options, self.options.external
        events_stream, subject_prefix = EVENTS_STREAM, EVENTS_SUBJECT_PREFIX
        if external.nats_url is not None:
            # A shared server: this run's events must not mix with anyone else's.
            events_stream = f"GH_{self.run_id.upper()}_EVENTS"
            subject_prefix = f"gh_{self.run_id}"
        return Wiring(
            environment=options.environment,
            log_level=options.log_level,
            captcha_enabled=options.captcha_enabled,
            ports=options.ports,
            database_urls={
                service: self.database_server.database_url(self._database_name(service))
                for service in SERVICES
            },
            nats_url=external.nats_url or self._require(self.nats).url,
            events_stream=events_stream,
            events_subject_prefix=subject_prefix,
            smtp_host=external.smtp_host or "127.0.0.1",
            smtp_port=external.smtp_port if external.smtp_host else options.ports.mailbox_smtp,
            smtp_tls=external.smtp_tls if external.smtp_host else "none",
            secrets=self._secrets(),
        )

    def _database_name(self, service: str) -> str:
        if self.options.external.database_url is not None:
            return f"gh_{self.run_id}_{service}"  # unique per run on a shared server
        return f"gatehouse_{service}"

    def _secrets(self) -> Secrets:
        if self.options.keep_secrets:
            return Secrets.kept_in(self.options.data_dir / "secrets.json")
        return Secrets.generate()

    @staticmethod
    def _require(component: T | None) -> T:
        if component is None:
            raise StackError("internal error: an embedded server is missing")
        return component


def _in_parallel(tasks: list[Callable[[], object]]) -> None:
    """Run `tasks` at once; when all are done, raise their failures as one StackError."""
    if not tasks:
        return
    with ThreadPoolExecutor(max_workers=len(tasks)) as executor:
        futures = [executor.submit(task) for task in tasks]
    failures = [future.exception() for future in futures if future.exception() is not None]
    if len(failures) == 1 and isinstance(failures[0], StackError):
        raise failures[0]
    if failures:
        raise StackError("\n\n".join(str(failure) for failure in failures)) from failures[0]


def _exit_on_signal(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def recorded_run_id(data_dir: Path) -> str | None:
    """The run id a running stack recorded in `data_dir`, if any."""
    try:
        return (data_dir / RUN_ID_FILE).read_text().strip() or None
    except FileNotFoundError:
        return None


def registry_client_secret(stack_secrets: Secrets) -> str:
    """The registry's OpenID Connect client secret, derived so it is stable across dev runs."""
    key = stack_secrets.secret_keys["registry"].encode()
    return hmac.new(key, b"oidc-client-secret", hashlib.sha256).hexdigest()


def register_registry_client(stack: Stack) -> None:
    """Make the registry a first-party OIDC client of identity, as an operator would once."""
    if stack.options.service_modules["identity"] != SERVICE_MODULES["identity"]:
        return  # a stand-in identity (the launcher's own tests) has no client registry
    url = stack.env_for("registry")["PUBLIC_URL"].rstrip("/")  # what browsers are sent back to
    secret = stack.env_for("registry")["OIDC_CLIENT_SECRET"]
    env = {**os.environ, **stack.env_for("identity"), "OIDC_CLIENT_SECRET": secret}
    command = [
        stack.options.python, "-m", "gatehouse_identity", "clients", "create",
        "--client-id", REGISTRY_CLIENT_ID, "--name", "Gatehouse registry",
        "--redirect-uri", f"{url}/auth/callback",
        "--post-logout-redirect-uri", f"{url}/",
        "--backchannel-logout-uri", f"{url}/auth/backchannel-logout",
        "--min-level", "multi_factor", "--first-party",
        "--secret-env", "OIDC_CLIENT_SECRET", "--replace",
    ]  # fmt: skip
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    if result.returncode != 0:
        raise StackError(f"registering the registry with identity failed:\n{result.stderr[-2000:]}")


post_start_hooks.append(register_registry_client)
