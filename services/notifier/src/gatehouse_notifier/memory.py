"""What handlers remember between events, in the notifier's own tables (never the registry's).

Written in the transaction that handles the event, so it is kept exactly when the event counts as
handled. Handlers depend on the `Memory` protocol; `DatabaseMemory` is the real one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_notifier import queries


class Memory(Protocol):
    async def remember_operator_creator(self, *, operator_id: str, user_id: str) -> None: ...

    async def operator_creator(self, operator_id: str) -> str | None: ...

    async def forget_operator(self, operator_id: str) -> None: ...

    async def track_role_request(self, *, role_request_id: str, requested_at: datetime) -> None:
        """A pending request whose deciders may need a reminder later."""
        ...

    async def untrack_role_request(self, role_request_id: str) -> None: ...

    async def forget_recipient(self, user_id: str) -> None:
        """A deleted account: its finished messages forget address, name and body."""
        ...


class BatchMemory:
    """One transaction's memory, shared by the handlers of a batch of events running side by
    side: reads take turns on the connection; each handler's writes wait in its `EventMemory`
    until it has succeeded, so a handler that fails leaves nothing behind."""

    def __init__(self, memory: Memory) -> None:
        self.memory = memory
        self.turn = asyncio.Lock()  # one statement at a time on a connection

    def for_event(self) -> EventMemory:
        return EventMemory(self)


class EventMemory:
    """`Memory` for one event's handler within a `BatchMemory`; `apply()` once it succeeded."""

    def __init__(self, shared: BatchMemory) -> None:
        self._shared = shared
        self._writes: list[Callable[[], Awaitable[None]]] = []

    async def remember_operator_creator(self, *, operator_id: str, user_id: str) -> None:
        memory = self._shared.memory
        self._writes.append(
            lambda: memory.remember_operator_creator(operator_id=operator_id, user_id=user_id)
        )

    async def operator_creator(self, operator_id: str) -> str | None:
        async with self._shared.turn:
            return await self._shared.memory.operator_creator(operator_id)

    async def forget_operator(self, operator_id: str) -> None:
        memory = self._shared.memory
        self._writes.append(lambda: memory.forget_operator(operator_id))

    async def track_role_request(self, *, role_request_id: str, requested_at: datetime) -> None:
        memory = self._shared.memory
        self._writes.append(
            lambda: memory.track_role_request(
                role_request_id=role_request_id, requested_at=requested_at
            )
        )

    async def untrack_role_request(self, role_request_id: str) -> None:
        memory = self._shared.memory
        self._writes.append(lambda: memory.untrack_role_request(role_request_id))

    async def forget_recipient(self, user_id: str) -> None:
        memory = self._shared.memory
        self._writes.append(lambda: memory.forget_recipient(user_id))

    async def apply(self) -> None:
        async with self._shared.turn:
            for write in self._writes:
                await write()
        self._writes.clear()


class DatabaseMemory:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def remember_operator_creator(self, *, operator_id: str, user_id: str) -> None:
        await queries.remember_operator_creator(
            self._connection, operator_id=operator_id, user_id=user_id
        )

    async def operator_creator(self, operator_id: str) -> str | None:
        return await queries.operator_creator(self._connection, operator_id)

    async def forget_operator(self, operator_id: str) -> None:
        await queries.forget_operator(self._connection, operator_id)

    async def track_role_request(self, *, role_request_id: str, requested_at: datetime) -> None:
        await queries.track_role_request(
            self._connection, role_request_id=role_request_id, requested_at=requested_at
        )

    async def untrack_role_request(self, role_request_id: str) -> None:
        await queries.untrack_role_request(self._connection, role_request_id)

    async def forget_recipient(self, user_id: str) -> None:
        await queries.forget_recipient(self._connection, user_id=user_id)
