"""Identity's HTTP application: the accounts JSON API, the web pages and the captcha images."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from gatehouse_common.http_app import create_service_app
from gatehouse_common.web_security import SecurityHeadersMiddleware
from gatehouse_identity.accounts.api import router as accounts_api
from gatehouse_identity.audit.api import router as audit_api
from gatehouse_identity.audit.middleware import ClientInfoMiddleware
from gatehouse_identity.audit.pages import router as audit_pages
from gatehouse_identity.captcha.views import router as captcha_views
from gatehouse_identity.context import IdentityContext
from gatehouse_identity.errors import install_error_handlers
from gatehouse_identity.mfa.api import router as mfa_api
from gatehouse_identity.mfa.errors import install_mfa_error_handlers
from gatehouse_identity.mfa.pages import router as mfa_pages
from gatehouse_identity.oidc.install import install_oidc
from gatehouse_identity.throttling.middleware import ThrottlingMiddleware
from gatehouse_identity.web.pages import router as web_pages


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
    app.add_middleware(SecurityHeadersMiddleware, hsts=context.settings.hsts_header)
    app.add_middleware(ThrottlingMiddleware)
    app.add_middleware(ClientInfoMiddleware)  # where a request came from, for the audit log
    install_error_handlers(app)
    install_mfa_error_handlers(app)
    app.include_router(accounts_api)
    app.include_router(captcha_views)
    app.include_router(web_pages)
    app.include_router(mfa_api)
    app.include_router(mfa_pages)
    app.include_router(audit_api)
    app.include_router(audit_pages)
    install_oidc(app, context)
    app.mount(
        "/static", StaticFiles(directory=Path(__file__).parent / "web" / "static"), name="static"
    )
    return app
