"""Token introspection over authenticated gRPC (gatehouse.identity.v1.TokenService/
IntrospectToken), measured three ways with the same load generator in the same run:

1. identity (one gRPC process) alone on the measured core, the caller on the other
   (`calls_per_s`, `p99_ms`);
2. a bare grpcio server (bench/echo_server.py: same grpcio, same messages, no interceptors, no
   database) alone on the measured core (`echo_per_s`; `ratio` = 1 ÷ 2: how much of what grpcio
   can do on a core identity delivers);
3. identity restarted with GRPC_WORKERS=2, its two gRPC processes one on each core
   (`two_core_calls_per_s`). A two-core machine has no third core: PostgreSQL and the load
   generator share the same two, so this is a lower bound of what two cores give identity.

The caller is a relying service ("registry", an allowed introspection caller) sending identity's
access tokens issued by the OIDC benchmark, with a service token in the metadata as every
service-to-service call carries one (minted once a second here rather than per call: the
server's work is the same, and the load generator's core is kept for sending calls). The calls
go over several connections (`introspect_channels`), as SO_REUSEPORT spreads connections, not
calls, over the processes serving a port.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import psutil  # type: ignore[import-untyped,unused-ignore]  # no types-psutil in the lock
from grpc import aio

from gatehouse.identity.v1 import token_service_pb2 as pb
from gatehouse.identity.v1 import token_service_pb2_grpc as pb_grpc
from gatehouse_common.service_auth import mint_service_token
from gatehouse_devstack.bench import cpu
from gatehouse_devstack.bench.harness import Bench, CpuMeter, Samples, closed_loop
from gatehouse_devstack.bench.report import Result

CALLER = "registry"
LIGHT_CALLERS = 1
ECHO = "echo server"
RECONNECTS = 5


class _Credentials:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        self._minted_at = 0.0
        self._metadata: tuple[tuple[str, str], ...] = ()

    def metadata(self) -> tuple[tuple[str, str], ...]:
        now = time.monotonic()
        if now - self._minted_at > 1.0:
            token = mint_service_token(self._secret, caller=CALLER)
            self._metadata = (("authorization", f"Bearer {token}"),)
            self._minted_at = now
        return self._metadata


class _Load:
    """The load generator: `introspect_concurrency` calls in flight over `introspect_channels`
    connections to one target, the same for every server measured."""

    def __init__(self, bench: Bench, tokens: list[str], target: str) -> None:
        self.sizes = bench.sizes
        self.tokens = tokens
        self.credentials = _Credentials(bench.stack.service_auth_secret.encode())
        # A local subchannel pool each: one TCP connection per channel, not one shared.
        self.channels = [
            aio.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)])
            for _ in range(self.sizes.introspect_channels)
        ]
        self.stubs = [pb_grpc.TokenServiceStub(channel) for channel in self.channels]
        self.turns = [0] * self.sizes.introspect_concurrency
        self.inactive = 0

    async def first(self) -> pb.IntrospectTokenResponse:
        """One call on every connection (each is open afterwards); the first answer."""
        answers = [
            await stub.IntrospectToken(
                pb.IntrospectTokenRequest(token=self.tokens[0]),
                metadata=self.credentials.metadata(),
                timeout=10,
            )
            for stub in self.stubs
        ]
        first: pb.IntrospectTokenResponse = answers[0]
        return first

    async def call(self, worker: int) -> None:
        concurrency = self.sizes.introspect_concurrency
        token = self.tokens[(worker + self.turns[worker] * concurrency) % len(self.tokens)]
        self.turns[worker] += 1
        answer = await self.stubs[worker % len(self.stubs)].IntrospectToken(
            pb.IntrospectTokenRequest(token=token), metadata=self.credentials.metadata(), timeout=5
        )
        if not answer.active:
            self.inactive += 1

    async def run(self, meter: CpuMeter | None) -> tuple[Samples, float]:
        samples = Samples()
        window = await closed_loop(
            self.sizes.introspect_concurrency,
            warmup_s=self.sizes.warmup_s,
            duration_s=self.sizes.introspect_s,
            one=self.call,
            samples=samples,
            meter=meter,
        )
        return samples, window

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close()


async def _identity_one_core(bench: Bench, tokens: list[str]) -> dict[str, Any]:
    load = _Load(bench, tokens, bench.stack.identity_grpc_target)
    meter = CpuMeter(bench.stack)
    try:
        first = await load.first()
        if not first.active:
            raise RuntimeError("identity says the OIDC benchmark's access token is not active")
        samples, window = await load.run(meter)
        # The line's p99 is at saturation (mostly queueing); this is what one call takes when
        # identity is not saturated: one caller, for a short while.
        light = Samples()
        light_window = await closed_loop(
            LIGHT_CALLERS,
            warmup_s=min(bench.sizes.warmup_s, 0.5),
            duration_s=max(1.0, bench.sizes.introspect_s / 3),
            one=load.call,
            samples=light,
        )
    finally:
        await load.close()
    return {
        "samples": samples,
        "window": window,
        "answer": first.SerializeToString(),
        "inactive_answers": load.inactive,
        "cpu_cores_used": meter.shares(),
        "cpu_ms_per_call": meter.per_operation_ms(samples.completed),
        f"at_{LIGHT_CALLERS}_in_flight": {
            "calls_per_s": round(light.completed / light_window),
            "p50_ms": round(light.p(0.5), 2),
            "p99_ms": round(light.p(0.99), 2),
        },
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def _echo_server(bench: Bench, answer: bytes) -> Iterator[tuple[str, int]]:
    """The bare grpcio server running, alone on the measured core; (target, pid)."""
    port = _free_port()
    argv = [bench.stack.options.python, "-m", "gatehouse_devstack.bench.echo_server"]
    process = subprocess.Popen(
        [*argv, "--port", str(port), "--answer", answer.hex()],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None  # noqa: S101  (stdout=PIPE)
        if process.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the echo server did not start (status {process.poll()})")
        if bench.pin:
            cpu.pin(process.pid, [cpu.MEASURED_CORE])
        yield f"127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _echo(bench: Bench, tokens: list[str], target: str, pid: int) -> dict[str, Any]:
    load = _Load(bench, tokens, target)
    meter = CpuMeter(bench.stack, others={ECHO: pid})
    try:
        await load.first()
        samples, window = await load.run(meter)
    finally:
        await load.close()
    return {
        "samples": samples,
        "window": window,
        "cpu_cores_used": meter.shares(),
        "cpu_ms_per_call": meter.per_operation_ms(samples.completed),
    }


def _worker_pids(bench: Bench) -> tuple[int, list[int]]:
    main = bench.stack.services["identity"].pid
    if main is None:
        raise RuntimeError("identity is not running")
    return main, [child.pid for child in psutil.Process(main).children(recursive=True)]


def _place_two_workers(bench: Bench) -> dict[str, list[int]]:
    """Identity's main process on the measured core, its other gRPC worker on the other one;
    everything else (PostgreSQL, the load generator) where the kernel puts it."""
    bench.unplace()
    main, workers = _worker_pids(bench)
    if len(workers) != 1:
        raise RuntimeError(f"identity with GRPC_WORKERS=2 has {len(workers)} extra processes")
    if not bench.pin:
        return {}
    cpu.pin(main, [cpu.MEASURED_CORE])
    cpu.pin(workers[0], [cpu.LOAD_CORE])
    return {
        "identity (main process)": [cpu.MEASURED_CORE],
        "identity (gRPC worker)": [cpu.LOAD_CORE],
        "everything else": cpu.INITIAL_CORES,
    }


def _connections_per_process(bench: Bench) -> list[int]:
    """Established connections on identity's gRPC port, per identity process."""
    port = bench.stack.options.ports.identity_grpc
    main, workers = _worker_pids(bench)
    counts = []
    for pid in (main, *workers):
        with contextlib.suppress(psutil.Error):
            connections = psutil.Process(pid).net_connections(kind="tcp")
            counts.append(
                sum(1 for c in connections if c.status == "ESTABLISHED" and c.laddr.port == port)
            )
    return counts


