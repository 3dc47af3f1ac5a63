"""What handlers remember between events, in the notifier's own tables (never the registry's).

Written in the transaction that handles the event, so it is kept exactly when the event counts as
handled. Handlers depend on the `Memory` protocol; `DatabaseMemory` is the real one.
"""

from __future__ import annotations

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
