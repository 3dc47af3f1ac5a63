"""The registry's gRPC server (gatehouse.registry.v1); methods arrive with the registry issue."""

from __future__ import annotations

import grpc
from grpc import aio

from gatehouse.registry.v1 import operator_service_pb2 as pb
from gatehouse.registry.v1 import operator_service_pb2_grpc as pb_grpc
from gatehouse_common.grpc_server import start_grpc_server as start_server
from gatehouse_registry.context import RegistryContext


class OperatorServicer(pb_grpc.OperatorServiceServicer):
    def __init__(self, context: RegistryContext) -> None:
        self._context = context

    async def GetOperator(  # noqa: N802  (gRPC method name)
        self, request: pb.GetOperatorRequest, context: aio.ServicerContext
    ) -> pb.GetOperatorResponse:
        await context.abort(grpc.StatusCode.NOT_FOUND, f"no operator {request.operator_id!r}")
        raise AssertionError("unreachable")  # abort raises


async def start_grpc_server(context: RegistryContext) -> aio.Server:
    servicer = OperatorServicer(context)
    settings = context.settings
    return await start_server(
        service="registry",
        host=settings.http_host,
        port=settings.grpc_port,
        registrations=[
            lambda server: pb_grpc.add_OperatorServiceServicer_to_server(servicer, server)
        ],
        service_names=[pb.DESCRIPTOR.services_by_name["OperatorService"].full_name],
        auth_secret=settings.service_auth_secret.get_secret_value().encode(),
    )
