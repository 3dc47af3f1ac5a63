"""A registered relying party as the provider uses it (oidc/clients.py holds the rules of
registering and authenticating one, oidc/client_queries.py its SQL)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from gatehouse_identity.levels import Level

DEFAULT_GRANT_TYPES = ("authorization_code", "refresh_token")


@dataclass(frozen=True)
class Client:
    client_id: str
    name: str
    public: bool
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    backchannel_logout_uri: str | None
    min_level: Level
    first_party: bool
    scopes: list[str]
    grant_types: list[str] = field(default_factory=lambda: list(DEFAULT_GRANT_TYPES))
    jwks: dict[str, Any] | None = None
    jwks_uri: str | None = None
    require_pushed_authorization_requests: bool = False
    dpop_bound_access_tokens: bool = False
    # The registry operator a machine client speaks for (its tokens' `operator_id` claim).
    operator_id: uuid.UUID | None = None

    @property
    def uses_private_key_jwt(self) -> bool:
        return self.jwks is not None or self.jwks_uri is not None

    @property
    def auth_method(self) -> str:
        if self.uses_private_key_jwt:
            return "private_key_jwt"
        return "none" if self.public else "client_secret_basic"

    def as_dict(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "name": self.name,
            "public": self.public,
            "token_endpoint_auth_method": self.auth_method,
            "grant_types": self.grant_types,
            "jwks": self.jwks,
            "jwks_uri": self.jwks_uri,
            "require_pushed_authorization_requests": self.require_pushed_authorization_requests,
            "dpop_bound_access_tokens": self.dpop_bound_access_tokens,
            "redirect_uris": self.redirect_uris,
            "post_logout_redirect_uris": self.post_logout_redirect_uris,
            "backchannel_logout_uri": self.backchannel_logout_uri,
            "min_level": self.min_level,
            "first_party": self.first_party,
            "scopes": self.scopes,
            "operator_id": str(self.operator_id) if self.operator_id else None,
        }
