"""OIDC provider and eID settings, mixed into IdentitySettings (environment variables)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings

from gatehouse_identity.oidc.levels import Level


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
    oidc_code_ttl_s: int = Field(default=60, ge=10, le=600)
    oidc_access_token_ttl_s: int = Field(default=300, ge=30)
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
    backchannel_logout_timeout_s: float = Field(default=5.0, gt=0)
    # --- eID (identity as a client of upstream brokers) ------------------------------------
    # JSON list of EidProviderSettings.
    eid_providers: list[EidProviderSettings] = Field(default_factory=list)
    # Linking an eID needs a sign-in at most this old.
    eid_link_max_auth_age_s: int = Field(default=300, ge=30)
    eid_http_timeout_s: float = Field(default=10.0, gt=0)
