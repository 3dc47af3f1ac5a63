"""What *My data* returns (service.py): sections of plain rows, and how a decider is named."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Decider:
    """Who decided or acted, as the user may see them: `you`, `registry` (the registry itself),
    `organisation` (someone at that organisation) or `someone` (a user the registry knows no
    organisation of)."""

    who: str
    organization_name: str | None = None
    organization_kind: str | None = None

    def as_json(self) -> dict[str, str]:
        named = {
            "organization_name": self.organization_name,
            "organization_kind": self.organization_kind,
        }
        return {"who": self.who, **{key: value for key, value in named.items() if value}}


@dataclass(frozen=True)
class Section:
    name: str
    rows: list[dict[str, Any]]
    columns: list[str]
    left_out: list[str] = field(default_factory=list)

    @classmethod
    def of(
        cls, name: str, rows: list[dict[str, Any]], *, left_out: list[str] | None = None
    ) -> Section:
        """A section whose columns are those of its rows (none when it is empty)."""
        columns = list(rows[0]) if rows else []
        return cls(name=name, rows=rows, columns=columns, left_out=left_out or [])


@dataclass(frozen=True)
class MyData:
    user_id: uuid.UUID
    exported_at: datetime
    sections: list[Section]
