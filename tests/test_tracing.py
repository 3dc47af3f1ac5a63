"""OpenTelemetry traces across HTTP → gRPC → NATS (issue 7): one trace id links the request
that created an account, the notifier's handling of the event it published (the trace context
travels in NATS headers) and the gRPC calls the notifier made back to identity."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry import trace

from gatehouse_common import tracing
from gatehouse_common.http_app import create_service_app
from gatehouse_common.settings import Environment, ServiceSettings
from gatehouse_devstack.components import ServiceProcess
from gatehouse_devstack.mailbox_client import MailboxClient
from gatehouse_devstack.stack import Stack, free_ports
from tests.journeys import request_account, unique_email

TRACING_ON = {"TRACING_ENABLED": "true", "TRACING_EXPORTER": "console"}


def test_tracing_off_installs_nothing() -> None:
    settings = ServiceSettings(gatehouse_environment=Environment.TEST)
    assert settings.tracing_enabled is False

    assert tracing.configure_tracing(settings, "identity") is False

    assert not tracing.tracing_enabled()
    assert "opentelemetry.sdk.trace" not in sys.modules or not isinstance(
        trace.get_tracer_provider(), sys.modules["opentelemetry.sdk.trace"].TracerProvider
    )
    assert tracing.inject_trace_headers() == {}
    assert (
        tracing.extract_context({"traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01"}) is None
    )
    with tracing.consumer_span("x", {}) as span:
        assert span is None
    app = create_service_app(
        service="identity", title="t", version="0", readiness_checks={}, max_request_bytes=1024
    )
    assert all("Tracing" not in repr(middleware) for middleware in app.user_middleware)


def _spans(log_path: Path) -> list[dict[str, Any]]:
    spans = []
    for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and "trace_id" in record.get("context", {}):
            spans.append(record)
    return spans


@pytest.fixture
def traced_services(stack: Stack) -> Iterator[tuple[ServiceProcess, ServiceProcess]]:
    """An identity and a notifier with console tracing, the notifier calling that identity.

    The stack's notifier is stopped meanwhile: both would pull from one durable consumer, and
    which of them handles the event would be chance."""
    identity_http, identity_grpc, notifier_http = free_ports(3)
    identity = ServiceProcess(
        "identity-traced",
        "gatehouse_identity",
        stack.env_for("identity")
        | TRACING_ON
        | {"HTTP_PORT": str(identity_http), "GRPC_PORT": str(identity_grpc)},
        log_path=stack.logs_dir / "identity-traced.log",
        python=sys.executable,
    )
    notifier = ServiceProcess(
        "notifier-traced",
        "gatehouse_notifier",
        stack.env_for("notifier")
        | TRACING_ON
        | {
            "HTTP_PORT": str(notifier_http),
            "IDENTITY_GRPC_TARGET": f"127.0.0.1:{identity_grpc}",
        },
        log_path=stack.logs_dir / "notifier-traced.log",
        python=sys.executable,
    )
    identity.start()
    stack.stop_component("notifier")
    try:
        notifier.start()
        try:
            yield identity, notifier
        finally:
            notifier.stop()
    finally:
        identity.stop()
        stack.start_component("notifier")


@pytest.mark.stack
def test_one_trace_links_http_event_and_grpc(
    stack: Stack,
    mailbox: MailboxClient,
    traced_services: tuple[ServiceProcess, ServiceProcess],
) -> None:
    identity, notifier = traced_services
    email = unique_email()
    with httpx.Client(base_url=identity.url, timeout=30) as client:
        assert request_account(client, email=email).status_code == 202
    mailbox.wait_for(to=email)

    deadline = time.monotonic() + 10
    while True:
        identity_spans = _spans(identity.log_path)
        notifier_spans = _spans(notifier.log_path)
        http = [
            span
            for span in identity_spans
            if span["kind"] == "SpanKind.SERVER" and span["name"] == "POST /api/v1/accounts"
        ]
        handling = [
            span
            for span in notifier_spans
            if span["kind"] == "SpanKind.CONSUMER" and span["name"].startswith("notifier handle")
        ]
        trace_ids = {span["context"]["trace_id"] for span in http} & {
            span["context"]["trace_id"] for span in handling
        }
        grpc_calls = [
            span
            for span in identity_spans
            if span["kind"] == "SpanKind.SERVER"
            and span["context"]["trace_id"] in trace_ids
            and span["name"].startswith("gatehouse.identity.")
        ]
        if grpc_calls or time.monotonic() > deadline:
            break
        time.sleep(0.2)

    assert http, "identity wrote no HTTP server span for POST /api/v1/accounts"
    assert handling, "the notifier wrote no span for handling the event"
    assert len(trace_ids) == 1, "the event's handling is not in the HTTP request's trace"
    (trace_id,) = trace_ids
    methods = {span["name"].rsplit("/", 1)[-1] for span in grpc_calls}
    # The notifier looks users up and makes password links per batch of events (issue 17).
    assert methods & {"BatchCreatePasswordLinks", "BatchGetUsers"}, (
        f"no identity gRPC server span in trace {trace_id}"
    )
    # Parent links: the consumer span hangs under the HTTP span's trace; the gRPC server spans
    # under the notifier's client spans.
    client_ids = {
        span["context"]["span_id"]
        for span in notifier_spans
        if span["kind"] == "SpanKind.CLIENT" and span["context"]["trace_id"] == trace_id
    }
    assert all(span["parent_id"] in client_ids for span in grpc_calls)
    assert all(span["resource"]["attributes"]["service.name"] == "identity" for span in http)
