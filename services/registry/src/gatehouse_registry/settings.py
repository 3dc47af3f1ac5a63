"""Registry settings (environment variables)."""

from __future__ import annotations

from pydantic import SecretStr

from gatehouse_common.settings import ServiceSettings


class RegistrySettings(ServiceSettings):
    service_name: str = "registry"
    http_port: int = 8002
    grpc_port: int = 50052
    public_url: str = "http://127.0.0.1:8002"
    identity_public_url: str = "http://127.0.0.1:8001"
    identity_grpc_target: str = "127.0.0.1:50051"
    secret_key: SecretStr = SecretStr("change-me-registry-secret-key")
