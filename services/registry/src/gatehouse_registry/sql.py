"""Core expressions the registry's query modules share."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Uuid, any_, literal
from sqlalchemy.dialects.postgresql import ARRAY


def any_of(column: ColumnElement[Any], ids: Iterable[uuid.UUID]) -> ColumnElement[bool]:
    """`column = ANY($n::uuid[])`: one bound array, so the statement's text — and the plan
    asyncpg prepares for it — does not change with the number of ids, as an expanding IN would."""
    return column == any_(literal(list(ids), ARRAY(Uuid)))
