"""The registry's calls to identity's ClientService (gatehouse.identity.v1): create, re-key and
delete operators' machine clients. identity's refusals become the registry's errors (a field at
fault names it); identity unreachable is IdentityUnavailableError (the transports answer 503)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Protocol

import grpc
from fastapi import Depends, Request
from grpc import aio

from gatehouse.identity.v1 import client_service_pb2 as pb
from gatehouse.identity.v1 import client_service_pb2_grpc as pb_grpc
from gatehouse_registry.auth.identity_grpc import IdentityGrpc, IdentityUnavailableError
from gatehouse_registry.auth.runtime import auth_runtime
from gatehouse_registry.errors import NotFoundError
from gatehouse_registry.web_services.errors import ClientTakenError, InvalidKeysError

TIMEOUT_S = 5.0


@dataclass(frozen=True)
class IssuedClient:
    auth_method: str
    client_secret: str | None


class MachineClientDirectory(Protocol):
    """What the service needs of identity (a fake one in service-level tests)."""

    async def create(
        self,
        *,
        client_id: str,
        name: str,
        operator_id: uuid.UUID,
        scopes: Sequence[str],
        jwks_json: str,
    ) -> IssuedClient: ...

    async def replace_keys(self, *, client_id: str, jwks_json: str) -> str | None: ...

    async def delete(self, *, client_id: str) -> None: ...


class IdentityMachineClients:
    def __init__(self, identity: IdentityGrpc) -> None:
        self._identity = identity

    def _stub(self) -> pb_grpc.ClientServiceStub:
        return pb_grpc.ClientServiceStub(self._identity.channel())

    async def create(
        self,
        *,
        client_id: str,
        name: str,
        operator_id: uuid.UUID,
        scopes: Sequence[str],
        jwks_json: str,
    ) -> IssuedClient:
        try:
            answer = await self._stub().CreateMachineClient(
                pb.CreateMachineClientRequest(
                    client_id=client_id,
                    name=name,
                    operator_id=str(operator_id),
                    scopes=list(scopes),
                    jwks_json=jwks_json,
                ),
                timeout=TIMEOUT_S,
            )
        except aio.AioRpcError as error:
            raise _refusal(error) from error
        return IssuedClient(
            auth_method=answer.token_endpoint_auth_method,
            client_secret=answer.client_secret or None,
        )

    async def replace_keys(self, *, client_id: str, jwks_json: str) -> str | None:
        try:
            answer = await self._stub().ReplaceMachineClientKeys(
                pb.ReplaceMachineClientKeysRequest(client_id=client_id, jwks_json=jwks_json),
                timeout=TIMEOUT_S,
            )
        except aio.AioRpcError as error:
            raise _refusal(error) from error
        return answer.client_secret or None

    async def delete(self, *, client_id: str) -> None:
        try:
            await self._stub().DeleteMachineClient(
                pb.DeleteMachineClientRequest(client_id=client_id), timeout=TIMEOUT_S
            )
        except aio.AioRpcError as error:
            raise _refusal(error) from error


def identity_clients(request: Request) -> MachineClientDirectory:
    """The transports' dependency (replaced by a fake in service-level tests)."""
    return IdentityMachineClients(auth_runtime(request).grpc)


Identity = Annotated[MachineClientDirectory, Depends(identity_clients)]


def _refusal(error: aio.AioRpcError) -> Exception:
    detail = error.details() or ""
    code = error.code()
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        # identity names the member at fault first ("jwks.keys[0].kty: RSA or EC").
        where, _, why = detail.partition(": ")
        field = where if where.startswith("jwks") else "jwks"
        return InvalidKeysError(why or detail, field=field)
    if code == grpc.StatusCode.ALREADY_EXISTS:
        return ClientTakenError(detail)
    if code == grpc.StatusCode.NOT_FOUND:
        return NotFoundError(detail)
    return IdentityUnavailableError(str(code))
