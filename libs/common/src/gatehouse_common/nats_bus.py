"""One NATS connection per process, established in the background and kept alive.

A service must start and keep serving while NATS is away (the outbox holds the events), so the
connection is made by a task that retries with backoff instead of at import or startup.
"""

from __future__ import annotations

import asyncio
import logging
import random

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError

logger = logging.getLogger(__name__)

DUPLICATE_WINDOW_S = 120.0
STREAM_MAX_AGE_S = 14 * 24 * 3600.0


class EventBus:
    def __init__(self, *, url: str, stream: str, subject_prefix: str, name: str) -> None:
        self.url = url
        self.stream = stream
        self.subject_prefix = subject_prefix
        self.name = name
        self._client: Client | None = None
        self._connected = asyncio.Event()

    @property
    def is_connected(self) -> bool:
        return self._client is not None and self._client.is_connected

    async def jetstream(self) -> JetStreamContext:
        """The JetStream context, waiting for the connection if it is still being made."""
        await self._connected.wait()
        assert self._client is not None  # noqa: S101  (set before the event fires)
        return self._client.jetstream()

    async def connect_forever(self) -> None:
        """Connect (retrying with capped, jittered backoff), then make sure the stream exists."""
        delay = 0.2
        while self._client is None:
            try:
                self._client = await nats.connect(
                    self.url,
                    name=self.name,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,
                    connect_timeout=2,
                )
            except (OSError, TimeoutError, nats.errors.Error) as error:
                logger.warning("NATS not reachable yet", extra={"error": str(error)})
                await asyncio.sleep(delay + random.uniform(0, delay))  # noqa: S311
                delay = min(delay * 2, 5.0)
        await self._ensure_stream_with_retry()
        self._connected.set()

    async def _ensure_stream_with_retry(self) -> None:
        while True:
            try:
                await ensure_stream(self._client_js(), self.stream, self.subject_prefix)
            except (TimeoutError, nats.errors.Error) as error:
                logger.warning("JetStream not ready", extra={"error": str(error)})
                await asyncio.sleep(1)
            else:
                return

    def _client_js(self) -> JetStreamContext:
        assert self._client is not None  # noqa: S101
        return self._client.jetstream()

    async def close(self) -> None:
        if self._client is not None and not self._client.is_closed:
            await self._client.drain()


async def ensure_stream(js: JetStreamContext, stream: str, subject_prefix: str) -> None:
    """Create the events stream if missing. Every service may call this; it is idempotent."""
    config = StreamConfig(
        name=stream,
        subjects=[f"{subject_prefix}.>"],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        duplicate_window=DUPLICATE_WINDOW_S,
        max_age=STREAM_MAX_AGE_S,
    )
    try:
        await js.stream_info(stream)
    except NotFoundError:
        try:
            await js.add_stream(config)
        except BadRequestError:  # another service created it between the two calls
            await js.stream_info(stream)
