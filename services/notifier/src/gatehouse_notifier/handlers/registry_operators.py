"""E-mails about operators in the registry (events `registry.operator.*`)."""

from __future__ import annotations

from gatehouse.events.v1 import registry_events_pb2 as ev
from gatehouse_notifier.handlers.base import Draft, HandlerContext, handles


@handles("registry.operator.created")
async def operator_created(_context: HandlerContext, _event: ev.OperatorCreated) -> list[Draft]:
    # Nobody is told yet: the authority's validation queue arrives with the registry issue.
    return []
