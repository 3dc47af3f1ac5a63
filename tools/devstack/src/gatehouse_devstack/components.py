"""The stack's Python processes: the mailbox (SMTP sink) and the Gatehouse services."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from gatehouse_devstack.processes import (
    ProcessComponent,
    ProcessLedger,
    http_ok,
    run_to_completion,
)

MIGRATION_TIMEOUT = 120.0


class MailboxProcess(ProcessComponent):
    """`python -m gatehouse_devstack.mailbox` on 127.0.0.1, keeping messages in `store_dir`;
    `faults`: it takes faults to inject through its API (tests only)."""

    name = "mailbox"

    def __init__(
        self,
        store_dir: Path,
        smtp_port: int,
        http_port: int,
        *,
        log_path: Path | None = None,
        ledger: ProcessLedger | None = None,
        python: str = sys.executable,
        ready_timeout: float = 30.0,
        faults: bool = False,
    ) -> None:
        self.store_dir = store_dir.resolve()
        self.faults = faults
        self.smtp_port = smtp_port
        self.http_port = http_port
        self.log_path = log_path or self.store_dir.with_name(f"{self.store_dir.name}.log")
        self.ledger = ledger
        self.python = python
        self.ready_timeout = ready_timeout

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def start(self) -> None:
        argv = [
            *(self.python, "-m", "gatehouse_devstack.mailbox"),
            *("--smtp-port", str(self.smtp_port), "--http-port", str(self.http_port)),
            *("--store", str(self.store_dir)),
            *(("--faults",) if self.faults else ()),
        ]
        # The web side starts after the SMTP server, so /healthz means both are up.
        healthy = functools.partial(http_ok, f"{self.url}/healthz")
        self._launch(argv, is_ready=healthy, what=f"the inbox at {self.url}", env=_unbuffered())


class ServiceProcess(ProcessComponent):
    """One Gatehouse service: `python -m <module> migrate`, then `python -m <module> serve`.

    Both commands read only environment variables (`env`). Ready when GET /readyz answers 200.
    """

    def __init__(
        self,
        name: str,
        module: str,
        env: Mapping[str, str],
        *,
        log_path: Path,
        ledger: ProcessLedger | None = None,
        python: str = sys.executable,
        ready_timeout: float = 60.0,
    ) -> None:
        self.name = name
        self.module = module
        self.env = dict(env)
        self.log_path = log_path
        self.ledger = ledger
        self.python = python
        self.ready_timeout = ready_timeout

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.env['HTTP_PORT']}"

    @property
    def grpc_target(self) -> str | None:
        port = self.env.get("GRPC_PORT")
        return f"127.0.0.1:{port}" if port else None

    def migrate(self) -> None:
        run_to_completion(
            f"{self.name} migrate",
            [self.python, "-m", self.module, "migrate"],
            log_path=self.log_path,
            env=self._process_environment(),
            timeout=MIGRATION_TIMEOUT,
        )

    def start(self) -> None:
        self._launch(
            [self.python, "-m", self.module, "serve"],
            is_ready=functools.partial(http_ok, f"{self.url}/readyz"),
            what=f"200 from {self.url}/readyz",
            env=self._process_environment(),
        )

    def _process_environment(self) -> dict[str, str]:
        # The launcher's own environment (PATH, HOME, ...) with the service contract on top.
        return {**_unbuffered(), **self.env}


def _unbuffered() -> dict[str, str]:
    # Unbuffered output, so the log tail shown on a failure is complete.
    return {**os.environ, "PYTHONUNBUFFERED": "1"}
