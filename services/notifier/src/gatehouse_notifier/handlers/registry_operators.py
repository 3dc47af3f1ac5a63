"""E-mails about operators and their activities in the registry (events `registry.operator.*`,
`registry.activity.*`).

A new operator is announced to its validators (its competent authority); the decision goes to
whoever created it (remembered from registry.operator.created) and to its administrators.
"""

from __future__ import annotations

from gatehouse.events.v1 import registry_events_pb2 as ev
from gatehouse_notifier.handlers.base import Draft, HandlerContext, drafts_for_users, handles
from gatehouse_notifier.handlers.registry_support import known, person


@handles("registry.operator.created")
async def operator_created(context: HandlerContext, event: ev.OperatorCreated) -> list[Draft]:
    if event.created_by_user_id:
        await context.memory.remember_operator_creator(
            operator_id=event.operator_id, user_id=event.created_by_user_id
        )
    operator = await known(context, context.registry.get_operator(event.operator_id), "GetOperator")
    if operator is None:
        return []
    validators = await context.registry.operator_validators(event.operator_id)
    creator = await person(context, event.created_by_user_id)
    return await drafts_for_users(
        context,
        user_ids=[user for user in validators if user != event.created_by_user_id],
        template="operator_created",
        variables={
            "operator_name": operator.name,
            "country_code": operator.country_code,
            "creator_name": creator["name"],
            "creator_email": creator["email"],
            "registry_url": context.urls.registry_operator(event.operator_id),
        },
    )


async def _decision(
    context: HandlerContext, *, operator_id: str, template: str, reason: str | None = None
) -> list[Draft]:
    creator = await context.memory.operator_creator(operator_id)
    await context.memory.forget_operator(operator_id)
    operator = await known(context, context.registry.get_operator(operator_id), "GetOperator")
    if operator is None:
        return []
    administrators = await context.registry.operator_administrators(operator_id)
    variables: dict[str, object] = {
        "operator_name": operator.name,
        "authority_name": operator.competent_authority_name,
        "registry_url": context.urls.registry_operator(operator_id),
    }
    if reason is not None:
        variables["reason"] = reason
    return await drafts_for_users(
        context,
        user_ids=[*([creator] if creator else []), *administrators],
        template=template,
        variables=variables,
    )


@handles("registry.operator.validated")
async def operator_validated(context: HandlerContext, event: ev.OperatorValidated) -> list[Draft]:
    return await _decision(context, operator_id=event.operator_id, template="operator_validated")


@handles("registry.operator.rejected")
async def operator_rejected(context: HandlerContext, event: ev.OperatorRejected) -> list[Draft]:
    return await _decision(
        context, operator_id=event.operator_id, template="operator_rejected", reason=event.reason
    )


@handles("registry.activity.created")
async def activity_created(context: HandlerContext, event: ev.ActivityCreated) -> list[Draft]:
    operator = await known(context, context.registry.get_operator(event.operator_id), "GetOperator")
    if operator is None or operator.competent_authority_id != event.authority_id:
        # Another authority decides this activity, and the registry offers no lookup of an
        # authority's members (only of an operator's validators): it sees it in its queue.
        return []
    validators = await context.registry.operator_validators(event.operator_id)
    creator = await person(context, event.created_by_user_id)
    return await drafts_for_users(
        context,
        user_ids=[user for user in validators if user != event.created_by_user_id],
        template="activity_created",
        variables={
            "operator_name": operator.name,
            "creator_name": creator["name"],
            "creator_email": creator["email"],
            "registry_url": context.urls.registry_operator(event.operator_id),
        },
    )


async def _activity_decision(
    context: HandlerContext, *, operator_id: str, template: str, reason: str | None = None
) -> list[Draft]:
    operator = await known(context, context.registry.get_operator(operator_id), "GetOperator")
    if operator is None:
        return []
    administrators = await context.registry.operator_administrators(operator_id)
    variables: dict[str, object] = {
        "operator_name": operator.name,
        "authority_name": operator.competent_authority_name,
        "registry_url": context.urls.registry_operator(operator_id),
    }
    if reason is not None:
        variables["reason"] = reason
    return await drafts_for_users(
        context, user_ids=administrators, template=template, variables=variables
    )


@handles("registry.activity.validated")
async def activity_validated(context: HandlerContext, event: ev.ActivityValidated) -> list[Draft]:
    return await _activity_decision(
        context, operator_id=event.operator_id, template="activity_validated"
    )


@handles("registry.activity.rejected")
async def activity_rejected(context: HandlerContext, event: ev.ActivityRejected) -> list[Draft]:
    return await _activity_decision(
        context, operator_id=event.operator_id, template="activity_rejected", reason=event.reason
    )
