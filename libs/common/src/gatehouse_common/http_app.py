"""The FastAPI application every service starts from: logs, metrics, health, size limit, the
input boundary, and validation errors that never echo what cannot be encoded."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gatehouse_common.cross_origin import JSON_PREFIXES, CrossOriginMiddleware
from gatehouse_common.health import ReadinessCheck, health_router
from gatehouse_common.input_boundary import InputBoundaryMiddleware, shown
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
    public_url: str | None = None,
    json_prefixes: tuple[str, ...] = JSON_PREFIXES,
) -> FastAPI:
    """`public_url`: the origin browsers see the service at (origin checks); `json_prefixes`:
    where the JSON endpoints are (they take no other body type)."""
    app = FastAPI(title=title, version=version)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    # Innermost of these (metrics count their refusals): first where a request comes from,
    # then what text it carries.
    app.add_middleware(InputBoundaryMiddleware)
    app.add_middleware(CrossOriginMiddleware, public_url=public_url, json_prefixes=json_prefixes)
    app.add_middleware(MetricsMiddleware, service=service)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=max_request_bytes)
    if tracing_enabled():  # outermost: the span covers every other middleware
        app.add_middleware(TracingMiddleware)
    app.include_router(health_router(readiness_checks))
    app.include_router(metrics_router())
    return app


async def validation_error_handler(_request: Request, error: Exception) -> JSONResponse:
    """FastAPI's own 422 shape; the offending input is echoed only when it can be encoded (a
    body that is not UTF-8 in a text/plain request used to make the echo itself fail: 500)."""
    assert isinstance(error, RequestValidationError)  # noqa: S101  (registered for it only)
    return JSONResponse({"detail": [_echoable(detail) for detail in error.errors()]}, 422)


def _echoable(detail: Mapping[str, Any]) -> dict[str, Any]:
    location = [shown(part) if isinstance(part, str) else part for part in detail.get("loc", ())]
    safe: dict[str, Any] = {"type": detail.get("type"), "loc": location, "msg": detail.get("msg")}
    for key in ("input", "ctx"):
        if key not in detail:
            continue
        try:
            value = jsonable_encoder(detail[key])
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except (TypeError, ValueError):  # UnicodeError is a ValueError
            continue
        safe[key] = value
    return safe
