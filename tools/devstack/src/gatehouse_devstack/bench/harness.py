"""What every benchmark shares: the running stack, where its processes run, the settings of this
run, and small measuring helpers."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from gatehouse_devstack.bench import cpu
from gatehouse_devstack.bench.report import percentile
from gatehouse_devstack.stack import Stack

PASSWORD = "Bench#Password2025"  # noqa: S105  (the benchmark accounts' password)


@dataclass(frozen=True)
class Sizes:
    """How long and how big each benchmark is (`--quick` shrinks everything for the smoke test)."""

    warmup_s: float = 2.0
    login_s: float = 20.0
    login_clients: int = 4
    oidc_s: float = 15.0
    oidc_clients: int = 4
    oidc_accounts: int = 600  # TOTP: one sign-in per account and time step
    introspect_s: float = 10.0
    introspect_concurrency: int = 64
    # Connections the calls are spread over: several, so that several server processes behind
    # one port (SO_REUSEPORT spreads connections, not calls) all get some.
    introspect_channels: int = 16
    client_credentials_s: float = 10.0
    client_credentials_concurrency: int = 32
    operators: int = 1_000_000
    search_queries: int = 300
    recall_queries_per_kind: int = 100
    search_max_s: float = 60.0  # stop early when searches are slow (a time budget, not a goal)
    pipeline_burst: int = 3000
    pipeline_rate: float = 200.0
    pipeline_rate_s: float = 15.0
    pipeline_wait_s: float = 20.0  # longest wait for a phase's e-mails (a budget, not a goal)
    raw_nats_messages: int = 20_000
    sink_messages: int = 20_000
    catch_up_events: int = 10_000
    catch_up_wait_s: float = 180.0  # longest wait for the backlog (a budget, not a goal)
    event_accounts: int = 500
    argon2_probe_s: float = 3.0
    # login_password_scale: identity's users table grown to each size, sign-ins for this long.
    scale_accounts: tuple[int, ...] = (10_000, 1_000_000)
    scale_login_s: float = 10.0

    @classmethod
    def quick(cls) -> Sizes:
        return cls(
            warmup_s=0.2,
            login_s=1.0,
            login_clients=2,
            oidc_s=1.0,
            oidc_clients=2,
            oidc_accounts=12,
            introspect_s=1.0,
            introspect_concurrency=8,
            introspect_channels=4,
            client_credentials_s=1.0,
            client_credentials_concurrency=4,
            operators=2000,
            search_queries=10,
            recall_queries_per_kind=3,
            search_max_s=10.0,
            pipeline_burst=50,
            pipeline_rate=50.0,
            pipeline_rate_s=1.0,
            pipeline_wait_s=10.0,
            raw_nats_messages=500,
            sink_messages=200,
            catch_up_events=100,
            catch_up_wait_s=60.0,
            event_accounts=10,
            argon2_probe_s=0.5,
            scale_accounts=(1_000, 3_000),
            scale_login_s=1.0,
        )


@dataclass
class Bench:
    """The running system and what the benchmarks learn about it as they go."""

    stack: Stack
    sizes: Sizes
    pin: bool
    # An argon2id hash of PASSWORD with identity's parameters, made by the first probe.
    password_hash: str = ""
    argon2_parameters: dict[str, Any] = field(default_factory=dict)
    # Access tokens issued by the OIDC benchmark, for introspection.
    access_tokens: list[str] = field(default_factory=list)

    # --- where processes run -----------------------------------------------------------------

    def place(self, measured: str | None) -> dict[str, list[int]]:
        """`measured` alone on the measured core; everything else, and this load generator, on
        the other one. Returns the placement for the record (empty when not pinning)."""
        if not self.pin:
            return {}
        placement = {}
        for name, component in self.stack.components().items():
            if component.pid is None:
                continue
            core = cpu.MEASURED_CORE if name == measured else cpu.LOAD_CORE
            cpu.pin(component.pid, [core])
            placement[name] = [core]
        cpu.pin_self([cpu.LOAD_CORE])
        placement["load generator"] = [cpu.LOAD_CORE]
        return placement

    def unplace(self) -> None:
        """Every process back on every core (setup work runs fastest that way)."""
        if not self.pin:
            return
        cores = cpu.INITIAL_CORES
        for component in self.stack.components().values():
            if component.pid is not None:
                cpu.pin(component.pid, cores)
        cpu.pin_self(cores)

    # --- the physical limit ------------------------------------------------------------------

    def argon2_probe(self, seconds: float) -> dict[str, Any]:
        """One argon2id verification timed on the measured core, with identity's settings."""
        core = cpu.MEASURED_CORE if self.pin else None
        argv = [
            self.stack.options.python,
            *("-m", "gatehouse_devstack.bench.argon2_probe"),
            *("--seconds", str(seconds), "--password", PASSWORD),
            *(("--core", str(core)) if core is not None else ()),
        ]
        completed = subprocess.run(
            argv,
            env={**_base_environment(), **self.stack.env_for("identity")},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"argon2 probe failed: {completed.stderr.strip()[-500:]}")
        probe: dict[str, Any] = json.loads(completed.stdout)
        if not self.password_hash:
            self.password_hash = probe["hash"]
            self.argon2_parameters = probe["parameters"]
        return probe


