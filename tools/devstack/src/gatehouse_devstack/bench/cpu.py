"""CPU placement for the benchmarks: which core a process runs on, and what the machine is.

Pinning uses the same system call as `taskset -a -p -c N <pid>` (sched_setaffinity on every
thread of the process), applied to the whole process tree: PostgreSQL's backends, for instance,
are children of the postmaster. Threads created later inherit the mask of the thread that
creates them, so a pinned process stays pinned.
"""

from __future__ import annotations

import contextlib
import os
import platform
from collections.abc import Iterable
from pathlib import Path

import psutil  # type: ignore[import-untyped,unused-ignore]  # no types-psutil in the lock

MEASURED_CORE = 0  # the service a benchmark measures
LOAD_CORE = 1  # the load generator and everything else


def available_cores() -> list[int]:
    return sorted(os.sched_getaffinity(0))


# The cores this process was given when it started: where everything goes back after a run.
INITIAL_CORES = available_cores()


def can_pin() -> bool:
    """Pinning needs the two cores the benchmarks use."""
    return {MEASURED_CORE, LOAD_CORE} <= set(INITIAL_CORES)


def threads_of(pid: int) -> list[int]:
    try:
        return [int(entry.name) for entry in Path(f"/proc/{pid}/task").iterdir()]
    except FileNotFoundError:
        return []


def process_tree(pid: int) -> list[int]:
    try:
        root = psutil.Process(pid)
        return [pid, *(child.pid for child in root.children(recursive=True))]
    except psutil.NoSuchProcess:
        return []


def pin(pid: int, cores: Iterable[int]) -> None:
    """Every thread of `pid` and of its descendants onto `cores` (like `taskset -apc`)."""
    mask = set(cores)
    for process in process_tree(pid):
        for thread in threads_of(process):
            # A thread may end between listing and pinning; that is fine.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.sched_setaffinity(thread, mask)


def pin_self(cores: Iterable[int]) -> None:
    pin(os.getpid(), cores)


def cpu_seconds(pid: int, *, with_children: bool = True) -> float:
    """User and system CPU time of `pid` (and its descendants) so far."""
    total = 0.0
    for process in process_tree(pid) if with_children else [pid]:
        try:
            times = psutil.Process(process).cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def cores_of(pid: int) -> list[int]:
    return sorted(os.sched_getaffinity(pid))


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def core_count() -> int:
    return os.cpu_count() or 1
