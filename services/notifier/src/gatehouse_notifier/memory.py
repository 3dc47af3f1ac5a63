"""What handlers remember between events, in the notifier's own tables (never the registry's).

Written in the transaction that handles the event, so it is kept exactly when the event counts as
handled. Handlers depend on the `Memory` protocol; `DatabaseMemory` is the real one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from gatehouse_common.db import Connection


class Memory(Protocol):
    async def remember_operator_creator(self, *, operator_id: str, user_id: str) -> None: ...

    async def operator_creator(self, operator_id: str) -> str | None: ...

    async def forget_operator(self, operator_id: str) -> None: ...

    async def track_role_request(self, *, role_request_id: str, requested_at: datetime) -> None:
        """A pending request whose deciders may need a reminder later."""
        ...

    async def untrack_role_request(self, role_request_id: str) -> None: ...


class DatabaseMemory:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def remember_operator_creator(self, *, operator_id: str, user_id: str) -> None:
        await self._connection.execute(
            """INSERT INTO operator_creators (operator_id, user_id) VALUES ($1, $2)
               ON CONFLICT (operator_id) DO NOTHING""",
            operator_id,
            user_id,
        )

    async def operator_creator(self, operator_id: str) -> str | None:
        user_id: str | None = await self._connection.fetchval(
            "SELECT user_id FROM operator_creators WHERE operator_id = $1", operator_id
        )
        return user_id

    async def forget_operator(self, operator_id: str) -> None:
        await self._connection.execute(
            "DELETE FROM operator_creators WHERE operator_id = $1", operator_id
        )

    async def track_role_request(self, *, role_request_id: str, requested_at: datetime) -> None:
        await self._connection.execute(
            """INSERT INTO pending_role_requests (role_request_id, requested_at) VALUES ($1, $2)
               ON CONFLICT (role_request_id) DO NOTHING""",
            role_request_id,
            requested_at,
        )

    async def untrack_role_request(self, role_request_id: str) -> None:
        await self._connection.execute(
            "DELETE FROM pending_role_requests WHERE role_request_id = $1", role_request_id
        )
