"""Child processes of the dev stack: each in its own session, logged to a file, stopped cleanly.

Every child gets its own process group so that a stop reaches the helpers it forked (PostgreSQL
backends, for instance) and so that Ctrl-C in the terminal reaches only the launcher, which then
stops the children in order. A ledger file remembers running children so that the next run can
reap what a crashed launcher left behind.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import httpx
import psutil  # type: ignore[import-untyped,unused-ignore]  # no types-psutil in the lock

POLL_INTERVAL = 0.1


class ComponentError(RuntimeError):
    """A component failed to start or to become ready; the message carries its log tail."""


@dataclass(frozen=True)
class RunAs:
    """The operating-system account a child runs as (PostgreSQL refuses to run as root)."""

    uid: int
    gid: int


class ProcessLedger:
    """A JSON file of the children a launcher has running, so a later run can reap leftovers."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def record(self, name: str, pid: int) -> None:
        with self._lock:
            entries = self._read()
            entries[name] = {"pid": pid, "created": psutil.Process(pid).create_time()}
            self._write(entries)

    def forget(self, name: str) -> None:
        with self._lock:
            entries = self._read()
            if entries.pop(name, None) is not None:
                self._write(entries)

    def reap_leftovers(self) -> list[str]:
        """Kill the process groups of recorded children that still run; returns their names."""
        with self._lock:
            reaped = [name for name, entry in self._read().items() if _kill_if_same(entry)]
            self._write({})
        return reaped

    def _read(self) -> dict[str, dict[str, float]]:
        try:
            entries: dict[str, dict[str, float]] = json.loads(self.path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {}
        return entries

    def _write(self, entries: dict[str, dict[str, float]]) -> None:
        # Written aside then renamed, so that a reader never finds half a file.
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".partial")
        partial.write_text(json.dumps(entries, indent=2))
        partial.replace(self.path)


def _kill_if_same(entry: Mapping[str, float]) -> bool:
    # The creation time guards against a recycled pid that now belongs to someone else.
    try:
        leader = psutil.Process(int(entry["pid"]))
        if leader.create_time() != entry["created"]:
            return False
        group = [leader, *leader.children(recursive=True)]
    except psutil.NoSuchProcess:
        return False
    _signal_group(leader.pid, signal.SIGKILL)
    _wait_until_dead(group, timeout=5)
    return True


def _wait_until_dead(processes: list[psutil.Process], timeout: float) -> None:
    # Their ports are free once they are dead. Zombies count as dead: they hold no sockets, and
    # reaping them is up to whoever inherited them (which may take a while).
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not all(is_dead(p.pid) for p in processes):
        time.sleep(POLL_INTERVAL)


