"""The registry's HTTP application (its domain arrives with the registry issue)."""

from __future__ import annotations

from fastapi import FastAPI

from gatehouse_common.http_app import create_service_app
from gatehouse_registry.context import RegistryContext


def create_app(context: RegistryContext) -> FastAPI:
    return create_service_app(
        service="registry",
        title="Gatehouse registry",
        version="0.1.0",
        readiness_checks=context.resources.readiness_checks(),
        max_request_bytes=context.settings.max_request_bytes,
    )
