"""The notifier's HTTP application: health, readiness and metrics only."""

from __future__ import annotations

from fastapi import FastAPI

from gatehouse_common.http_app import create_service_app
from gatehouse_notifier.context import NotifierContext


def create_app(context: NotifierContext) -> FastAPI:
    return create_service_app(
        service="notifier",
        title="Gatehouse notifier",
        version="0.1.0",
        readiness_checks=context.readiness_checks(),
        max_request_bytes=context.settings.max_request_bytes,
    )
