"""What *Delete my account* asks the registry over gRPC before deleting: the organizations where
the user is the only administrator (gatehouse.registry.v1.RoleService.ListSoleAdministrations).

`deletion.py` depends on the `SoleAdministrations` protocol, so its rules are tested without a
registry; `GrpcSoleAdministrations` is the real one, made once per process (context.py)."""

from __future__ import annotations

import uuid
from typing import Protocol

from grpc import aio

from gatehouse.registry.v1 import role_service_pb2 as role_pb
from gatehouse.registry.v1 import role_service_pb2_grpc as role_grpc
from gatehouse_common.grpc_tls import PLAINTEXT, GrpcTls
from gatehouse_common.service_auth import authenticated_channel


class RegistryUnreachableError(Exception):
    """The registry did not answer (down, too slow, or refused the call)."""


class SoleAdministrations(Protocol):
    async def sole_administrations(self, *, user_id: uuid.UUID) -> list[str]:
        """The names of the organizations the user alone administers; RegistryUnreachableError
        when the registry cannot tell."""
        ...


class GrpcSoleAdministrations:
    def __init__(
        self, *, target: str, secret: bytes, timeout_s: float, tls: GrpcTls = PLAINTEXT
    ) -> None:
        self._channel = authenticated_channel(target, secret=secret, caller="identity", tls=tls)
        self._roles = role_grpc.RoleServiceStub(self._channel)
        self._timeout_s = timeout_s

    async def sole_administrations(self, *, user_id: uuid.UUID) -> list[str]:
        try:
            response = await self._roles.ListSoleAdministrations(
                role_pb.ListSoleAdministrationsRequest(user_id=str(user_id)),
                timeout=self._timeout_s,
            )
        except aio.AioRpcError as error:
            raise RegistryUnreachableError(
                f"registry ListSoleAdministrations answered {error.code().name}"
            ) from error
        return [organization.organization_name for organization in response.organizations]

    async def close(self) -> None:
        await self._channel.close()
