"""Domain errors of the registry's users (base classes in errors.py)."""

from __future__ import annotations

from gatehouse_registry.errors import ConflictError


class AccountActiveError(ConflictError):
    """Reactivation was asked for by a user whose account is active."""

    code = "account_active"


class UserActiveError(ConflictError):
    """Reactivating a user who is active."""

    code = "user_active"
