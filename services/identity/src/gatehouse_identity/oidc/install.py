"""Wiring the OIDC provider and eID sign-in into identity's HTTP application: the protocol's
own endpoints here (discovery, tokens, client administration); its pages are web/'s."""

from __future__ import annotations

from fastapi import FastAPI

from gatehouse_common.cross_origin import allow_cross_origin
from gatehouse_identity.context import IdentityContext
from gatehouse_identity.oidc import admin_api, discovery, token_endpoint
from gatehouse_identity.oidc.eid.upstream import UpstreamClient
from gatehouse_identity.oidc.runtime import OidcRuntime

# OpenID Connect endpoints that relying parties reach from their own origin by design.
CROSS_ORIGIN_ENDPOINTS = {
    "/oidc/token": "relying parties call it from their servers and authenticate as the client "
    "(RFC 6749 §3.2); the user's cookies play no part",
    "/oidc/revoke": "relying parties call it as the client (RFC 7009); cookies play no part",
    "/oidc/par": "relying parties push authorization requests from their servers as the client "
    "(RFC 9126); cookies play no part",
    "/oidc/userinfo": "authorised by the bearer access token only (OIDC Core §5.3), never by "
    "cookies",
    "/oidc/authorize": "OIDC Core §3.1.2.1 lets a relying party send the authorization request "
    "as a form POST from its own page; it starts a sign-in, as the GET any site may link to does",
    "/oidc/logout": "RP-initiated logout lets a relying party POST from its own page; it signs "
    "out only with an ID token of this very session, else it shows identity's own confirmation",
}


def install_oidc(app: FastAPI, context: IdentityContext) -> None:
    app.state.oidc = OidcRuntime.create(context)
    app.state.eid_upstream = UpstreamClient(timeout_s=context.settings.eid_http_timeout_s)
    for module in (discovery, token_endpoint, admin_api):
        app.include_router(module.router)
    for path, reason in CROSS_ORIGIN_ENDPOINTS.items():
        allow_cross_origin(app, path, reason=reason)
