"""The registry's HTTP application: the JSON API (OpenAPI at /docs) for operators, role requests,
users and the audit trail."""

from __future__ import annotations

from fastapi import FastAPI

from gatehouse_common.http_app import create_service_app
from gatehouse_common.web_security import SecurityHeadersMiddleware
from gatehouse_registry.api_errors import install_error_handlers
from gatehouse_registry.audit.api import router as audit_api
from gatehouse_registry.auth.install import install_auth
from gatehouse_registry.context import RegistryContext
from gatehouse_registry.operators.api import router as operators_api
from gatehouse_registry.reference_data.api import router as reference_data_api
from gatehouse_registry.roles.api import router as roles_api
from gatehouse_registry.users.api import router as users_api
from gatehouse_registry.users.service import record_sign_in
from gatehouse_registry.web.pages import router as web_pages
from gatehouse_registry.web_services.api import router as web_services_api
from gatehouse_registry.web_services.machine_api import router as machine_api


def create_app(context: RegistryContext) -> FastAPI:
    app = create_service_app(
        service="registry",
        title="Gatehouse registry",
        version="0.1.0",
        readiness_checks=context.resources.readiness_checks(),
        max_request_bytes=context.settings.max_request_bytes,
        public_url=context.settings.public_url,
    )
    app.state.context = context
    app.add_middleware(SecurityHeadersMiddleware, hsts=context.settings.hsts_header)
    install_error_handlers(app)
    install_auth(app, context, record_sign_in=record_sign_in)
    for router in (
        reference_data_api,
        operators_api,
        roles_api,
        users_api,
        audit_api,
        web_services_api,
        machine_api,
        web_pages,
    ):
        app.include_router(router)
    return app
