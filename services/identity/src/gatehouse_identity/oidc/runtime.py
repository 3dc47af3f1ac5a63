"""What the OIDC endpoints share within one identity process."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from fastapi import Request

from gatehouse_identity.context import IdentityContext
from gatehouse_identity.oidc.access_tokens import AccessTokenIssuer
from gatehouse_identity.oidc.grants import TokenLifetimes
from gatehouse_identity.oidc.keys import KeyStore


@dataclass
class OidcRuntime:
    context: IdentityContext
    keys: KeyStore
    access_tokens: AccessTokenIssuer

    @classmethod
    def create(cls, context: IdentityContext) -> OidcRuntime:
        settings = context.settings
        keys = KeyStore(context.pool, settings, secret_key=settings.secret_key.get_secret_value())
        access_tokens = AccessTokenIssuer(
            keys,
            issuer=settings.public_url.rstrip("/"),
            audience=settings.oidc_access_token_audience,
            format=settings.oidc_access_token_format,
        )
        return cls(context=context, keys=keys, access_tokens=access_tokens)

    @property
    def issuer(self) -> str:
        return self.context.settings.public_url.rstrip("/")

    @property
    def lifetimes(self) -> TokenLifetimes:
        settings = self.context.settings
        return TokenLifetimes(
            code=timedelta(seconds=settings.oidc_code_ttl_s),
            access=timedelta(seconds=settings.oidc_access_token_ttl_s),
            refresh=timedelta(seconds=settings.oidc_refresh_token_ttl_s),
        )


def oidc_runtime(request: Request) -> OidcRuntime:
    runtime: OidcRuntime = request.app.state.oidc
    return runtime
