"""The competent authority's decisions: validate or reject a new operator, validate or reject an
activity added to a valid operator. Each locks the row it decides, so two authority members
acting at once cannot both decide; the SQL is in operators.queries."""

from __future__ import annotations

import uuid

from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse.events.v1 import registry_events_pb2 as events
from gatehouse_common.db import Database
from gatehouse_registry.access import Actor, load_principal
from gatehouse_registry.checks import optional_reason, required_reason
from gatehouse_registry.errors import (
    AlreadyDecidedError,
    NotFoundError,
    OrganizationNotValidError,
    PermissionDeniedError,
)
from gatehouse_registry.operators import queries
from gatehouse_registry.operators.models import (
    Activity,
    Operator,
    OperatorState,
    OrganizationStatus,
)
from gatehouse_registry.operators.service import (
    record_operator_change,
    reload_activity,
    reload_operator,
)
from gatehouse_registry.roles.decisions import reject_pending_requests_of


async def _lock_pending_operator(
    connection: AsyncConnection,
    operator_id: uuid.UUID,
    authority_ids: frozenset[uuid.UUID],
    verb: str,
) -> OperatorState:
    operator = await queries.lock_operator(connection, operator_id)
    if operator is None:
        raise NotFoundError(f"no operator {operator_id}")
    if operator.competent_authority_id not in authority_ids:
        raise PermissionDeniedError(f"only the operator's competent authority {verb} it")
    if operator.status is not OrganizationStatus.PENDING:
        raise AlreadyDecidedError(f"the operator is already {operator.status.value}")
    return operator


async def validate_operator(
    database: Database, *, actor: Actor, operator_id: uuid.UUID, reason: str | None = None
) -> Operator:
    """The competent authority validates a pending operator, and with it the pending activities
    it is responsible for (the first activity, created with the operator)."""
    reason = optional_reason(reason)
    async with database.transaction() as connection:
        principal = await load_principal(connection, actor)
        principal.require_active()
        operator = await _lock_pending_operator(
            connection, operator_id, principal.authority_ids, "validates"
        )
        await queries.set_operator_status(
            connection,
            operator_id,
            OrganizationStatus.VALID,
            decided_by=actor.user_id,
            reason=reason,
        )
        activity_ids = await queries.validate_pending_activities(
            connection,
            operator_id,
            authority_ids=list(principal.authority_ids),
            decided_by=actor.user_id,
        )
        await record_operator_change(
            connection,
            principal=principal,
            operator_id=operator_id,
            authority_id=operator.competent_authority_id,
            event_type="registry.operator.validated",
            message=events.OperatorValidated(
                operator_id=str(operator_id), decided_by_user_id=str(actor.user_id)
            ),
            action="operator.validated",
            reason=reason,
            details={"activities_validated": [str(a) for a in activity_ids]},
        )
        return await reload_operator(connection, operator_id)


async def reject_operator(
    database: Database, *, actor: Actor, operator_id: uuid.UUID, reason: str
) -> Operator:
    """The competent authority rejects a pending operator: its identifiers are released (they
    may be registered again, correctly) and its pending role requests are rejected with it."""
    reason = required_reason(reason)
    async with database.transaction() as connection:
        principal = await load_principal(connection, actor)
        principal.require_active()
        operator = await _lock_pending_operator(
            connection, operator_id, principal.authority_ids, "rejects"
        )
        await queries.set_operator_status(
            connection,
            operator_id,
            OrganizationStatus.REJECTED,
            decided_by=actor.user_id,
            reason=reason,
        )
        await queries.reject_pending_activities(
            connection, operator_id, decided_by=actor.user_id, reason=reason
        )
        await queries.release_identifiers(connection, operator_id)
        await record_operator_change(
            connection,
            principal=principal,
            operator_id=operator_id,
            authority_id=operator.competent_authority_id,
            event_type="registry.operator.rejected",
            message=events.OperatorRejected(
                operator_id=str(operator_id), decided_by_user_id=str(actor.user_id), reason=reason
            ),
            action="operator.rejected",
            reason=reason,
        )
        await reject_pending_requests_of(
            connection,
            principal=principal,
            organization_id=operator_id,
            reason=f"the operator was rejected: {reason}",
            scope=[operator.competent_authority_id],
        )
        return await reload_operator(connection, operator_id)


async def decide_activity(
    database: Database,
    *,
    actor: Actor,
    activity_id: uuid.UUID,
    approve: bool,
    reason: str | None = None,
) -> Activity:
    """The activity's authority validates or rejects a pending activity of a valid operator (a
    pending operator's first activity is decided with the operator)."""
    reason = optional_reason(reason) if approve else required_reason(reason)
    async with database.transaction() as connection:
        principal = await load_principal(connection, actor)
        principal.require_active()
        activity = await queries.lock_activity(connection, activity_id)
        if activity is None:
            raise NotFoundError(f"no activity {activity_id}")
        if activity.authority_id not in principal.authority_ids:
            raise PermissionDeniedError("only the activity's competent authority decides it")
        if activity.status is not OrganizationStatus.PENDING:
            raise AlreadyDecidedError(f"the activity is already {activity.status.value}")
        if activity.operator_status is not OrganizationStatus.VALID:
            raise OrganizationNotValidError("decide the operator first")
        status = OrganizationStatus.VALID if approve else OrganizationStatus.REJECTED
        await queries.set_activity_status(
            connection, activity_id, status, decided_by=actor.user_id, reason=reason
        )
        operator_id = activity.operator_id
        message: Message
        if approve:
            message = events.ActivityValidated(
                activity_id=str(activity_id),
                operator_id=str(operator_id),
                decided_by_user_id=str(actor.user_id),
            )
        else:
            message = events.ActivityRejected(
                activity_id=str(activity_id),
                operator_id=str(operator_id),
                decided_by_user_id=str(actor.user_id),
                reason=reason or "",
            )
        await record_operator_change(
            connection,
            principal=principal,
            operator_id=operator_id,
            authority_id=activity.authority_id,
            event_type="registry.activity.validated" if approve else "registry.activity.rejected",
            message=message,
            action="activity.validated" if approve else "activity.rejected",
            subject_type="activity",
            subject_id=activity_id,
            reason=reason,
        )
        return await reload_activity(connection, activity_id)