async def _connected_to_every_process(bench: Bench, tokens: list[str]) -> tuple[_Load, list[int]]:
    """The load's connections, opened again (a few times at most) while the kernel's hash has
    given some identity process none of them: that process would sit idle."""
    for attempt in range(RECONNECTS):
        load = _Load(bench, tokens, bench.stack.identity_grpc_target)
        await load.first()
        split = _connections_per_process(bench)
        if min(split, default=0) > 0 or attempt == RECONNECTS - 1:
            return load, split
        await load.close()
    raise AssertionError  # unreachable: the last attempt returns


async def _two_cores_load(bench: Bench, tokens: list[str]) -> dict[str, Any]:
    load, split = await _connected_to_every_process(bench, tokens)
    meter = CpuMeter(bench.stack)
    try:
        samples, window = await load.run(meter)
    finally:
        await load.close()
    return {
        "samples": samples,
        "window": window,
        "connections_per_process": split,
        "cpu_cores_used": meter.shares(),
        "cpu_ms_per_call": meter.per_operation_ms(samples.completed),
    }


def _two_cores(bench: Bench, tokens: list[str]) -> dict[str, Any]:
    """Identity restarted with two gRPC processes, measured, then restarted as it was."""
    identity = bench.stack.services["identity"]
    bench.unplace()
    identity.env["GRPC_WORKERS"] = "2"
    try:
        bench.stack.restart_component("identity")
        placement = _place_two_workers(bench)
        measured = asyncio.run(_two_cores_load(bench, tokens))
    finally:
        del identity.env["GRPC_WORKERS"]
        bench.unplace()
        bench.stack.restart_component("identity")
    return {**measured, "placement": placement}


