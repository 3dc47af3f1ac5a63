"""Identity settings (environment variables), the OpenID Connect provider's and eID's included."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings

from gatehouse_common.settings import ServiceSettings
from gatehouse_identity.levels import Level


class EidProviderSettings(BaseModel):
    """One upstream eID broker (an OpenID Connect provider such as a BankID/Freja+ broker)."""

    # Short name used in URLs and in the link table: lower-case letters, digits, '-'.
    name: str = Field(pattern=r"^[a-z0-9-]{1,40}$")
    display_name: str
    issuer: str
    client_id: str
    client_secret: SecretStr
    scope: str = "openid"
    # Sent as acr_values; empty: let the broker choose.
    acr_values: str = ""
    # Upstream `acr` value -> the level it gives the session here. An acr not listed gives no
    # session at all: unknown assurance is never guessed upwards.
    acr_levels: dict[str, Level] = Field(default_factory=dict)


class OidcSettings(BaseSettings):
    # --- tokens ---------------------------------------------------------------------------
    # FAPI 2.0 §5.3.2.1 point 8: codes live at most 60 s.
    oidc_code_ttl_s: int = Field(default=60, ge=10, le=60)
    # RFC 9126 §2.2: a pushed request's request_uri lives this long (and works once).
    oidc_par_ttl_s: int = Field(default=60, ge=5, le=600)
    # Access tokens are JWTs a resource server verifies itself (RFC 9068) or opaque strings it
    # must introspect (oidc/access_tokens.py). Short-lived either way: a resource server that
    # verifies JWTs on its own learns of a revocation other than a logout or a devices reset
    # only when the token expires.
    oidc_access_token_format: Literal["jwt", "opaque"] = "jwt"  # noqa: S105  (a format)
    oidc_access_token_ttl_s: int = Field(default=300, ge=30, le=3600)
    # The `aud` of JWT access tokens: the resource server they are for (the registry's API;
    # its ACCESS_TOKEN_AUDIENCE must say the same).
    oidc_access_token_audience: str = Field(default="urn:gatehouse:registry", min_length=1)
    oidc_id_token_ttl_s: int = Field(default=300, ge=30)
    # A refresh token never outlives the identity session it came from (its absolute limit).
    oidc_refresh_token_ttl_s: int = Field(default=12 * 3600, ge=60)
    # How long a browser may take to sign in / step up / consent before the request is stale.
    oidc_authorization_request_ttl_s: int = Field(default=900, ge=60)
    # --- signing keys ----------------------------------------------------------------------
    # Comma-separated PEM files with RSA private keys. The first signs; the others are only
    # published (keys being retired). Empty: keys are generated and kept in the database,
    # encrypted with OIDC_KEY_ENCRYPTION_KEYS, and rotated automatically.
    oidc_signing_key_files: str = ""
    # Fernet keys, comma-separated, newest first; unset: derived from SECRET_KEY.
    oidc_key_encryption_keys: SecretStr | None = None
    oidc_key_rotation_s: int = Field(default=30 * 24 * 3600, ge=3600)
    # A successor key is published this long before it starts signing, so relying parties that
    # cache the JWKS already know it (must exceed the JWKS max-age, 10 minutes).
    oidc_key_publish_lead_s: int = Field(default=24 * 3600, ge=900)
    # --- who may call what -----------------------------------------------------------------
    # Service-token callers (gatehouse_common.service_auth) allowed on the client admin API.
    oidc_admin_callers: list[str] = Field(default_factory=lambda: ["admin", "devstack"])
    # Callers allowed to introspect access tokens over gRPC.
    oidc_introspection_callers: list[str] = Field(default_factory=lambda: ["registry"])
    # Callers allowed to manage operators' machine clients over gRPC (ClientService).
    oidc_machine_client_callers: list[str] = Field(default_factory=lambda: ["registry"])
    backchannel_logout_timeout_s: float = Field(default=5.0, gt=0)
    # --- eID (identity as a client of upstream brokers) ------------------------------------
    # JSON list of EidProviderSettings.
    eid_providers: list[EidProviderSettings] = Field(default_factory=list)
    # Linking an eID needs a sign-in at most this old.
    eid_link_max_auth_age_s: int = Field(default=300, ge=30)
    eid_http_timeout_s: float = Field(default=10.0, gt=0)


class IdentitySettings(ServiceSettings, OidcSettings):
    service_name: str = "identity"
    http_port: int = 8001
    grpc_port: int = 50051
    # Processes serving GRPC_PORT (gatehouse_common.grpc_workers): a Python gRPC server uses one
    # core, so a host giving identity several cores may run one per core. Containers keep 1 and
    # scale by replicas.
    grpc_workers: int = Field(default=1, ge=1, le=32)
    # Base of every link identity hands out (e-mails, redirects).
    public_url: str = "http://127.0.0.1:8001"
    # The registry's gRPC (RoleService.ListSoleAdministrations): *Delete my account* asks it
    # whether the user is the last administrator of an organization, and refuses when it cannot
    # answer within the timeout (accounts/deletion.py).
    registry_grpc_target: str = "127.0.0.1:50052"
    registry_grpc_timeout_s: float = Field(default=3.0, gt=0)
    # The notifier's gRPC (MessageService.ListUserMessages): *My data* asks it for the e-mails
    # sent to the user; without an answer within the timeout the export says they are missing.
    notifier_grpc_target: str = "127.0.0.1:50053"
    notifier_grpc_timeout_s: float = Field(default=3.0, gt=0)
    # Signs cookies (CSRF, flash) — sessions themselves are random ids stored hashed.
    secret_key: SecretStr = SecretStr("change-me-identity-secret-key")
    captcha_enabled: bool = True
    privacy_statement_version: str = "2025-01"
    # Times on pages (security activity, sessions) in this zone with its abbreviation: they were
    # UTC, an hour or two off for the Swedish users this installation serves by default.
    display_timezone: str = "Europe/Stockholm"
    # argon2id cost: OWASP's minimum (m=19 MiB, t=2, p=1). Raising them rehashes at next sign-in.
    argon2_time_cost: int = Field(default=2, ge=2)
    argon2_memory_kib: int = Field(default=19 * 1024, ge=19 * 1024)
    argon2_parallelism: int = Field(default=1, ge=1)
    # Threads that compute argon2 (it releases the GIL): about one per core given to identity.
    password_hash_threads: int = Field(default=2, ge=1)
    max_failed_password_attempts: int = 5
    # Rate limits and the captcha-after-failures rule (identity/throttling); off only in tests
    # that are not about throttling, which all come from one address.
    throttling_enabled: bool = True
    captcha_after_failed_sign_ins: int = 3
    set_password_link_ttl_s: int = 24 * 3600
    reset_password_link_ttl_s: int = 3600
    session_idle_timeout_s: int = 30 * 60
    session_absolute_timeout_s: int = 12 * 3600
    session_cookie_name: str = "__Host-gatehouse_session"

    # --- Second factors (gatehouse_identity.mfa) ---
    # Fernet keys (url-safe base64 of 32 bytes), comma-separated, newest first, that encrypt TOTP
    # and device secrets at rest. To rotate, put a new key first and keep the old ones: secrets
    # are re-encrypted with the newest key when next used. Empty: a key derived from SECRET_KEY.
    second_factor_encryption_keys: SecretStr = Field(
        default=SecretStr(""),
        validation_alias=AliasChoices("SECOND_FACTOR_ENCRYPTION_KEYS", "TOTP_ENCRYPTION_KEYS"),
    )
    # After this day SMS is neither offered, accepted nor enrolled as a second factor.
    sms_sunset_date: date = date(2025, 6, 30)
    # "log": texts are written to identity's log, for developers (never sends anything);
    # "http": POSTed as JSON {"to", "text"} to SMS_HTTP_URL with SMS_HTTP_TOKEN as bearer.
    sms_provider: Literal["log", "http"] = "log"
    sms_http_url: str = ""
    sms_http_token: SecretStr = SecretStr("")
    sms_http_timeout_s: float = Field(default=10.0, gt=0)
    sms_code_ttl_s: int = Field(default=300, ge=30)
    # App push requests and QR challenges: at most two minutes, per the issue.
    mobile_request_ttl_s: int = Field(default=120, ge=5, le=120)
    mobile_enrolment_ttl_s: int = Field(default=600, ge=30)
    webauthn_challenge_ttl_s: int = Field(default=300, ge=30)
    # Empty: the host of PUBLIC_URL / its origin. Browsers refuse IP addresses as RP ids.
    webauthn_rp_id: str = ""
    webauthn_rp_name: str = "Gatehouse Login"
    webauthn_origins: list[str] = Field(default_factory=list)
    max_second_factor_failures: int = Field(default=5, ge=1)
    max_pin_failures: int = Field(default=5, ge=1)
    # Sign-in attempts ended by wrong codes within the window before the user is e-mailed.
    second_factor_bursts_before_email: int = Field(default=2, ge=1)
    second_factor_burst_window_s: int = Field(default=24 * 3600, ge=60)
    # Removing the last strong method needs a second factor proved this recently.
    fresh_second_factor_s: int = Field(default=300, ge=30)
