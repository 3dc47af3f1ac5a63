"""Identity settings (environment variables)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from gatehouse_common.settings import ServiceSettings


class IdentitySettings(ServiceSettings):
    service_name: str = "identity"
    http_port: int = 8001
    grpc_port: int = 50051
    # Base of every link identity hands out (e-mails, redirects).
    public_url: str = "http://127.0.0.1:8001"
    # Signs cookies (CSRF, flash) — sessions themselves are random ids stored hashed.
    secret_key: SecretStr = SecretStr("change-me-identity-secret-key")
    captcha_enabled: bool = True
    privacy_statement_version: str = "2025-01"
    # argon2id cost: OWASP's minimum (m=19 MiB, t=2, p=1). Raising them rehashes at next sign-in.
    argon2_time_cost: int = Field(default=2, ge=2)
    argon2_memory_kib: int = Field(default=19 * 1024, ge=19 * 1024)
    argon2_parallelism: int = Field(default=1, ge=1)
    # Threads that compute argon2 (it releases the GIL): about one per core given to identity.
    password_hash_threads: int = Field(default=2, ge=1)
    max_failed_password_attempts: int = 5
    set_password_link_ttl_s: int = 24 * 3600
    reset_password_link_ttl_s: int = 3600
    session_idle_timeout_s: int = 30 * 60
    session_absolute_timeout_s: int = 12 * 3600
    session_cookie_name: str = "__Host-gatehouse_session"