def _summary(measured: dict[str, Any]) -> dict[str, Any]:
    samples: Samples = measured["samples"]
    return {
        "calls_per_s": round(samples.completed / measured["window"], 1),
        "completed": samples.completed,
        "window_s": round(measured["window"], 2),
        "errors": samples.errors,
        "first_error": samples.first_error,
        "p50_ms": round(samples.p(0.5), 2),
        "p99_ms": round(samples.p(0.99), 2),
        **{k: v for k, v in measured.items() if k not in {"samples", "window", "answer"}},
    }


def introspect_grpc(bench: Bench) -> Result:
    tokens = list(bench.access_tokens)
    if not tokens:
        raise RuntimeError("no access tokens to introspect: the OIDC benchmark issued none")
    placement = bench.place("identity")
    identity = asyncio.run(_identity_one_core(bench, tokens))
    with _echo_server(bench, identity["answer"]) as (target, pid):
        echo = asyncio.run(_echo(bench, tokens, target, pid))
    bench.unplace()
    two = _two_cores(bench, tokens)
    rate = identity["samples"].completed / identity["window"]
    echo_rate = echo["samples"].completed / echo["window"]
    two_rate = two["samples"].completed / two["window"]
    identity_ms = identity["cpu_ms_per_call"].get("identity", 0.0)
    echo_ms = echo["cpu_ms_per_call"].get(ECHO, 0.0)
    cpu_ratio = round(echo_ms / identity_ms, 2) if identity_ms else None
    return Result(
        "introspect_grpc",
        {
            "calls_per_s": rate,
            "echo_per_s": echo_rate,
            "ratio": rate / echo_rate,
            "two_core_calls_per_s": two_rate,
            "p99_ms": identity["samples"].p(0.99),
            "two_core_ratio": two_rate / rate,  # the table's goal; not on the line
        },
        note=_note(identity, echo, two, cpu_ratio, two_rate / rate),
        details={
            "concurrency": bench.sizes.introspect_concurrency,
            "connections": bench.sizes.introspect_channels,
            "distinct_tokens": len(tokens),
            "identity_one_core": _summary(identity),
            "echo_one_core": _summary(echo),
            "identity_two_cores": _summary(two),
            "ratio_in_cpu_time": cpu_ratio,
            "placement": placement,
        },
    )


def _note(
    identity: dict[str, Any],
    echo: dict[str, Any],
    two: dict[str, Any],
    cpu_ratio: float | None,
    two_ratio: float,
) -> str:
    shares = (
        identity["cpu_cores_used"].get("identity", 0.0),
        echo["cpu_cores_used"].get(ECHO, 0.0),
        two["cpu_cores_used"].get("identity", 0.0),
    )
    text = (
        f"cores used: identity {shares[0]:.2f}, echo {shares[1]:.2f}, "
        f"identity x2 {shares[2]:.2f}; two cores {two_ratio:.2f}x one"
    )
    if cpu_ratio is not None:
        text += f"; ratio in CPU time {cpu_ratio:.2f}"
    return text
