"""Registry settings (environment variables)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from gatehouse_common.settings import ServiceSettings
from gatehouse_registry.auth.settings import RegistryAuthSettings


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
    # The registry's own durable JetStream consumer of identity's events (devices reset).
    identity_events_consumer: str = "registry"
