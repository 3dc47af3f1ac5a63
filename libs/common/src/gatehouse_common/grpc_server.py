"""A gRPC server with what every Gatehouse service offers: health, reflection, service auth,
metrics, a message-size limit, the input boundary and TLS when certificates are configured."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import grpc
from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio
from grpc_reflection.v1alpha import reflection
from prometheus_client import Counter, Histogram

from gatehouse_common.grpc_tls import PLAINTEXT, GrpcTls, add_port
from gatehouse_common.input_boundary import unfit_in_message
from gatehouse_common.service_auth import ServiceAuthServerInterceptor
from gatehouse_common.tracing import TracingServerInterceptor, tracing_enabled

MAX_MESSAGE_BYTES = 1024 * 1024

GRPC_HANDLED = Counter(
    "gatehouse_grpc_server_handled_total",
    "gRPC calls completed by the server",
    ["service", "grpc_method", "grpc_code"],
)
GRPC_LATENCY = Histogram(
    "gatehouse_grpc_server_handling_seconds",
    "Time to answer a gRPC call",
    ["service", "grpc_method"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0),
)


async def parse_uuid_field(value: str, field: str, context: aio.ServicerContext) -> uuid.UUID:
    """A request's UUID field, or the call aborted with INVALID_ARGUMENT naming the field."""
    try:
        return uuid.UUID(value)
    except ValueError:
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"{field} must be a UUID")
        raise  # abort raises; this line satisfies the type checker


class _Undecodable:
    """Stands in for a request whose bytes are not the method's message."""

    def __init__(self, error: Exception) -> None:
        self.error = error


def _tolerant(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    # gRPC answers a request that fails to decode with INTERNAL/UNKNOWN; that is the client's
    # fault, so let the handler answer INVALID_ARGUMENT instead.
    if deserializer is None:
        return None

    def decode(data: bytes) -> Any:
        try:
            return deserializer(data)
        except Exception as error:  # noqa: BLE001  (protobuf raises several decode errors)
            return _Undecodable(error)

    return decode


class MetricsServerInterceptor(aio.ServerInterceptor):  # type: ignore[misc]
    """Counts and times every call, and answers INVALID_ARGUMENT for undecodable requests and
    for string fields no database can store (gatehouse_common.input_boundary)."""

    def __init__(self, service: str) -> None:
        self._service = service
        # method -> (the service's handler, the observed one): built once, not per call.
        self._observed: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        method: str = handler_call_details.method
        known = self._observed.get(method)
        if known is not None and known[0] is handler:
            return known[1]
        observed = self._observe(method, handler)
        self._observed[method] = (handler, observed)
        return observed

    def _observe(self, method: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        inner = handler.unary_unary
        service = self._service

        async def observed(request: Any, context: aio.ServicerContext) -> Any:
            started = time.perf_counter()
            code = "OK"
            try:
                if isinstance(request, _Undecodable):
                    await context.abort(
                        grpc.StatusCode.INVALID_ARGUMENT, "the request is not a valid message"
                    )
                unfit = unfit_in_message(request)
                if unfit is not None:
                    await context.abort(
                        grpc.StatusCode.INVALID_ARGUMENT, f"{unfit.field_name()}: {unfit.reason}"
                    )
                return await inner(request, context)
            except Exception:
                code = (context.code() or grpc.StatusCode.UNKNOWN).name
                raise
            finally:
                if context.code() not in (None, grpc.StatusCode.OK):
                    code = context.code().name
                GRPC_HANDLED.labels(service, method, code).inc()
                GRPC_LATENCY.labels(service, method).observe(time.perf_counter() - started)

        return grpc.unary_unary_rpc_method_handler(
            observed,
            request_deserializer=_tolerant(handler.request_deserializer),
            response_serializer=handler.response_serializer,
        )


Registration = Callable[[aio.Server], None]


async def start_grpc_server(
    *,
    service: str,
    host: str,
    port: int,
    registrations: Sequence[Registration],
    service_names: Sequence[str],
    auth_secret: bytes | Sequence[bytes],  # current first, then previous (during a rotation)
    tls: GrpcTls = PLAINTEXT,
) -> aio.Server:
    """Start serving; `service_names` are the full names reported by health and reflection."""
    interceptors: list[aio.ServerInterceptor] = [
        ServiceAuthServerInterceptor(auth_secret),
        MetricsServerInterceptor(service),
    ]
    if tracing_enabled():  # first, so that refused calls are traced too
        interceptors.insert(0, TracingServerInterceptor())
    server = aio.server(
        interceptors=interceptors,
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            # Several processes may serve one port (gatehouse_common.grpc_workers); grpcio's
            # default on Linux, said here because GRPC_WORKERS depends on it.
            ("grpc.so_reuseport", 1),
        ],
    )
    for register in registrations:
        register(server)
    health = health_aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    for name in (*service_names, ""):
        await health.set(name, health_pb2.HealthCheckResponse.SERVING)
    reflection.enable_server_reflection(
        (
            *service_names,
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
            reflection.SERVICE_NAME,
        ),
        server,
    )
    add_port(server, f"{host}:{port}", tls)
    await server.start()
    return server
