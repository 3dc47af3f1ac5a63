"""Runs one service process: the HTTP app, an optional gRPC server and background tasks, all on
one event loop, stopping together on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

import uvicorn
from fastapi import FastAPI
from grpc import aio

logger = logging.getLogger(__name__)

GRACE_PERIOD_S = 5.0


async def serve(
    *,
    app: FastAPI,
    host: str,
    port: int,
    start_grpc: Callable[[], Awaitable[aio.Server]] | None = None,
    background: Sequence[Callable[[], Coroutine[Any, Any, None]]] = (),
) -> None:
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        server_header=False,
        proxy_headers=True,
        timeout_graceful_shutdown=int(GRACE_PERIOD_S),
    )
    http = uvicorn.Server(config)
    grpc_server = await start_grpc() if start_grpc else None
    tasks = [asyncio.create_task(_supervise(job), name=job.__qualname__) for job in background]
    try:
        await http.serve()  # returns after SIGTERM/SIGINT (uvicorn installs the handlers)
    finally:
        if grpc_server is not None:
            await grpc_server.stop(GRACE_PERIOD_S)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _supervise(job: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Keep a background job running: a crash is logged and the job restarted after a pause."""
    while True:
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("background job crashed; restarting", extra={"job": job.__qualname__})
        await asyncio.sleep(1.0)
