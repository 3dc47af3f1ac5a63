"""Resident memory of each service after the other benchmarks ran (MB = 10^6 bytes)."""

from __future__ import annotations

import psutil  # type: ignore[import-untyped,unused-ignore]  # no types-psutil in the lock

from gatehouse_devstack.bench.harness import Bench
from gatehouse_devstack.bench.report import Result

SERVICES = ("identity", "registry", "notifier")


def resident_bytes(pid: int) -> int:
    """RSS of the process and its children (a service forks none, but it would count)."""
    root = psutil.Process(pid)
    total: int = root.memory_info().rss
    for child in root.children(recursive=True):
        total += child.memory_info().rss
    return total


def total_memory_bytes() -> int:
    total: int = psutil.virtual_memory().total
    return total


def memory(bench: Bench) -> Result:
    figures = {}
    details = {}
    for service in SERVICES:
        pid = bench.stack.services[service].pid
        if pid is None:
            raise RuntimeError(f"{service} is not running")
        rss = resident_bytes(pid)
        figures[f"{service}_rss_mb"] = rss / 1e6
        info = psutil.Process(pid).memory_full_info()
        details[service] = {
            "rss_mb": round(rss / 1e6, 1),
            "uss_mb": round(info.uss / 1e6, 1),
            "threads": psutil.Process(pid).num_threads(),
        }
    return Result("memory", figures, details=details)
