"""Settings every service shares, read from environment variables (pydantic-settings).

Each service subclasses `ServiceSettings` with its own fields. Secrets that still hold a
placeholder value are refused outside development and test, so a forgotten `.env` line cannot
reach production.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from gatehouse_common.grpc_tls import GrpcTls

PLACEHOLDER_MARKERS = ("change-me", "changeme", "placeholder", "insecure", "example")


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    service_name: str = "gatehouse"
    gatehouse_environment: Environment = Environment.PRODUCTION
    database_url: str = "postgresql://postgres@127.0.0.1:5432/gatehouse"
    database_pool_min: int = Field(default=2, ge=1)
    database_pool_max: int = Field(default=20, ge=1)
    nats_url: str = "nats://127.0.0.1:4222"
    events_stream: str = "GATEHOUSE_EVENTS"
    events_subject_prefix: str = "gatehouse"
    http_host: str = "0.0.0.0"  # noqa: S104  (containers must listen on every interface)
    http_port: int = 8000
    log_level: str = "INFO"
    # Shared HMAC secret for service-to-service gRPC credentials.
    service_auth_secret: SecretStr = SecretStr("change-me-service-auth-secret")
    # Earlier secrets still accepted (comma-separated) while a rotation is under way; tokens are
    # always minted with SERVICE_AUTH_SECRET. See docs/KEY_ROTATION.md.
    service_auth_previous_secrets: SecretStr = SecretStr("")
    # Largest HTTP request body accepted, in bytes; larger ones get 413 before they are parsed.
    max_request_bytes: int = 64 * 1024
    # OpenTelemetry traces (gatehouse_common.tracing): off unless TRACING_ENABLED is true. "otlp"
    # sends them to OTEL_EXPORTER_OTLP_ENDPOINT; "console" writes JSON lines to stdout.
    tracing_enabled: bool = False
    tracing_exporter: Literal["otlp", "console"] = "otlp"
    # gRPC between services over TLS (gatehouse_common.grpc_tls; empty: plaintext). This
    # service's certificate chain and key (PEM files): served by its gRPC server and shown to
    # servers that ask for a client certificate.
    grpc_tls_cert_file: str = ""
    grpc_tls_key_file: str = ""
    # The CA the other services' certificates chain to: when set, calls to them use TLS.
    grpc_tls_ca_file: str = ""
    # Mutual TLS: the gRPC server refuses callers without a certificate from GRPC_TLS_CA_FILE.
    grpc_tls_require_client_cert: bool = False
    # The address browsers use (links, origin checks); each service with pages sets its own.
    public_url: str = ""
    # Strict-Transport-Security on every answer; unset: on when PUBLIC_URL is https. Browsers
    # then refuse plain http for the host for HSTS_MAX_AGE_S.
    hsts_enabled: bool | None = None
    hsts_max_age_s: int = Field(default=365 * 24 * 3600, ge=0)

    @property
    def service_auth_secrets(self) -> list[bytes]:
        """The secrets service tokens are verified with: the current one first."""
        previous = self.service_auth_previous_secrets.get_secret_value().split(",")
        return [
            self.service_auth_secret.get_secret_value().encode(),
            *(part.strip().encode() for part in previous if part.strip()),
        ]

    @property
    def grpc_tls(self) -> GrpcTls:
        return GrpcTls(
            cert_file=self.grpc_tls_cert_file,
            key_file=self.grpc_tls_key_file,
            ca_file=self.grpc_tls_ca_file,
            require_client_cert=self.grpc_tls_require_client_cert,
        )

    @property
    def hsts_header(self) -> str | None:
        """The Strict-Transport-Security value to send, or None."""
        enabled = self.hsts_enabled
        if enabled is None:
            enabled = self.public_url.lower().startswith("https://")
        return f"max-age={self.hsts_max_age_s}; includeSubDomains" if enabled else None

    @property
    def is_production(self) -> bool:
        return self.gatehouse_environment is Environment.PRODUCTION

    @model_validator(mode="after")
    def _check_grpc_tls(self) -> Self:
        self.grpc_tls  # noqa: B018  (GrpcTls refuses settings that cannot work together)
        return self

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Self:
        if not self.is_production:
            return self
        for name, value in self:
            if isinstance(value, SecretStr) and _looks_like_placeholder(name, value):
                raise ValueError(
                    f"{name.upper()} holds a placeholder value; set a real secret "
                    "(placeholders are accepted only in GATEHOUSE_ENVIRONMENT development or test)"
                )
        return self


def _looks_like_placeholder(name: str, secret: SecretStr) -> bool:
    text = secret.get_secret_value().lower()
    # Keys we sign or encrypt with must also be long; passwords of other systems (SMTP) need not.
    too_short = name.endswith(("_secret", "secret_key", "_keys")) and len(text) < 16
    return too_short or any(marker in text for marker in PLACEHOLDER_MARKERS)
