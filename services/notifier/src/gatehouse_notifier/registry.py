"""What the notifier asks the registry over gRPC: role requests, who decides them, operators and
who administers or validates them.

Registry events name ids only. Recipients are resolved when the event is handled, so a message
never reaches someone who has lost the right to act on it meanwhile. Handlers depend on the
`Registry` protocol, not on gRPC, so they can be exercised without a server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

from google.protobuf.timestamp_pb2 import Timestamp
from grpc import aio

from gatehouse.registry.v1 import operator_service_pb2 as op_pb
from gatehouse.registry.v1 import operator_service_pb2_grpc as op_grpc
from gatehouse.registry.v1 import role_service_pb2 as role_pb
from gatehouse.registry.v1 import role_service_pb2_grpc as role_grpc
from gatehouse_common.grpc_tls import PLAINTEXT, GrpcTls
from gatehouse_common.service_auth import authenticated_channel
from gatehouse_notifier.directory import RPC_TIMEOUT_S, translate_rpc_error


class OrganizationKind(StrEnum):
    OPERATOR = "operator"
    ORGANIC_CONTROL_BODY = "organic_control_body"
    AUTHORITY = "authority"
    OTHER_ENTITY = "other_entity"
    UNKNOWN = "unknown"


class RoleKind(StrEnum):
    MEMBER = "member"
    RESPONSIBLE_FOR_LOAD = "responsible_for_load"
    UNKNOWN = "unknown"


class RoleStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


ORGANIZATION_KINDS = {
    role_pb.ORGANIZATION_KIND_OPERATOR: OrganizationKind.OPERATOR,
    role_pb.ORGANIZATION_KIND_ORGANIC_CONTROL_BODY: OrganizationKind.ORGANIC_CONTROL_BODY,
    role_pb.ORGANIZATION_KIND_AUTHORITY: OrganizationKind.AUTHORITY,
    role_pb.ORGANIZATION_KIND_OTHER_ENTITY: OrganizationKind.OTHER_ENTITY,
}
ROLE_KINDS = {
    role_pb.ROLE_KIND_MEMBER: RoleKind.MEMBER,
    role_pb.ROLE_KIND_RESPONSIBLE_FOR_LOAD: RoleKind.RESPONSIBLE_FOR_LOAD,
}
ROLE_STATUSES = {
    role_pb.ROLE_REQUEST_STATUS_PENDING: RoleStatus.PENDING,
    role_pb.ROLE_REQUEST_STATUS_APPROVED: RoleStatus.APPROVED,
    role_pb.ROLE_REQUEST_STATUS_REJECTED: RoleStatus.REJECTED,
    role_pb.ROLE_REQUEST_STATUS_REVOKED: RoleStatus.REVOKED,
}


@dataclass(frozen=True)
class RoleRequest:
    role_request_id: str
    user_id: str
    organization_id: str
    organization_name: str
    organization_kind: OrganizationKind
    kind: RoleKind
    status: RoleStatus
    requested_at: datetime | None = None
    responsible_authority_ids: tuple[str, ...] = field(default_factory=tuple)
    # The applicant's "Send application for approval" dialog ("" when left empty).
    application_message: str = ""
    contact_email: str = ""
    contact_phone: str = ""


@dataclass(frozen=True)
class Operator:
    operator_id: str
    name: str
    country_code: str
    competent_authority_id: str
    competent_authority_name: str


class Registry(Protocol):
    """The registry's lookups; each raises RefusedError (unknown id) or TransientError."""

    async def get_role_request(self, role_request_id: str) -> RoleRequest: ...

    async def role_request_deciders(self, role_request_id: str) -> list[str]:
        """Users who may approve or reject the request (never the requester)."""
        ...

    async def reactivation_deciders(self, user_id: str) -> list[str]: ...

    async def get_operator(self, operator_id: str) -> Operator: ...

    async def operator_administrators(self, operator_id: str) -> list[str]: ...

    async def operator_validators(self, operator_id: str) -> list[str]: ...


