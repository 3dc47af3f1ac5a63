"""gatehouse.registry.v1 (OperatorService, RoleService): translates wire types and calls the
lookups. Service credentials are checked by gatehouse_common.grpc_server before any method runs."""

from __future__ import annotations

from grpc import aio

from gatehouse.registry.v1 import operator_service_pb2 as op_pb
from gatehouse.registry.v1 import operator_service_pb2_grpc as op_grpc
from gatehouse.registry.v1 import role_service_pb2 as role_pb
from gatehouse.registry.v1 import role_service_pb2_grpc as role_grpc
from gatehouse_common.errors import grpc_status
from gatehouse_common.grpc_server import parse_uuid_field
from gatehouse_common.grpc_server import start_grpc_server as start_server
from gatehouse_common.timestamps import optional_timestamp
from gatehouse_registry import lookups
from gatehouse_registry.access import OrganizationKind, RoleKind
from gatehouse_registry.context import RegistryContext
from gatehouse_registry.errors import RegistryError
from gatehouse_registry.operators.models import OrganizationStatus
from gatehouse_registry.roles.models import RoleRequest, RoleStatus

OPERATOR_STATUS = {
    OrganizationStatus.PENDING: op_pb.OPERATOR_STATUS_PENDING,
    OrganizationStatus.VALID: op_pb.OPERATOR_STATUS_VALID,
    OrganizationStatus.REJECTED: op_pb.OPERATOR_STATUS_REJECTED,
}
ORGANIZATION_KIND = {
    OrganizationKind.OPERATOR: role_pb.ORGANIZATION_KIND_OPERATOR,
    OrganizationKind.ORGANIC_CONTROL_BODY: role_pb.ORGANIZATION_KIND_ORGANIC_CONTROL_BODY,
    OrganizationKind.AUTHORITY: role_pb.ORGANIZATION_KIND_AUTHORITY,
    OrganizationKind.OTHER_ENTITY: role_pb.ORGANIZATION_KIND_OTHER_ENTITY,
}
ROLE_KIND = {
    RoleKind.MEMBER: role_pb.ROLE_KIND_MEMBER,
    RoleKind.RESPONSIBLE_FOR_LOAD: role_pb.ROLE_KIND_RESPONSIBLE_FOR_LOAD,
}
ROLE_STATUS = {
    RoleStatus.PENDING: role_pb.ROLE_REQUEST_STATUS_PENDING,
    RoleStatus.APPROVED: role_pb.ROLE_REQUEST_STATUS_APPROVED,
    RoleStatus.REJECTED: role_pb.ROLE_REQUEST_STATUS_REJECTED,
    RoleStatus.REVOKED: role_pb.ROLE_REQUEST_STATUS_REVOKED,
}


async def _abort(context: aio.ServicerContext, error: RegistryError) -> None:
    """A domain error as the status of its kind (gatehouse_common.errors), its English message
    as the details."""
    await context.abort(grpc_status(error), error.message)


def role_request_to_wire(role: RoleRequest) -> role_pb.RoleRequest:
    return role_pb.RoleRequest(
        role_request_id=str(role.id),
        user_id=str(role.user_id),
        organization_id=str(role.organization_id),
        organization_name=role.organization_name,
        organization_kind=ORGANIZATION_KIND[role.organization_kind],
        kind=ROLE_KIND[role.kind],
        status=ROLE_STATUS[role.status],
        administrator=role.is_admin,
        suspended=role.suspended,
        responsible_authority_ids=[str(a) for a in role.responsible_authority_ids],
        create_time=optional_timestamp(role.requested_at),
        decide_time=optional_timestamp(role.decided_at),
        decision_reason=role.decision_reason or "",
        application_message=role.message or "",
        contact_email=role.contact_email or "",
        contact_phone=role.contact_phone or "",
    )