def _base_environment() -> dict[str, str]:
    return dict(os.environ)


class CpuMeter:
    """CPU seconds each component (process tree) and this load generator spend between
    `start()` and `stop()`: what one operation costs where, whatever else runs on the machine."""

    def __init__(self, stack: Stack, others: dict[str, int] | None = None) -> None:
        self.stack = stack
        self.others = others or {}  # processes that are not the stack's (name: pid)
        self._started: dict[str, float] = {}
        self._elapsed: dict[str, float] = {}
        self._wall = 0.0

    def _now(self) -> dict[str, float]:
        pids = {name: c.pid for name, c in self.stack.components().items() if c.pid is not None}
        pids.update(self.others)
        used = {name: cpu.cpu_seconds(pid) for name, pid in pids.items()}
        # The servers are this process's children: the load generator is the process alone.
        used["load generator"] = cpu.cpu_seconds(os.getpid(), with_children=False)
        return used

    def start(self) -> None:
        self._started = self._now()
        self._wall = time.perf_counter()

    def stop(self) -> None:
        ended = self._now()
        self._wall = time.perf_counter() - self._wall
        self._elapsed = {
            name: ended[name] - self._started[name] for name in ended if name in self._started
        }

    def shares(self) -> dict[str, float]:
        """Cores' worth of CPU each used over the window (1.0 = one core busy all the time)."""
        return {name: round(used / self._wall, 2) for name, used in self._elapsed.items()}

    def per_operation_ms(self, operations: int) -> dict[str, float]:
        if operations <= 0:
            return {}
        return {name: round(used * 1000 / operations, 3) for name, used in self._elapsed.items()}


@dataclass
class Samples:
    """Latencies (seconds) and errors of one timed phase."""

    latencies: list[float] = field(default_factory=list)
    # Operations that ended inside the measured window (the throughput), whenever they began.
    completed: int = 0
    errors: int = 0
    first_error: str = ""

    def ok(self, seconds: float) -> None:
        self.latencies.append(seconds)

    def failed(self, reason: str) -> None:
        self.errors += 1
        if not self.first_error:
            self.first_error = reason[:300]

    def p(self, fraction: float) -> float:
        return percentile(self.latencies, fraction) * 1000


async def closed_loop(
    workers: int,
    *,
    warmup_s: float,
    duration_s: float,
    one: Callable[[int], Awaitable[None]],
    samples: Samples,
    min_completed: int = 1,
    meter: CpuMeter | None = None,
) -> float:
    """Run `workers` clients, each doing `one(worker)` again and again, and return the measured
    window in seconds. Throughput counts operations that end inside the window; latency those
    that also began in it. The window is stretched past `duration_s` until `min_completed`
    operations have ended in it (tiny smoke runs on a busy machine still measure something)."""
    started = time.perf_counter()
    measure_from = started + warmup_s
    stop_at = measure_from + duration_s
    ends: list[float] = []

    # However slow or failing the operations, the run ends by then.
    give_up_at = stop_at + max(30.0, duration_s)

    def finished() -> bool:
        now = time.perf_counter()
        return now >= give_up_at or (now >= stop_at and len(samples.latencies) >= min_completed)

    async def client(worker: int) -> None:
        while not finished():
            begin = time.perf_counter()
            try:
                await one(worker)
            except Exception as error:  # noqa: BLE001  (counted, and the run goes on)
                if begin >= measure_from:
                    samples.failed(f"{type(error).__name__}: {error}")
                await asyncio.sleep(0.05)
                continue
            end = time.perf_counter()
            late = end > stop_at and len(samples.latencies) >= min_completed
            if end >= measure_from and not late:
                ends.append(end)
                if begin >= measure_from:
                    samples.ok(end - begin)

    async def metering() -> None:
        if meter is None:
            return
        await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
        meter.start()
        await asyncio.sleep(max(0.0, stop_at - time.perf_counter()))
        meter.stop()

    await asyncio.gather(metering(), *(client(worker) for worker in range(workers)))
    window_end = max(stop_at, max(ends, default=stop_at))
    samples.completed = len(ends)
    if not ends:
        raise RuntimeError(
            f"no operation succeeded ({samples.errors} failed: {samples.first_error})"
        )
    return window_end - measure_from
