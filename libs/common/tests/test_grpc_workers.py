"""GRPC_WORKERS: extra processes serving one gRPC port, started ready, restarted when they die,
and gone when the process that started them stops them."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time

import psutil  # type: ignore[import-untyped,unused-ignore]
import pytest
from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc

from gatehouse_common.grpc_workers import GrpcWorkerError, GrpcWorkers

# A worker as a service's would be: a gRPC server (health only) on the shared port.
WORKER = """
import asyncio, sys
from grpc import aio
from grpc_health.v1 import health_pb2_grpc
from grpc_health.v1.health import aio as health_aio
from gatehouse_common.grpc_workers import serve_as_worker

async def start():
    server = aio.server(options=[("grpc.so_reuseport", 1)])
    health_pb2_grpc.add_HealthServicer_to_server(health_aio.HealthServicer(), server)
    server.add_insecure_port("127.0.0.1:" + sys.argv[1])
    await server.start()
    return server

asyncio.run(serve_as_worker(start))
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _listening(pid: int, port: int) -> bool:
    try:
        connections = psutil.Process(pid).net_connections(kind="tcp")
    except psutil.NoSuchProcess:
        return False
    return any(c.status == "LISTEN" and c.laddr.port == port for c in connections)


async def _answers(port: int, channels: int = 4) -> None:
    """Health checks over several connections (each its own TCP connection)."""
    for _ in range(channels):
        options = [("grpc.use_local_subchannel_pool", 1)]
        async with aio.insecure_channel(f"127.0.0.1:{port}", options=options) as channel:
            # wait_for_ready: right after a worker dies the kernel may still hand a new
            # connection to its closing socket (reset); a caller retries, as ours must.
            answer = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=10, wait_for_ready=True
            )
            assert answer.status == health_pb2.HealthCheckResponse.SERVING


async def _until(condition: object, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def test_workers_share_one_port_and_stop_when_told() -> None:
    port = _free_port()
    workers = GrpcWorkers([sys.executable, "-c", WORKER, str(port)], 2)
    await workers.start()
    pids = workers.pids
    try:
        assert len(set(pids)) == 2
        # Ready means listening: no wait needed before the first call.
        assert all(_listening(pid, port) for pid in pids)
        await _answers(port)
    finally:
        await workers.stop()
    assert not any(psutil.pid_exists(pid) and psutil.Process(pid).is_running() for pid in pids)


async def test_a_worker_that_dies_is_started_again() -> None:
    port = _free_port()
    workers = GrpcWorkers([sys.executable, "-c", WORKER, str(port)], 1)
    await workers.start()
    supervising = asyncio.create_task(workers.supervise())
    try:
        (first,) = workers.pids
        os.kill(first, signal.SIGKILL)
        await _until(lambda: workers.pids != [first] and _listening(workers.pids[0], port))
        await _answers(port, channels=1)
    finally:
        supervising.cancel()
        await workers.stop()


async def test_a_worker_that_cannot_start_is_an_error() -> None:
    workers = GrpcWorkers([sys.executable, "-c", "raise SystemExit(3)"], 1)
    with pytest.raises(GrpcWorkerError):
        await workers.start()
    assert workers.pids == []


# The main process of a service as __main__ runs it: workers started, then supervised.
MAIN = """
import asyncio, sys
from gatehouse_common.grpc_workers import GrpcWorkers

async def main():
    workers = GrpcWorkers([sys.executable, "-c", sys.argv[1], sys.argv[2]], 2)
    await workers.start()
    print(" ".join(map(str, workers.pids)), flush=True)
    await workers.supervise()

asyncio.run(main())
"""


def _gone(pid: int) -> bool:
    """Exited (a zombie has closed every socket; /proc may list none a moment before that)."""
    try:
        return bool(psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


async def test_killed_workers_are_replaced_and_a_killed_main_leaves_nothing_on_the_port() -> None:
    """From the outside: SIGKILL a worker (the port keeps answering, another is started), then
    SIGKILL the main process (no worker is left holding the port)."""
    port = _free_port()
    main = await asyncio.create_subprocess_exec(
        sys.executable, "-c", MAIN, WORKER, str(port), stdout=asyncio.subprocess.PIPE
    )
    try:
        assert main.stdout is not None
        first, second = map(int, (await asyncio.wait_for(main.stdout.readline(), 60)).split())
        os.kill(first, signal.SIGKILL)
        await _until(lambda: _gone(first))
        await _answers(port)
        children = psutil.Process(main.pid).children
        await _until(lambda: len([c for c in children() if _listening(c.pid, port)]) == 2)
        workers = [child.pid for child in children()]
        assert first not in workers
        assert second in workers
    finally:
        main.kill()
        await main.wait()
    await _until(lambda: not any(_listening(pid, port) for pid in workers))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))  # nobody holds it
