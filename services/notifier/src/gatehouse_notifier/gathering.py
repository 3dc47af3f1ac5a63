"""Look-ups asked for at the same moment, answered by one batch call.

The consumer runs the handlers of a fetched batch of events side by side; each asks for its own
recipient. A `Gatherer` collects the keys asked for until the event loop has run every handler
that was ready (one `call_soon`), then makes one batch call for all of them and hands each caller
its answer: a batch of 100 password-reset events makes one BatchGetUsers, not 100 GetUser calls
(issue 17). An error of the batch call is every caller's error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# Answers the keys it knows; a key left out is answered with None.
BatchCall = Callable[[Sequence[K]], Awaitable[dict[K, V]]]


class Gatherer(Generic[K, V]):
    def __init__(self, batch_call: BatchCall[K, V]) -> None:
        self._batch_call = batch_call
        self._waiting: dict[K, list[asyncio.Future[V | None]]] = {}
        self._calls: set[asyncio.Task[None]] = set()

    async def get(self, key: K) -> V | None:
        loop = asyncio.get_running_loop()
        if not self._waiting:
            loop.call_soon(self._call)
        future: asyncio.Future[V | None] = loop.create_future()
        self._waiting.setdefault(key, []).append(future)
        return await future

    def _call(self) -> None:
        waiting, self._waiting = self._waiting, {}
        call = asyncio.create_task(self._answer(waiting))
        self._calls.add(call)  # the loop keeps only a weak reference to a task
        call.add_done_callback(self._calls.discard)

    async def _answer(self, waiting: dict[K, list[asyncio.Future[V | None]]]) -> None:
        try:
            found = await self._batch_call(list(waiting))
        except Exception as error:  # noqa: BLE001  (handed to every caller, who decides)
            for futures in waiting.values():
                for future in futures:
                    if not future.done():
                        future.set_exception(error)
            return
        for key, futures in waiting.items():
            for future in futures:
                if not future.done():  # a caller cancelled meanwhile
                    future.set_result(found.get(key))