class GrpcRegistry:
    """`Registry` backed by gatehouse.registry.v1 OperatorService and RoleService."""

    def __init__(self, *, target: str, secret: bytes, tls: GrpcTls = PLAINTEXT) -> None:
        self._channel = authenticated_channel(target, secret=secret, caller="notifier", tls=tls)
        self._operators = op_grpc.OperatorServiceStub(self._channel)
        self._roles = role_grpc.RoleServiceStub(self._channel)

    async def get_role_request(self, role_request_id: str) -> RoleRequest:
        try:
            response = await self._roles.GetRoleRequest(
                role_pb.GetRoleRequestRequest(role_request_id=role_request_id),
                timeout=RPC_TIMEOUT_S,
            )
        except aio.AioRpcError as error:
            raise translate_rpc_error(error, "registry GetRoleRequest") from error
        role = response.role_request
        return RoleRequest(
            role_request_id=role.role_request_id or role_request_id,
            user_id=role.user_id,
            organization_id=role.organization_id,
            organization_name=role.organization_name,
            organization_kind=ORGANIZATION_KINDS.get(
                role.organization_kind, OrganizationKind.UNKNOWN
            ),
            kind=ROLE_KINDS.get(role.kind, RoleKind.UNKNOWN),
            status=ROLE_STATUSES.get(role.status, RoleStatus.UNKNOWN),
            requested_at=_time(role.create_time) if role.HasField("create_time") else None,
            responsible_authority_ids=tuple(role.responsible_authority_ids),
            application_message=role.application_message,
            contact_email=role.contact_email,
            contact_phone=role.contact_phone,
        )

    async def role_request_deciders(self, role_request_id: str) -> list[str]:
        try:
            response = await self._roles.ListRoleRequestDeciders(
                role_pb.ListRoleRequestDecidersRequest(role_request_id=role_request_id),
                timeout=RPC_TIMEOUT_S,
            )
        except aio.AioRpcError as error:
            raise translate_rpc_error(error, "registry ListRoleRequestDeciders") from error
        return list(response.user_ids)

    async def reactivation_deciders(self, user_id: str) -> list[str]:
        try:
            response = await self._roles.ListReactivationDeciders(
                role_pb.ListReactivationDecidersRequest(user_id=user_id), timeout=RPC_TIMEOUT_S
            )
        except aio.AioRpcError as error:
            raise translate_rpc_error(error, "registry ListReactivationDeciders") from error
        return list(response.user_ids)

    async def get_operator(self, operator_id: str) -> Operator:
        try:
            response = await self._operators.GetOperator(
                op_pb.GetOperatorRequest(operator_id=operator_id), timeout=RPC_TIMEOUT_S
            )
        except aio.AioRpcError as error:
            raise translate_rpc_error(error, "registry GetOperator") from error
        operator = response.operator
        return Operator(
            operator_id=operator.operator_id or operator_id,
            name=operator.name,
            country_code=operator.country_code,
            competent_authority_id=operator.competent_authority_id,
            competent_authority_name=operator.competent_authority_name,
        )

    async def operator_administrators(self, operator_id: str) -> list[str]:
        try:
            response = await self._operators.ListOperatorAdministrators(
                op_pb.ListOperatorAdministratorsRequest(operator_id=operator_id),
                timeout=RPC_TIMEOUT_S,
            )
        except aio.AioRpcError as error:
            raise translate_rpc_error(error, "registry ListOperatorAdministrators") from error
        return list(response.user_ids)

    async def operator_validators(self, operator_id: str) -> list[str]:
        try:
            response = await self._operators.ListOperatorValidators(
                op_pb.ListOperatorValidatorsRequest(operator_id=operator_id),
                timeout=RPC_TIMEOUT_S,
            )
        except aio.AioRpcError as error:
            raise translate_rpc_error(error, "registry ListOperatorValidators") from error
        return list(response.user_ids)

    async def close(self) -> None:
        await self._channel.close()


def _time(stamp: Timestamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)
