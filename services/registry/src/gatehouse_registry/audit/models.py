"""An entry of the audit trail as the registry reads it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class AuditEntry:
    id: int
    occurred_at: datetime
    actor_user_id: uuid.UUID | None
    actor_name: str
    action: str
    subject_type: str
    subject_id: uuid.UUID
    target_user_id: uuid.UUID | None
    organization_id: uuid.UUID | None
    reason: str | None
    details: dict[str, Any]