def is_dead(pid: int) -> bool:
    """True when `pid` is gone or a zombie (exited, not yet reaped)."""
    try:
        return bool(psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


class ManagedProcess:
    """One child process: started in a new session, output appended to `log_path`."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        run_as: RunAs | None = None,
        stop_signal: signal.Signals = signal.SIGTERM,
        stop_timeout: float = 10.0,
        ledger: ProcessLedger | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.env = dict(env) if env is not None else None
        self.run_as = run_as
        self.stop_signal = stop_signal
        self.stop_timeout = stop_timeout
        self.ledger = ledger
        self._popen: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen is not None else None

    @property
    def is_running(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    @property
    def exit_code(self) -> int | None:
        return self._popen.poll() if self._popen is not None else None

    def start(self) -> None:
        if self.is_running:
            raise ComponentError(f"{self.name} is already running (pid {self.pid})")
        with _open_log(self.log_path, f"starting: {' '.join(self.argv)}") as log:
            self._popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
                user=self.run_as.uid if self.run_as else None,
                group=self.run_as.gid if self.run_as else None,
                # No extra groups: the child must not keep root's supplementary groups.
                extra_groups=[] if self.run_as else None,
            )
        _RUNNING.add(self)
        if self.ledger is not None:
            self.ledger.record(self.name, self._popen.pid)

    def stop(self) -> None:
        """Ask the process group to stop, then SIGKILL it if it has not within `stop_timeout`."""
        if self._popen is None:
            return
        if self._popen.poll() is None:
            _signal_group(self._popen.pid, self.stop_signal)
            try:
                self._popen.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                note_in_log(self.log_path, f"{self.name} ignored {self.stop_signal.name}")
        self._finish(self._popen, signal.SIGKILL)

    def kill(self) -> None:
        """SIGKILL the whole process group at once, as a crash or an OOM kill would."""
        if self._popen is not None:
            self._finish(self._popen, signal.SIGKILL)

    def wait(self, timeout: float) -> int:
        """Wait for the process to exit by itself; raises subprocess.TimeoutExpired."""
        if self._popen is None:
            raise ComponentError(f"{self.name} was never started")
        code = self._popen.wait(timeout)
        self._finish(self._popen, signal.SIGKILL)
        return code

    def wait_until_ready(self, is_ready: Callable[[], bool], *, timeout: float, what: str) -> None:
        """Poll `is_ready` until it is true; fail early, with the log tail, if the process exits."""
        deadline = time.monotonic() + timeout
        while not is_ready():
            if not self.is_running:
                raise ComponentError(
                    f"{self.name} exited with code {self.exit_code} before {what}.\n"
                    + self.log_tail()
                )
            if time.monotonic() > deadline:
                message = f"{self.name}: no {what} within {timeout:.0f} s.\n"
                raise ComponentError(message + self.log_tail())
            time.sleep(POLL_INTERVAL)

    def log_tail(self, lines: int = 60) -> str:
        return log_tail(self.log_path, lines)

    def _finish(self, popen: subprocess.Popen[bytes], sig: signal.Signals) -> None:
        # Also reaches children the leader left behind (e.g. backends after a postmaster kill).
        _signal_group(popen.pid, sig)
        popen.wait()
        _RUNNING.discard(self)
        if self.ledger is not None:
            self.ledger.forget(self.name)


class ProcessComponent:
    """Base of the stack's servers: one ManagedProcess, restartable, ready when a probe says so."""

    name: str
    log_path: Path
    ledger: ProcessLedger | None = None
    ready_timeout: float = 60.0
    _process: ManagedProcess | None = None
    # Started and not stopped since: if it is not running, it died (a kill counts as dying).
    meant_to_run: bool = False

    @property
    def is_running(self) -> bool:
        return self._process is not None and self._process.is_running

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def exit_code(self) -> int | None:
        """How the process ended (negative: the signal that ended it); None while it runs."""
        return self._process.exit_code if self._process is not None else None

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self.meant_to_run = False
        if self._process is not None:
            self._process.stop()

    def kill(self) -> None:
        if self._process is not None:
            self._process.kill()

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, lines: int = 60) -> str:
        return log_tail(self.log_path, lines)

    def _launch(
        self,
        argv: Sequence[str],
        *,
        is_ready: Callable[[], bool],
        what: str,
        env: Mapping[str, str] | None = None,
        run_as: RunAs | None = None,
        stop_signal: signal.Signals = signal.SIGTERM,
    ) -> None:
        self._process = ManagedProcess(
            self.name,
            argv,
            log_path=self.log_path,
            env=env,
            run_as=run_as,
            stop_signal=stop_signal,
            ledger=self.ledger,
        )
        self._process.start()
        self.meant_to_run = True
        try:
            self._process.wait_until_ready(is_ready, timeout=self.ready_timeout, what=what)
        except ComponentError:
            # Not ready in time (a loaded machine): stop what was started rather than leave a
            # process running that nobody holds, which a supervisor would later find "died".
            self.stop()
            raise


def http_ok(url: str) -> bool:
    """True when `url` answers 200: the readiness probe of every HTTP component."""
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def run_to_completion(
    name: str,
    argv: Sequence[str],
    *,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    run_as: RunAs | None = None,
    timeout: float,
) -> None:
    """Run a one-shot command (a migration, initdb) with output in the log; raise on failure."""
    process = ManagedProcess(name, argv, log_path=log_path, env=env, run_as=run_as)
    process.start()
    try:
        code = process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        message = f"{name} took longer than {timeout:.0f} s.\n"
        raise ComponentError(message + process.log_tail()) from None
    if code != 0:
        raise ComponentError(f"{name} failed with exit code {code}.\n" + process.log_tail())


def log_tail(path: Path, lines: int = 60) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return f"(no log at {path})"
    tail = "\n".join(text.splitlines()[-lines:])
    return f"--- last {lines} lines of {path} ---\n{tail}\n--- end of {path.name} ---"


def _open_log(path: Path, banner: str) -> IO[bytes]:
    path.parent.mkdir(parents=True, exist_ok=True)
    log = path.open("ab")
    log.write(f"\n=== {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC {banner}\n".encode())
    log.flush()
    return log


def note_in_log(path: Path, line: str) -> None:
    """A timestamped line in a component's log, between what the process itself writes."""
    with _open_log(path, line):
        pass


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


# Safety net: whatever is still running when the interpreter exits is killed, so an aborted test
# run or a crashed launcher does not leave servers holding ports.
_RUNNING: set[ManagedProcess] = set()


@atexit.register
def _kill_leftovers() -> None:
    for process in list(_RUNNING):
        process.stop_timeout = min(process.stop_timeout, 3.0)
        process.stop()