class OperatorServicer(op_grpc.OperatorServiceServicer):
    def __init__(self, context: RegistryContext) -> None:
        self._context = context

    async def GetOperator(  # noqa: N802  (gRPC method name)
        self, request: op_pb.GetOperatorRequest, context: aio.ServicerContext
    ) -> op_pb.GetOperatorResponse:
        operator_id = await parse_uuid_field(request.operator_id, "operator_id", context)
        try:
            found = await lookups.get_operator_summary(
                self._context.database, operator_id=operator_id
            )
        except RegistryError as error:
            await _abort(context, error)
            raise
        return op_pb.GetOperatorResponse(
            operator=op_pb.Operator(
                operator_id=str(found.id),
                name=found.name,
                country_code=found.country_code,
                status=OPERATOR_STATUS[found.status],
                competent_authority_id=str(found.competent_authority_id or ""),
                competent_authority_name=found.competent_authority_name or "",
            )
        )

    async def ListOperatorAdministrators(  # noqa: N802
        self, request: op_pb.ListOperatorAdministratorsRequest, context: aio.ServicerContext
    ) -> op_pb.ListOperatorAdministratorsResponse:
        operator_id = await parse_uuid_field(request.operator_id, "operator_id", context)
        try:
            users = await lookups.list_operator_administrators(
                self._context.database, operator_id=operator_id
            )
        except RegistryError as error:
            await _abort(context, error)
            raise
        return op_pb.ListOperatorAdministratorsResponse(user_ids=[str(u) for u in users])

    async def ListOperatorValidators(  # noqa: N802
        self, request: op_pb.ListOperatorValidatorsRequest, context: aio.ServicerContext
    ) -> op_pb.ListOperatorValidatorsResponse:
        operator_id = await parse_uuid_field(request.operator_id, "operator_id", context)
        try:
            users = await lookups.list_operator_validators(
                self._context.database, operator_id=operator_id
            )
        except RegistryError as error:
            await _abort(context, error)
            raise
        return op_pb.ListOperatorValidatorsResponse(user_ids=[str(u) for u in users])


class RoleServicer(role_grpc.RoleServiceServicer):
    def __init__(self, context: RegistryContext) -> None:
        self._context = context

    async def GetRoleRequest(  # noqa: N802
        self, request: role_pb.GetRoleRequestRequest, context: aio.ServicerContext
    ) -> role_pb.GetRoleRequestResponse:
        role_id = await parse_uuid_field(request.role_request_id, "role_request_id", context)
        try:
            role = await lookups.get_role_request(self._context.database, role_request_id=role_id)
        except RegistryError as error:
            await _abort(context, error)
            raise
        return role_pb.GetRoleRequestResponse(role_request=role_request_to_wire(role))

    async def ListRoleRequestDeciders(  # noqa: N802
        self, request: role_pb.ListRoleRequestDecidersRequest, context: aio.ServicerContext
    ) -> role_pb.ListRoleRequestDecidersResponse:
        role_id = await parse_uuid_field(request.role_request_id, "role_request_id", context)
        try:
            users = await lookups.list_role_request_deciders(
                self._context.database, role_request_id=role_id
            )
        except RegistryError as error:
            await _abort(context, error)
            raise
        return role_pb.ListRoleRequestDecidersResponse(user_ids=[str(u) for u in users])

    async def ListReactivationDeciders(  # noqa: N802
        self, request: role_pb.ListReactivationDecidersRequest, context: aio.ServicerContext
    ) -> role_pb.ListReactivationDecidersResponse:
        user_id = await parse_uuid_field(request.user_id, "user_id", context)
        try:
            users = await lookups.list_reactivation_deciders(
                self._context.database, user_id=user_id
            )
        except RegistryError as error:
            await _abort(context, error)
            raise
        return role_pb.ListReactivationDecidersResponse(user_ids=[str(u) for u in users])

    async def ListSoleAdministrations(  # noqa: N802
        self, request: role_pb.ListSoleAdministrationsRequest, context: aio.ServicerContext
    ) -> role_pb.ListSoleAdministrationsResponse:
        user_id = await parse_uuid_field(request.user_id, "user_id", context)
        found = await lookups.list_sole_administrations(self._context.database, user_id=user_id)
        return role_pb.ListSoleAdministrationsResponse(
            organizations=[
                role_pb.AdministeredOrganization(
                    organization_id=str(organization.organization_id),
                    organization_name=organization.organization_name,
                    organization_kind=ORGANIZATION_KIND[organization.organization_kind],
                )
                for organization in found
            ]
        )


async def start_grpc_server(context: RegistryContext) -> aio.Server:
    operators = OperatorServicer(context)
    roles = RoleServicer(context)
    settings = context.settings
    return await start_server(
        service="registry",
        host=settings.http_host,
        port=settings.grpc_port,
        registrations=[
            lambda server: op_grpc.add_OperatorServiceServicer_to_server(operators, server),
            lambda server: role_grpc.add_RoleServiceServicer_to_server(roles, server),
        ],
        service_names=[
            op_pb.DESCRIPTOR.services_by_name["OperatorService"].full_name,
            role_pb.DESCRIPTOR.services_by_name["RoleService"].full_name,
        ],
        auth_secret=settings.service_auth_secrets,
        tls=settings.grpc_tls,
    )
