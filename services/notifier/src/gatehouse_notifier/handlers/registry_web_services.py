"""E-mails about operators' web-service access and machine clients (events
`registry.web_service_access.*`, `registry.machine_client.*`, issue 19).

A request is announced to the operator's validators (its competent authority), who decide it;
the decision, a revocation and every change to a machine client go to the operator's
administrators. No secret or key is ever in an event or an e-mail: the e-mails say what changed
and link to the operator's web-service page.
"""

from __future__ import annotations

from gatehouse.events.v1 import registry_events_pb2 as ev
from gatehouse_notifier.handlers.base import Draft, HandlerContext, drafts_for_users, handles
from gatehouse_notifier.handlers.registry_support import known, person


def _page(context: HandlerContext, operator_id: str) -> str:
    return f"{context.urls.registry_operator(operator_id)}/web-services"


async def _to_administrators(
    context: HandlerContext,
    *,
    operator_id: str,
    template: str,
    variables: dict[str, object],
) -> list[Draft]:
    operator = await known(context, context.registry.get_operator(operator_id), "GetOperator")
    if operator is None:
        return []
    administrators = await context.registry.operator_administrators(operator_id)
    return await drafts_for_users(
        context,
        user_ids=administrators,
        template=template,
        variables={
            "operator_name": operator.name,
            "authority_name": operator.competent_authority_name,
            "registry_url": _page(context, operator_id),
            **variables,
        },
    )


@handles("registry.web_service_access.requested")
async def access_requested(
    context: HandlerContext, event: ev.WebServiceAccessRequested
) -> list[Draft]:
    operator = await known(context, context.registry.get_operator(event.operator_id), "GetOperator")
    if operator is None:
        return []
    validators = await context.registry.operator_validators(event.operator_id)
    requester = await person(context, event.requested_by_user_id)
    return await drafts_for_users(
        context,
        user_ids=[user for user in validators if user != event.requested_by_user_id],
        template="web_service_requested",
        variables={
            "operator_name": operator.name,
            "system_name": event.system_name,
            "requester_name": requester["name"],
            "requester_email": requester["email"],
            "registry_url": _page(context, event.operator_id),
        },
    )


@handles("registry.web_service_access.approved")
async def access_approved(
    context: HandlerContext, event: ev.WebServiceAccessApproved
) -> list[Draft]:
    return await _to_administrators(
        context,
        operator_id=event.operator_id,
        template="web_service_approved",
        variables={"system_name": event.system_name},
    )


@handles("registry.web_service_access.rejected")
async def access_rejected(
    context: HandlerContext, event: ev.WebServiceAccessRejected
) -> list[Draft]:
    return await _to_administrators(
        context,
        operator_id=event.operator_id,
        template="web_service_rejected",
        variables={"system_name": event.system_name, "reason": event.reason},
    )


@handles("registry.web_service_access.revoked")
async def access_revoked(context: HandlerContext, event: ev.WebServiceAccessRevoked) -> list[Draft]:
    return await _to_administrators(
        context,
        operator_id=event.operator_id,
        template="web_service_revoked",
        variables={
            "system_name": event.system_name,
            "reason": event.reason,
            "client_ids": list(event.revoked_client_ids),
        },
    )


@handles("registry.machine_client.created")
async def client_created(context: HandlerContext, event: ev.MachineClientCreated) -> list[Draft]:
    creator = await person(context, event.created_by_user_id)
    return await _to_administrators(
        context,
        operator_id=event.operator_id,
        template="machine_client_created",
        variables={
            "client_id": event.client_id,
            "with_key": event.auth_method == "private_key_jwt",
            "actor_name": creator["name"],
        },
    )


@handles("registry.machine_client.rotated")
async def client_rotated(context: HandlerContext, event: ev.MachineClientRotated) -> list[Draft]:
    actor = await person(context, event.rotated_by_user_id)
    return await _to_administrators(
        context,
        operator_id=event.operator_id,
        template="machine_client_rotated",
        variables={"client_id": event.client_id, "actor_name": actor["name"]},
    )


@handles("registry.machine_client.revoked")
async def client_revoked(context: HandlerContext, event: ev.MachineClientRevoked) -> list[Draft]:
    actor = await person(context, event.revoked_by_user_id)
    return await _to_administrators(
        context,
        operator_id=event.operator_id,
        template="machine_client_revoked",
        variables={
            "client_id": event.client_id,
            "actor_name": actor["name"],
            "reason": event.reason,
        },
    )
