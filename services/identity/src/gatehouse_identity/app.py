"""Identity's HTTP application: the JSON API (OpenAPI at /docs), the OpenID Connect provider,
the web pages and the captcha images."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from gatehouse_common.http_app import create_service_app
from gatehouse_common.web_security import SecurityHeadersMiddleware
from gatehouse_identity.api import accounts, activity, captcha, mobile_app, second_factors
from gatehouse_identity.api import sessions as sessions_api
from gatehouse_identity.api import sign_in as sign_in_api
from gatehouse_identity.api.errors import install_error_handlers
from gatehouse_identity.audit.middleware import ClientInfoMiddleware
from gatehouse_identity.context import IdentityContext
from gatehouse_identity.mfa.runtime import MfaRuntime
from gatehouse_identity.oidc.install import install_oidc
from gatehouse_identity.throttling.middleware import ThrottlingMiddleware
from gatehouse_identity.web import (
    account_pages,
    activity_pages,
    application_pages,
    deletion_pages,
    eid_pages,
    enrolment_pages,
    my_data_pages,
    oidc_pages,
    second_factor_pages,
    security_pages,
    sign_in_pages,
    sign_in_report_pages,
)

API_ROUTERS = (accounts, captcha, sign_in_api, second_factors, mobile_app, sessions_api, activity)
PAGE_ROUTERS = (
    account_pages,
    sign_in_pages,
    sign_in_report_pages,
    second_factor_pages,
    security_pages,
    enrolment_pages,
    activity_pages,
    my_data_pages,
    deletion_pages,
    application_pages,
    eid_pages,
    oidc_pages,
)


def create_app(context: IdentityContext) -> FastAPI:
    app = create_service_app(
        service="identity",
        title="Gatehouse identity",
        version="0.1.0",
        readiness_checks=context.resources.readiness_checks(),
        max_request_bytes=context.settings.max_request_bytes,
        public_url=context.settings.public_url,
        json_prefixes=("/api/", "/oidc/admin/"),
    )
    app.state.context = context
    app.state.mfa = MfaRuntime.from_settings(context.settings)
    app.add_middleware(SecurityHeadersMiddleware, hsts=context.settings.hsts_header)
    app.add_middleware(ThrottlingMiddleware)
    app.add_middleware(ClientInfoMiddleware)  # where a request came from, for the audit log
    install_error_handlers(app)
    for module in (*API_ROUTERS, *PAGE_ROUTERS):
        app.include_router(module.router)
    install_oidc(app, context)
    app.mount(
        "/static", StaticFiles(directory=Path(__file__).parent / "web" / "static"), name="static"
    )
    return app
