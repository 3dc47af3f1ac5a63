"""Registry settings (environment variables): the service's own, and signing in through identity
(mixed in, so the sign-in code reads only what it needs)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

from gatehouse_common.settings import ServiceSettings


class RegistryAuthSettings(BaseSettings):
    # The registry's client at identity (registered with `gatehouse_identity clients create`).
    oidc_client_id: str = "registry"
    oidc_client_secret: SecretStr = SecretStr("change-me-registry-oidc-client-secret")
    oidc_scopes: str = "openid profile email"
    # Where the registry itself reaches identity's HTTP endpoints (token, JWKS, userinfo) when
    # that differs from IDENTITY_PUBLIC_URL, the issuer browsers see (e.g. inside a container
    # network). Empty: the public URL.
    identity_internal_url: str = ""
    # The weakest sign-in the registry accepts (sent as acr_values; the ID token must carry it).
    required_level: str = "multi_factor"
    session_cookie_name: str = "__Host-registry_session"
    session_idle_timeout_s: int = Field(default=30 * 60, ge=60)
    session_absolute_timeout_s: int = Field(default=8 * 3600, ge=300)
    login_state_ttl_s: int = Field(default=600, ge=60)
    # How long an IntrospectToken answer is reused (tokens revoked meanwhile still work this long).
    # Only opaque access tokens are introspected; JWT access tokens are verified here.
    introspection_cache_s: float = Field(default=30.0, ge=0)
    # The `aud` identity writes into JWT access tokens for the registry (identity's
    # OIDC_ACCESS_TOKEN_AUDIENCE).
    access_token_audience: str = Field(default="urn:gatehouse:registry", min_length=1)
    # JWT access tokens meant to live longer than this are refused (identity's
    # OIDC_ACCESS_TOKEN_TTL_S is at most an hour); revocations are kept this long.
    access_token_max_lifetime_s: int = Field(default=3600, ge=60, le=24 * 3600)
    # Clients whose access tokens the JSON API accepts; empty: only OIDC_CLIENT_ID's.
    api_client_ids: list[str] = Field(default_factory=list)
    identity_grpc_timeout_s: float = Field(default=3.0, gt=0)
    identity_http_timeout_s: float = Field(default=10.0, gt=0)


class RegistrySettings(ServiceSettings, RegistryAuthSettings):
    service_name: str = "registry"
    http_port: int = 8002
    grpc_port: int = 50052
    public_url: str = "http://127.0.0.1:8002"
    identity_public_url: str = "http://127.0.0.1:8001"
    identity_grpc_target: str = "127.0.0.1:50051"
    secret_key: SecretStr = SecretStr("change-me-registry-secret-key")
    # A registry account unused this many months becomes inactive; users are warned by e-mail
    # `inactivity_warning_days` before, and the check runs every `inactivity_check_interval_s`.
    inactivity_months: int = Field(default=4, ge=1, le=60)
    inactivity_warning_days: int = Field(default=14, ge=1, le=90)
    inactivity_check_interval_s: float = Field(default=3600.0, gt=0)
    # Times on pages are shown in this zone with its abbreviation (CET/CEST): the registry's
    # users are those of one country's authorities and operators.
    display_timezone: str = "Europe/Stockholm"
    # The registry's own durable JetStream consumer of identity's events (devices reset).
    identity_events_consumer: str = "registry"
