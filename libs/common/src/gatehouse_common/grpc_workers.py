"""More than one process serving a service's gRPC port, for a machine with more than one core.

A Python gRPC server is bound by one core (the GIL; grpcio's poller and asyncio's loop share it),
so `GRPC_WORKERS=N` starts N-1 extra processes that serve the same gRPC services on the same
port beside the main process (the one that also serves HTTP and runs the background jobs).
grpcio binds its listening sockets with SO_REUSEPORT (on Linux by default, and set explicitly by
gatehouse_common.grpc_server), so the kernel spreads *connections* over the processes. Calls on
one connection stay with one process: a client with a single channel is served by one worker,
several clients (or channels) by all.

Each worker is `argv` run as a child process. It opens its own resources (a database pool of its
own), signals readiness on a pipe once its server listens (so the main process starts HTTP, and
answers /readyz, only when every worker serves), and ends when its standard input closes: when
the main process stops it, or dies however it dies (no orphan keeps the port).

In containers the deployment may keep GRPC_WORKERS=1 and scale by replicas; the setting is for
a host or a pod given several cores.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence

from grpc import aio

logger = logging.getLogger(__name__)

READY_FD_VARIABLE = "GATEHOUSE_GRPC_WORKER_READY_FD"
READY = b"ready\n"
START_TIMEOUT_S = 60.0
STOP_GRACE_S = 5.0
RESPAWN_PAUSE_S = 1.0


class GrpcWorkerError(RuntimeError):
    """A worker exited or did not signal readiness in time."""


class GrpcWorkers:
    """The extra gRPC processes of one service process: started, kept running, stopped."""

    def __init__(self, argv: Sequence[str], count: int) -> None:
        self._argv = list(argv)
        self._count = count
        self._processes: list[asyncio.subprocess.Process] = []

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self._processes]

    async def start(self) -> None:
        """Start every worker and return once each serves (GrpcWorkerError if one does not)."""
        try:
            self._processes = [await self._spawn() for _ in range(self._count)]
        except BaseException:
            await self.stop()
            raise

    async def supervise(self) -> None:
        """Run as a background job: a worker that exits is logged and started again."""
        while True:
            waits = {asyncio.ensure_future(p.wait()): i for i, p in enumerate(self._processes)}
            if not waits:
                return
            try:
                done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for wait in waits:
                    wait.cancel()
            for finished in done:
                index = waits[finished]
                logger.error(
                    "gRPC worker exited; starting another",
                    extra={"pid": self._processes[index].pid, "status": finished.result()},
                )
                await asyncio.sleep(RESPAWN_PAUSE_S)
                self._processes[index] = await self._spawn()

    async def stop(self) -> None:
        """Close each worker's standard input (it stops serving), then kill any still there."""
        processes, self._processes = self._processes, []
        for process in processes:
            if process.stdin is not None:
                process.stdin.close()
        for process in processes:
            try:
                await asyncio.wait_for(process.wait(), STOP_GRACE_S)
            except TimeoutError:
                process.kill()
                await process.wait()

    async def _spawn(self) -> asyncio.subprocess.Process:
        read_end, write_end = os.pipe()
        try:
            process = await asyncio.create_subprocess_exec(
                *self._argv,
                stdin=asyncio.subprocess.PIPE,
                env={**os.environ, READY_FD_VARIABLE: str(write_end)},
                pass_fds=(write_end,),
            )
        except BaseException:
            os.close(read_end)
            raise
        finally:
            os.close(write_end)
        reading = asyncio.ensure_future(asyncio.to_thread(os.read, read_end, len(READY)))
        try:
            done, _ = await asyncio.wait({reading}, timeout=START_TIMEOUT_S)
            if not done or reading.result() != READY:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
                await reading  # the pipe's end: nothing holds its write end any more
                raise GrpcWorkerError(f"gRPC worker {process.pid} did not start")
        finally:
            os.close(read_end)
        return process


async def serve_as_worker(start_grpc: Callable[[], Awaitable[aio.Server]]) -> None:
    """In a worker process: serve gRPC, tell the main process, and serve until told to stop
    (standard input closed, or SIGTERM/SIGINT), then stop within the grace period."""
    server = await start_grpc()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    ready_fd = os.environ.get(READY_FD_VARIABLE)
    if ready_fd is not None:
        os.write(int(ready_fd), READY)
        os.close(int(ready_fd))
    closed = asyncio.ensure_future(reader.read())
    told = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({closed, told}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in (closed, told):
            waiting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiting
        await server.stop(STOP_GRACE_S)
