"""What a signed-in session is, as every capability sees it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Session:
    id_hash: bytes
    user_id: uuid.UUID
    amr: list[str]
    level: str
    created_at: datetime
    expires_at: datetime
    # When a second factor was last proved in this session (None: never).
    second_factor_at: datetime | None = None

    @property
    def authenticated_at(self) -> datetime:
        """When the user last proved who they are: the sign-in, or a later second factor (a
        step-up or a fresh proof)."""
        if self.second_factor_at is not None and self.second_factor_at > self.created_at:
            return self.second_factor_at
        return self.created_at


@dataclass(frozen=True)
class NewSession:
    """A session just started or rotated: the token goes to the browser (cookie) or client."""

    token: str
    session: Session
