"""What an enrolled second factor is, as the rest of mfa sees it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gatehouse_identity.mfa.levels import FactorKind

FACTOR_COLUMNS = (
    "id, user_id, method, name, status, created_at, confirmed_at, last_used_at, pending_until,"
    " enrolled_by"
)


@dataclass(frozen=True)
class Factor:
    id: uuid.UUID
    user_id: uuid.UUID
    kind: FactorKind
    name: str
    status: str
    created_at: datetime
    confirmed_at: datetime | None
    last_used_at: datetime | None
    pending_until: datetime | None
    # The session that started the enrolment, when another device finishes it (the mobile app).
    enrolled_by: bytes | None = None

    @classmethod
    def from_row(cls, row: Any) -> Factor:
        return cls(
            id=row["id"],
            user_id=row["user_id"],
            kind=FactorKind(row["method"]),
            name=row["name"],
            status=row["status"],
            created_at=row["created_at"],
            confirmed_at=row["confirmed_at"],
            last_used_at=row["last_used_at"],
            pending_until=row["pending_until"],
            enrolled_by=bytes(row["enrolled_by"]) if row["enrolled_by"] is not None else None,
        )
