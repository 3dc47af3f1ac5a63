"""Wiring sign-in into the registry's HTTP application."""

from __future__ import annotations

from fastapi import FastAPI

from gatehouse_common.cross_origin import allow_cross_origin
from gatehouse_registry.auth.api import router
from gatehouse_registry.auth.runtime import AuthRuntime, SignInRecorder
from gatehouse_registry.context import RegistryContext


def install_auth(app: FastAPI, context: RegistryContext, *, record_sign_in: SignInRecorder) -> None:
    """The sign-in runtime and the machine endpoints; the pages are web/sign_in_pages.py."""
    app.state.auth = AuthRuntime.create(context, record_sign_in=record_sign_in)
    app.include_router(router)
    allow_cross_origin(
        app,
        "/auth/backchannel-logout",
        reason="identity's server POSTs a signed logout token (OIDC Back-Channel Logout 1.0); "
        "no browser and no cookie is involved",
    )
