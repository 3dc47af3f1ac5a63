"""The SQL of the user's data export (export.py): one user's rows of a table, the columns chosen
by the caller."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection


async def rows_of(
    connection: AsyncConnection,
    *,
    table: Table,
    owner: Column[Any],
    columns: Sequence[Column[Any]],
    user_id: uuid.UUID,
) -> list[dict[str, Any]]:
    """The rows of `table` whose `owner` column is the user, oldest key first."""
    ordering = list(table.primary_key.columns) or list(columns)
    result = await connection.execute(select(*columns).where(owner == user_id).order_by(*ordering))
    return [dict(row._mapping) for row in result]
