"""gatehouse.identity.v1.ClientService: the registry manages operators' machine clients.

Translates the wire to machine_clients.py and its errors to gRPC status codes: a field at fault
is INVALID_ARGUMENT naming it, an unknown client NOT_FOUND, a taken client id ALREADY_EXISTS.
Only callers in OIDC_MACHINE_CLIENT_CALLERS may call (the interceptor verified the service token).
"""

from __future__ import annotations

import grpc
from grpc import aio

from gatehouse.identity.v1 import client_service_pb2 as pb
from gatehouse.identity.v1 import client_service_pb2_grpc as pb_grpc
from gatehouse_common.grpc_server import Registration, parse_uuid_field
from gatehouse_identity.context import IdentityContext
from gatehouse_identity.oidc import machine_clients
from gatehouse_identity.oidc.clients import ClientError, ClientExistsError, UnknownClientError
from gatehouse_identity.oidc.grpc_tokens import caller_of

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["ClientService"].full_name
MAX_TEXT = 200


class ClientServicer(pb_grpc.ClientServiceServicer):
    def __init__(self, context: IdentityContext) -> None:
        self._context = context

    async def _caller(self, context: aio.ServicerContext) -> str:
        caller = caller_of(context, self._context.settings.service_auth_secrets)
        if caller is None or caller not in self._context.settings.oidc_machine_client_callers:
            await context.abort(
                grpc.StatusCode.PERMISSION_DENIED, f"{caller!r} may not manage machine clients"
            )
            raise AssertionError  # unreachable: abort raises
        return caller

    @staticmethod
    async def _text(value: str, field: str, context: aio.ServicerContext) -> str:
        if not value or len(value) > MAX_TEXT or "\0" in value:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"{field}: 1-200 characters")
        return value

    @staticmethod
    async def _refuse(error: ClientError, context: aio.ServicerContext) -> None:
        if isinstance(error, ClientExistsError):
            await context.abort(grpc.StatusCode.ALREADY_EXISTS, str(error))
        if isinstance(error, UnknownClientError):
            await context.abort(grpc.StatusCode.NOT_FOUND, str(error))
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))

    async def CreateMachineClient(  # noqa: N802  (gRPC method name)
        self, request: pb.CreateMachineClientRequest, context: aio.ServicerContext
    ) -> pb.CreateMachineClientResponse:
        caller = await self._caller(context)
        client_id = await self._text(request.client_id, "client_id", context)
        name = await self._text(request.name, "name", context)
        operator_id = await parse_uuid_field(request.operator_id, "operator_id", context)
        try:
            client, secret = await machine_clients.create(
                self._context.database,
                client_id=client_id,
                name=name,
                operator_id=operator_id,
                scopes=list(request.scopes),
                jwks_json=request.jwks_json,
                caller=caller,
            )
        except ClientError as error:
            await self._refuse(error, context)
            raise
        return pb.CreateMachineClientResponse(
            client_id=client.client_id,
            token_endpoint_auth_method=client.auth_method,
            client_secret=secret or "",
        )

    async def ReplaceMachineClientKeys(  # noqa: N802
        self, request: pb.ReplaceMachineClientKeysRequest, context: aio.ServicerContext
    ) -> pb.ReplaceMachineClientKeysResponse:
        caller = await self._caller(context)
        client_id = await self._text(request.client_id, "client_id", context)
        try:
            secret = await machine_clients.replace_keys(
                self._context.database,
                client_id=client_id,
                jwks_json=request.jwks_json,
                caller=caller,
            )
        except ClientError as error:
            await self._refuse(error, context)
            raise
        return pb.ReplaceMachineClientKeysResponse(client_secret=secret or "")

    async def DeleteMachineClient(  # noqa: N802
        self, request: pb.DeleteMachineClientRequest, context: aio.ServicerContext
    ) -> pb.DeleteMachineClientResponse:
        caller = await self._caller(context)
        client_id = await self._text(request.client_id, "client_id", context)
        deleted = await machine_clients.delete(
            self._context.database, client_id=client_id, caller=caller
        )
        return pb.DeleteMachineClientResponse(deleted=bool(deleted))

    async def DeleteOperatorMachineClients(  # noqa: N802
        self, request: pb.DeleteOperatorMachineClientsRequest, context: aio.ServicerContext
    ) -> pb.DeleteOperatorMachineClientsResponse:
        caller = await self._caller(context)
        operator_id = await parse_uuid_field(request.operator_id, "operator_id", context)
        deleted = await machine_clients.delete(
            self._context.database, operator_id=operator_id, caller=caller
        )
        return pb.DeleteOperatorMachineClientsResponse(deleted_client_ids=deleted)


def client_service_registration(context: IdentityContext) -> Registration:
    """What identity's gRPC server registers (see grpc_api.start_grpc_server)."""
    servicer = ClientServicer(context)

    def register(server: aio.Server) -> None:
        pb_grpc.add_ClientServiceServicer_to_server(servicer, server)

    return register
