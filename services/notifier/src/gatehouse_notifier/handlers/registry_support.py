"""Lookups the registry handlers share: tolerant lookups and who decides a role request."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TypeVar

from gatehouse_notifier.directory import RefusedError
from gatehouse_notifier.handlers.base import HandlerContext
from gatehouse_notifier.registry import OrganizationKind, RoleKind, RoleRequest

logger = logging.getLogger(__name__)
T = TypeVar("T")


async def known(context: HandlerContext, lookup: Awaitable[T], what: str) -> T | None:
    """The lookup's answer, or None (logged) when the registry does not know the id.

    Transient failures propagate: the consumer retries the event later.
    """
    try:
        return await lookup
    except RefusedError as error:
        logger.warning(
            "the registry refused a lookup",
            extra={
                "event_id": context.event.id,
                "event_type": context.event.type,
                "lookup": what,
                "error": str(error),
            },
        )
        return None


async def role_request_recipients(context: HandlerContext, role: RoleRequest) -> list[str]:
    """Who is told about a pending request: the operator's administrators when it has any
    (they decide their colleagues' requests), otherwise everyone who may decide it — for a new
    operator's first user or a "responsible for the load" role, the authority's validators."""
    deciders = await context.registry.role_request_deciders(role.role_request_id)
    if role.kind is RoleKind.MEMBER and role.organization_kind is OrganizationKind.OPERATOR:
        administrators = set(await context.registry.operator_administrators(role.organization_id))
        deciding_administrators = [user for user in deciders if user in administrators]
        if deciding_administrators:
            return deciding_administrators
    return deciders


async def person(context: HandlerContext, user_id: str) -> dict[str, str]:
    """`<name>` and `<email>` of a user the message is about (not its recipient)."""
    found = (await context.directory.get_users([user_id])).get(user_id) if user_id else None
    if found is None:
        return {"name": "", "email": ""}
    return {"name": found.full_name, "email": found.email}
