"""What the sign-in code shares within one registry process."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from fastapi import Request

from gatehouse_common.db import Database
from gatehouse_registry.auth.access_tokens import AccessTokenVerifier
from gatehouse_registry.auth.dpop import ProofChecker
from gatehouse_registry.auth.identity_grpc import IdentityGrpc
from gatehouse_registry.auth.oidc_client import IdentityClient
from gatehouse_registry.auth.revocations import RevocationList
from gatehouse_registry.context import RegistryContext
from gatehouse_registry.settings import RegistrySettings

# Session levels, weakest first (identity's accounts.sessions.AuthLevel).
LEVELS = ("password", "multi_factor", "phishing_resistant")


def satisfies(have: str, need: str) -> bool:
    return have in LEVELS and need in LEVELS and LEVELS.index(have) >= LEVELS.index(need)


class SignInRecorder(Protocol):
    """Keeps the registry's copy of a person in step with identity at each sign-in (given by the
    application: users.service.record_sign_in, a capability above this package)."""

    async def __call__(
        self,
        database: Database,
        *,
        user_id: uuid.UUID,
        full_name: str,
        email: str,
        signed_in_at: datetime,
    ) -> None: ...


@dataclass
class AuthRuntime:
    settings: RegistrySettings
    database: Database
    identity: IdentityClient
    grpc: IdentityGrpc
    record_sign_in: SignInRecorder
    revocations: RevocationList
    access_tokens: AccessTokenVerifier
    dpop: ProofChecker

    @classmethod
    def create(cls, context: RegistryContext, *, record_sign_in: SignInRecorder) -> AuthRuntime:
        settings = context.settings
        identity = IdentityClient(settings, issuer=settings.identity_public_url)
        revocations = RevocationList(
            context.resources.database, keep_for_s=settings.access_token_max_lifetime_s
        )
        return cls(
            settings=settings,
            database=context.database,
            record_sign_in=record_sign_in,
            revocations=revocations,
            access_tokens=AccessTokenVerifier(
                identity,
                revocations,
                audience=settings.access_token_audience,
                client_ids=settings.api_client_ids or [settings.oidc_client_id],
                max_lifetime_s=settings.access_token_max_lifetime_s,
            ),
            identity=identity,
            dpop=ProofChecker(settings.public_url),
            grpc=IdentityGrpc(
                target=settings.identity_grpc_target,
                secret=settings.service_auth_secret.get_secret_value().encode(),
                timeout_s=settings.identity_grpc_timeout_s,
                cache_s=settings.introspection_cache_s,
                tls=settings.grpc_tls,
            ),
        )

    @property
    def redirect_uri(self) -> str:
        return self.settings.public_url.rstrip("/") + "/auth/callback"

    @property
    def post_logout_redirect_uri(self) -> str:
        return self.settings.public_url.rstrip("/") + "/"

    @property
    def idle_timeout(self) -> timedelta:
        return timedelta(seconds=self.settings.session_idle_timeout_s)

    @property
    def api_client_ids(self) -> list[str]:
        return self.settings.api_client_ids or [self.settings.oidc_client_id]


def auth_runtime(request: Request) -> AuthRuntime:
    runtime: AuthRuntime = request.app.state.auth
    return runtime
