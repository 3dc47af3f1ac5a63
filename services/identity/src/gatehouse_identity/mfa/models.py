"""What an enrolled second factor is, as the rest of mfa sees it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from gatehouse_identity.mfa.levels import FactorKind


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
