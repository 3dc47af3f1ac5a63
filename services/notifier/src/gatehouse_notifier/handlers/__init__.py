"""Event handlers by event type; importing this package registers all of them."""

from gatehouse_notifier.handlers import identity_users, registry_operators
from gatehouse_notifier.handlers.base import (
    HANDLERS,
    Draft,
    Handler,
    HandlerContext,
    PublicUrls,
)

__all__ = [
    "HANDLERS",
    "Draft",
    "Handler",
    "HandlerContext",
    "PublicUrls",
    "identity_users",
    "registry_operators",
]
