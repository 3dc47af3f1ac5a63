"""OpenTelemetry traces across HTTP → gRPC → NATS; off unless TRACING_ENABLED is true.

`configure_tracing` installs a TracerProvider (OTLP over HTTP, honouring the standard
OTEL_EXPORTER_OTLP_* variables, or JSON lines on stdout with TRACING_EXPORTER=console) and the
W3C trace-context propagator. Once it has run, `create_service_app` adds an HTTP server-span
middleware, `start_grpc_server` a server-span interceptor and `authenticated_channel` a
client-span interceptor that puts `traceparent` into the call's metadata. Events carry the trace
context as NATS headers: `add_event` stores `inject_trace_headers()` with the outbox row, and
consumers open their span with `consumer_span(name, event.extra_headers)`.

Off (the default), nothing is installed and the helpers cost one boolean check.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import grpc
from grpc import aio
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from gatehouse_common.settings import ServiceSettings

TRACER_NAME = "gatehouse"
TRACE_HEADERS = ("traceparent", "tracestate")

_enabled = False


def tracing_enabled() -> bool:
    return _enabled


def configure_tracing(settings: ServiceSettings, service_name: str) -> bool:
    """Install tracing if the settings turn it on; returns whether they did."""
    global _enabled  # noqa: PLW0603  (one switch for the whole process, set once at start)
    if not settings.tracing_enabled:
        return False
    # Imported here so that a process with tracing off never loads the SDK.
    from opentelemetry.sdk.resources import Resource  # noqa: PLC0415
    from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
    from opentelemetry.sdk.trace.export import (  # noqa: PLC0415
        BatchSpanProcessor,
        ConsoleSpanExporter,
        SimpleSpanProcessor,
    )

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if settings.tracing_exporter == "console":
        exporter = ConsoleSpanExporter(
            out=sys.stdout, formatter=lambda span: span.to_json(indent=None) + "\n"
        )
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
            OTLPSpanExporter,
        )

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    propagate.set_global_textmap(TraceContextTextMapPropagator())
    _enabled = True
    return True


def _tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER_NAME)


def inject_trace_headers() -> dict[str, str]:
    """The current trace context as W3C headers; empty when tracing is off or no span is on."""
    if not _enabled:
        return {}
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return {name: value for name, value in carrier.items() if name in TRACE_HEADERS}


def extract_context(headers: Mapping[str, str] | None) -> Context | None:
    """The trace context carried by `headers` (NATS headers, gRPC metadata), or None."""
    if not _enabled or not headers:
        return None
    carrier = {name.lower(): value for name, value in headers.items() if isinstance(value, str)}
    return propagate.extract(carrier)


def consumer_span(
    name: str, headers: Mapping[str, str] | None, attributes: Mapping[str, str] | None = None
) -> AbstractContextManager[Span | None]:
    """A CONSUMER span, child of the context in an event's headers; a no-op when off."""
    if not _enabled:
        return contextlib.nullcontext()
    return _span(name, SpanKind.CONSUMER, extract_context(headers), attributes)


@contextlib.contextmanager
def _span(
    name: str, kind: SpanKind, parent: Context | None, attributes: Mapping[str, str] | None
) -> Iterator[Span | None]:
    with _tracer().start_as_current_span(
        name, context=parent, kind=kind, attributes=dict(attributes or {})
    ) as span:
        yield span


# --- HTTP ---------------------------------------------------------------------------------


class TracingMiddleware:
    """A SERVER span per HTTP request, child of the caller's `traceparent` if it sent one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {
            key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]
        }
        method = str(scope.get("method", "GET"))
        with _tracer().start_as_current_span(
            method,
            context=propagate.extract(headers),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "url.path": str(scope.get("path", ""))},
        ) as span:

            async def traced_send(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status = int(message["status"])
                    span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        span.set_status(Status(StatusCode.ERROR))
                await send(message)

            try:
                await self.app(scope, receive, traced_send)
            finally:
                route = getattr(scope.get("route"), "path", None)
                if isinstance(route, str):
                    span.set_attribute("http.route", route)
                    span.update_name(f"{method} {route}")


# --- gRPC ---------------------------------------------------------------------------------


class TracingServerInterceptor(aio.ServerInterceptor):  # type: ignore[misc]
    """A SERVER span per unary call, child of the `traceparent` in the call's metadata."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        method: str = handler_call_details.method
        metadata = {
            str(key): str(value) for key, value in handler_call_details.invocation_metadata or ()
        }
        inner = handler.unary_unary

        async def traced(request: Any, context: aio.ServicerContext) -> Any:
            with _tracer().start_as_current_span(
                method.lstrip("/"),
                context=propagate.extract(metadata),
                kind=SpanKind.SERVER,
                attributes={"rpc.system": "grpc", "rpc.method": method},
            ) as span:
                try:
                    return await inner(request, context)
                finally:
                    code = context.code()
                    if code not in (None, grpc.StatusCode.OK):
                        span.set_attribute("rpc.grpc.status_code", code.value[0])
                        span.set_status(Status(StatusCode.ERROR, code.name))

        return grpc.unary_unary_rpc_method_handler(
            traced,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


class TracingClientInterceptor(aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    """A CLIENT span per unary call; its context travels in the call's metadata."""

    async def intercept_unary_unary(
        self,
        continuation: Callable[[aio.ClientCallDetails, Any], Awaitable[Any]],
        client_call_details: aio.ClientCallDetails,
        request: Any,
    ) -> Any:
        method = client_call_details.method
        name = method.decode() if isinstance(method, bytes) else str(method)
        with _tracer().start_as_current_span(
            name.lstrip("/"),
            kind=SpanKind.CLIENT,
            attributes={"rpc.system": "grpc", "rpc.method": name},
        ) as span:
            metadata = list(client_call_details.metadata or ())
            carrier: dict[str, str] = {}
            propagate.inject(carrier)
            metadata.extend(carrier.items())
            details = aio.ClientCallDetails(
                method=client_call_details.method,
                timeout=client_call_details.timeout,
                metadata=aio.Metadata(*metadata),
                credentials=client_call_details.credentials,
                wait_for_ready=client_call_details.wait_for_ready,
            )
            call = await continuation(details, request)
            try:
                await call  # the span lasts until the answer; awaiting again returns it cached
            except aio.AioRpcError as error:
                span.set_attribute("rpc.grpc.status_code", error.code().value[0])
                span.set_status(Status(StatusCode.ERROR, error.code().name))
            return call
