"""What the OIDC endpoints share within one identity process."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from fastapi import Request

from gatehouse_identity.context import IdentityContext
from gatehouse_identity.oidc.access_tokens import AccessTokenIssuer
from gatehouse_identity.oidc.client_jwks import JwksCache
from gatehouse_identity.oidc.dpop import DPoPChecker, NonceSource
from gatehouse_identity.oidc.grants import TokenLifetimes
from gatehouse_identity.oidc.keys import KeyStore


@dataclass
class OidcRuntime:
    context: IdentityContext
    keys: KeyStore
    access_tokens: AccessTokenIssuer
    dpop: DPoPChecker
    # Keys of private_key_jwt clients that publish them at a jwks_uri (client_assertions.py).
    client_jwks: JwksCache

    @classmethod
    def create(cls, context: IdentityContext) -> OidcRuntime:
        settings = context.settings
        keys = KeyStore(
            context.database, settings, secret_key=settings.secret_key.get_secret_value()
        )
        access_tokens = AccessTokenIssuer(
            keys,
            issuer=settings.public_url.rstrip("/"),
            audience=settings.oidc_access_token_audience,
            format=settings.oidc_access_token_format,
        )
        nonces = NonceSource.from_secret(settings.secret_key.get_secret_value())
        return cls(
            context=context,
            keys=keys,
            access_tokens=access_tokens,
            dpop=DPoPChecker(context.database, nonces),
            client_jwks=JwksCache(),
        )

    @property
    def issuer(self) -> str:
        return self.context.settings.public_url.rstrip("/")

    def endpoint(self, path: str) -> str:
        """The public URI of one of identity's endpoints (what `htu` and `aud` name)."""
        return f"{self.issuer}{path}"

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
