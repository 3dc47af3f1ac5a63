"""Event handlers by event type; importing this package registers all of them."""

from gatehouse_notifier.handlers import (
    identity_second_factors,
    identity_users,
    registry_operators,
    registry_roles,
    registry_users,
    registry_web_services,
)
from gatehouse_notifier.handlers.base import (
    HANDLERS,
    SILENT,
    Draft,
    Handler,
    HandlerContext,
    PublicUrls,
    Sender,
)

__all__ = [
    "HANDLERS",
    "SILENT",
    "Draft",
    "Handler",
    "HandlerContext",
    "PublicUrls",
    "Sender",
    "identity_second_factors",
    "identity_users",
    "registry_operators",
    "registry_roles",
    "registry_users",
    "registry_web_services",
]
