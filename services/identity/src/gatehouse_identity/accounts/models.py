"""What an account is, as the rest of identity sees it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class UserStatus(StrEnum):
    PENDING_PASSWORD = "pending_password"  # noqa: S105  (a status, not a password)
    ACTIVE = "active"
    BLOCKED = "blocked"


class PasswordLinkPurpose(StrEnum):
    SET = "set"
    RESET = "reset"


@dataclass(frozen=True)
class User:
    id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    email_language: str
    status: UserStatus
    created_at: datetime
    password_changed_at: datetime | None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"
