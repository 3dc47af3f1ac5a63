"""Wiring the OIDC provider and eID sign-in into identity's HTTP application."""

from __future__ import annotations

from fastapi import FastAPI

from gatehouse_identity.context import IdentityContext
from gatehouse_identity.oidc import (
    account,
    admin_api,
    authorize,
    discovery,
    logout,
    token_endpoint,
)
from gatehouse_identity.oidc.eid import routes as eid_routes
from gatehouse_identity.oidc.eid.upstream import UpstreamClient
from gatehouse_identity.oidc.runtime import OidcRuntime


def install_oidc(app: FastAPI, context: IdentityContext) -> None:
    app.state.oidc = OidcRuntime.create(context)
    app.state.eid_upstream = UpstreamClient(timeout_s=context.settings.eid_http_timeout_s)
    for module in (discovery, authorize, token_endpoint, logout, account, admin_api, eid_routes):
        app.include_router(module.router)
