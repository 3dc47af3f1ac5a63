"""The FastAPI application every service starts from: logs, metrics, health, size limit."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gatehouse_common.health import ReadinessCheck, health_router
from gatehouse_common.logs import RequestIdMiddleware
from gatehouse_common.metrics import MetricsMiddleware, metrics_router
from gatehouse_common.tracing import TracingMiddleware, tracing_enabled


class RequestTooLargeError(Exception):
    pass


class BodySizeLimitMiddleware:
    """Answers 413 for bodies over the limit, declared or streamed, before anything parses them."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _send_too_large(send, self.max_bytes)
            return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise RequestTooLargeError
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except RequestTooLargeError:
            if not response_started:
                await _send_too_large(send, self.max_bytes)


async def _send_too_large(send: Send, max_bytes: int) -> None:
    body = f'{{"detail":"request body larger than {max_bytes} bytes"}}'.encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def create_service_app(
    *,
    service: str,
    title: str,
    version: str,
    readiness_checks: Mapping[str, ReadinessCheck],
    max_request_bytes: int,
) -> FastAPI:
    app = FastAPI(title=title, version=version)
    app.add_middleware(MetricsMiddleware, service=service)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=max_request_bytes)
    if tracing_enabled():  # outermost: the span covers every other middleware
        app.add_middleware(TracingMiddleware)
    app.include_router(health_router(readiness_checks))
    app.include_router(metrics_router())
    return app
