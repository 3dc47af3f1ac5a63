"""Identity's tables, one MetaData for the service: accounts and sessions, second factors, the
OpenID Connect provider, throttling and the security audit log (capabilities may move their part
into a tables.py of their own, on this same `metadata`).

The migrations in migrations/versions/ must arrive at exactly this; the tests compare the two
(tests/schema/test_schema.py). Columns are listed in the order the database holds them (columns
added later by ALTER TABLE come last). Secrets never rest here in clear: tokens and codes are
stored as SHA-256 hashes, TOTP and device keys encrypted by the application.

Longer than our usual ~500 lines on purpose, for now: it is the whole schema of a service whose
capabilities are being regrouped (issue 16); each part moves next to its capability then.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from gatehouse_common.db import service_metadata
from gatehouse_common.outbox import outbox_table
from gatehouse_common.schema import after_create, append_only, timestamp

metadata = service_metadata()
outbox_events = outbox_table(metadata)


def _user_id(*, nullable: bool = False) -> Column[Any]:
    return Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=nullable)


def _factor_id() -> Column[Any]:
    return Column(
        "factor_id", Uuid, ForeignKey("second_factors.id", ondelete="CASCADE"), primary_key=True
    )


def _client_id() -> Column[Any]:
    return Column(
        "client_id",
        Text,
        ForeignKey("oidc_clients.client_id", ondelete="CASCADE"),
        nullable=False,
    )


def _grant_id() -> Column[Any]:
    return Column(
        "grant_id", Uuid, ForeignKey("oidc_grants.id", ondelete="CASCADE"), nullable=False
    )


# ------------------------------------------------------------------------ accounts and sessions

users = Table(
    "users",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("email", Text, nullable=False),
    # Lower-cased copy: addresses are unique whatever their case.
    Column("email_normalized", Text, nullable=False, unique=True),
    Column("first_name", Text, nullable=False),
    Column("last_name", Text, nullable=False),
    Column("email_language", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("password_hash", Text),
    timestamp("blocked_at"),
    timestamp("password_changed_at"),
    Column("privacy_statement_version", Text, nullable=False),
    timestamp("privacy_statement_accepted_at", nullable=False),
    timestamp("created_at", now=True),
    timestamp("updated_at", now=True),
    # EU Login's "Always require multi-factor authentication".
    Column("always_require_mfa", Boolean, nullable=False, server_default=text("false")),
    # Random WebAuthn user handle (never the user id: authenticators may show or sync it).
    Column("webauthn_user_handle", LargeBinary, unique=True),
    # "No thanks" to the invitation to add a passkey after a password sign-in: never again.
    timestamp("passkey_invitation_dismissed_at"),
    CheckConstraint(
        "status IN ('pending_password', 'active', 'blocked')", name="users_status_check"
    ),
)

# Links e-mailed to users (set or reset the password). Only the SHA-256 of the token is kept.
password_links = Table(
    "password_links",
    metadata,
    Column("token_hash", LargeBinary, primary_key=True),
    _user_id(),
    Column("purpose", Text, nullable=False),
    Column("event_id", Uuid),
    timestamp("created_at", now=True),
    timestamp("expires_at", nullable=False),
    timestamp("used_at"),
    CheckConstraint("purpose IN ('set', 'reset')", name="password_links_purpose_check"),
    Index("password_links_open", "user_id", postgresql_where=text("used_at IS NULL")),
)

# Where someone was going when a sign-in page sent them to create an account or reset a forgotten
# password: kept under the event the notifier asks for the e-mailed link with (password_links.
# event_id), so that signing in after setting the password returns there (issue 14). A path on
# identity's own site, validated before it is stored and again when it is read.
password_link_returns = Table(
    "password_link_returns",
    metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("next_url", Text, nullable=False),
    Column("level", Text),
    timestamp("created_at", now=True),
)

# Signed-in sessions. The cookie holds a random id; the table holds its SHA-256. Deleting a row
# ends the OpenID Connect grants it gave (trigger below).
sessions = Table(
    "sessions",
    metadata,
    Column("id_hash", LargeBinary, primary_key=True),
    _user_id(),
    Column("amr", ARRAY(Text), nullable=False),
    Column("level", Text, nullable=False),
    timestamp("created_at", now=True),
    timestamp("last_seen_at", now=True),
    timestamp("expires_at", nullable=False),
    Column("ip_address", Text),
    Column("user_agent", Text),
    # When the session last proved a second factor (removing the last strong one needs it fresh).
    timestamp("second_factor_at"),
    Index("sessions_user", "user_id"),
)

# Captcha answers are short-lived and protect no account, so they are kept in clear.
captcha_challenges = Table(
    "captcha_challenges",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("answer", Text, nullable=False),
    timestamp("created_at", now=True),
    timestamp("expires_at", nullable=False),
    timestamp("used_at"),
)

# ------------------------------------------------------------------------------ second factors

# Every enrolled (or being enrolled) method of a user, whatever its kind.
second_factors = Table(
    "second_factors",
    metadata,
    Column("id", Uuid, primary_key=True),
    _user_id(),
    Column("method", Text, nullable=False),
    Column("name", Text, nullable=False),
    # pending: enrolment started, not yet confirmed; locked: too many wrong PINs (re-enrol).
    Column("status", Text, nullable=False),
    timestamp("created_at", now=True),
    timestamp("confirmed_at"),
    timestamp("last_used_at"),
    # Unconfirmed enrolments stop being usable at this time.
    timestamp("pending_until"),
    # The session that started the enrolment: only it is shown the first recovery codes.
    Column("enrolled_by", LargeBinary),
    CheckConstraint(
        "method IN ('totp', 'mobile_app', 'webauthn', 'sms')", name="second_factors_method_check"
    ),
    CheckConstraint(
        "status IN ('pending', 'active', 'locked')", name="second_factors_status_check"
    ),
    Index("second_factors_user", "user_id", "method"),
)

totp_authenticators = Table(
    "totp_authenticators",
    metadata,
    _factor_id(),
    Column("secret_encrypted", LargeBinary, nullable=False),
)

# The highest TOTP time step accepted for a user: a conditional upsert lets exactly one of any
# number of parallel submissions of the same code win (RFC 6238 5.2).
totp_last_steps = Table(
    "totp_last_steps",
    metadata,
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("last_step", BigInteger, nullable=False),
)

# The reference authenticator app: a device key pair, a PIN verifier and an OCRA key.
mobile_devices = Table(
    "mobile_devices",
    metadata,
    _factor_id(),
    # Single-use token carried by the enrolment QR code (SHA-256), cleared once registered.
    Column("enrolment_token_hash", LargeBinary, unique=True),
    Column("pin_verifier_encrypted", LargeBinary, nullable=False),
    Column("key_type", Text),
    Column("public_key", LargeBinary),
    Column("ocra_key_encrypted", LargeBinary),
    # Bearer token the app lists its pending requests with (SHA-256); approvals are signed.
    Column("device_token_hash", LargeBinary, unique=True),
    # Wrong PINs in a row; the limit locks the device.
    Column("failed_pins", Integer, nullable=False, server_default=text("0")),
    timestamp("registered_at"),
    CheckConstraint("key_type IN ('ed25519', 'p256')", name="mobile_devices_key_type_check"),
)

# Short-lived challenges of every kind, each bound to the session that asked for it.
mfa_challenges = Table(
    "mfa_challenges",
    metadata,
    Column("id", Uuid, primary_key=True),
    _user_id(),
    # Not a foreign key: raising a session's level replaces its row (a new id, per OWASP).
    Column("session_hash", LargeBinary, nullable=False),
    Column("kind", Text, nullable=False),
    # push/webauthn: random bytes; qr: the numeric challenge; sms: HMAC-SHA256 of the code.
    Column("challenge", LargeBinary, nullable=False),
    # push: the number shown in the browser, which the user types in the app.
    Column("number", SmallInteger),
    Column("status", Text, nullable=False, server_default=text("'pending'")),
    # sms: the phone number's factor; push: the device that answered.
    Column("factor_id", Uuid, ForeignKey("second_factors.id", ondelete="CASCADE")),
    Column("wrong_attempts", Integer, nullable=False, server_default=text("0")),
    Column("origin_ip", Text),
    Column("origin_user_agent", Text),
    timestamp("created_at", now=True),
    timestamp("expires_at", nullable=False),
    timestamp("answered_at"),
    CheckConstraint(
        "kind IN ('push', 'qr', 'webauthn_registration', 'webauthn_authentication', "
        "'sms_sign_in', 'sms_enrolment')",
        name="mfa_challenges_kind_check",
    ),
    CheckConstraint(
        "status IN ('pending', 'approved', 'denied', 'rejected', 'used')",
        name="mfa_challenges_status_check",
    ),
    Index("mfa_challenges_user", "user_id", "kind", "status"),
    Index("mfa_challenges_expiry", "expires_at"),
)

# Sign-ins that start with a passkey have no user or session yet: each challenge is kept as its
# SHA-256 (the browser sends it back inside clientDataJSON), spent once, until it expires.
passkey_challenges = Table(
    "passkey_challenges",
    metadata,
    Column("challenge_hash", LargeBinary, primary_key=True),
    timestamp("created_at", now=True),
    timestamp("expires_at", nullable=False),
    timestamp("used_at"),
    Index("passkey_challenges_expiry", "expires_at"),
)

webauthn_credentials = Table(
    "webauthn_credentials",
    metadata,
    _factor_id(),
    Column("credential_id", LargeBinary, nullable=False, unique=True),
    Column("public_key", LargeBinary, nullable=False),
    # Highest signature counter seen; an assertion at or below it (when non-zero) means a clone.
    Column("sign_count", BigInteger, nullable=False),
    Column("transports", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("device_type", Text, nullable=False),
    Column("backed_up", Boolean, nullable=False),
    Column("aaguid", Text, nullable=False),
    CheckConstraint(
        "device_type IN ('single_device', 'multi_device')",
        name="webauthn_credentials_device_type_check",
    ),
)

phone_numbers = Table(
    "phone_numbers",
    metadata,
    _factor_id(),
    _user_id(),
    Column("e164", Text, nullable=False),
    UniqueConstraint("user_id", "e164"),
)

# Ten single-use codes per user, as SHA-256 hashes (they carry 50 random bits each).
recovery_codes = Table(
    "recovery_codes",
    metadata,
    _user_id(),
    Column("code_hash", LargeBinary, nullable=False),
    timestamp("created_at", now=True),
    timestamp("used_at"),
    PrimaryKeyConstraint("user_id", "code_hash"),
)

# Wrong second-factor answers in a row, per sign-in attempt (session) and method.
second_factor_failures = Table(
    "second_factor_failures",
    metadata,
    Column("session_hash", LargeBinary, nullable=False),
    Column("method", Text, nullable=False),
    Column("failures", Integer, nullable=False),
    timestamp("updated_at", now=True),
    PrimaryKeyConstraint("session_hash", "method"),
)

# Sign-in attempts ended by wrong second factors; repeated bursts e-mail the user.
second_factor_failure_bursts = Table(
    "second_factor_failure_bursts",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    _user_id(),
    Column("method", Text, nullable=False),
    timestamp("created_at", now=True),
    Index("second_factor_failure_bursts_user", "user_id", "created_at"),
)

# ------------------------------------------------------------------------ OpenID Connect provider

oidc_clients = Table(
    "oidc_clients",
    metadata,
    Column("client_id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    # NULL for public clients (no secret; PKCE S256 required).
    Column("secret_hash", LargeBinary),
    Column("redirect_uris", ARRAY(Text), nullable=False),
    Column("post_logout_redirect_uris", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("backchannel_logout_uri", Text),
    # The weakest session level this client accepts: identity steps the user up to it.
    Column("min_level", Text, nullable=False),
    # First-party clients skip the consent screen (unless the user asked to be warned).
    Column("first_party", Boolean, nullable=False, server_default=text("false")),
    Column("scopes", ARRAY(Text), nullable=False),
    timestamp("created_at", now=True),
    timestamp("updated_at", now=True),
    # What the client may ask the token endpoint for (RFC 7591 grant_types).
    Column(
        "grant_types",
        ARRAY(Text),
        nullable=False,
        server_default=text("'{authorization_code,refresh_token}'"),
    ),
    # private_key_jwt (RFC 7523): the client's public keys, given or fetched from jwks_uri.
    Column("jwks", JSONB),
    Column("jwks_uri", Text),
    # RFC 9126 §6: authorization requests only through the pushed authorization endpoint.
    Column(
        "require_pushed_authorization_requests",
        Boolean,
        nullable=False,
        server_default=text("false"),
    ),
    # RFC 9449 §5.2: every token request of the client must carry a DPoP proof.
    Column("dpop_bound_access_tokens", Boolean, nullable=False, server_default=text("false")),
    # A machine client of a registry operator (issue 19): its tokens carry `operator_id`.
    Column("operator_id", Uuid),
    CheckConstraint("client_id ~ '^[A-Za-z0-9._-]{1,100}$'", name="oidc_clients_client_id_check"),
    CheckConstraint(
        "min_level IN ('password', 'multi_factor', 'phishing_resistant')",
        name="oidc_clients_min_level_check",
    ),
    Index("oidc_clients_operator", "operator_id"),
)

# Pushed authorization requests (RFC 9126): validated parameters waiting for the browser to
# bring their request_uri (its SHA-256 here) to the authorization endpoint, once.
oidc_pushed_authorization_requests = Table(
    "oidc_pushed_authorization_requests",
    metadata,
    Column("request_uri_hash", LargeBinary, primary_key=True),
    _client_id(),
    Column("params", JSONB, nullable=False),
    timestamp("created_at", now=True),
    timestamp("expires_at", nullable=False),
)

# JWT ids already seen (DPoP proofs, client assertions), SHA-256 of their kind, issuer and jti,
# kept until the JWT could no longer be accepted anyway: a second use is a replay.
oidc_used_jtis = Table(
    "oidc_used_jtis",
    metadata,
    Column("jti_hash", LargeBinary, primary_key=True),
    timestamp("expires_at", nullable=False),
    Index("oidc_used_jtis_expires_at", "expires_at"),
)

# Generated signing keys; the private JWK is Fernet-encrypted (see oidc/keys.py).
oidc_signing_keys = Table(
    "oidc_signing_keys",
    metadata,
    Column("kid", Text, primary_key=True),
    Column("alg", Text, nullable=False),
    Column("public_jwk", JSONB, nullable=False),
    Column("private_jwk_encrypted", LargeBinary, nullable=False),
    timestamp("sign_from", nullable=False),
    timestamp("sign_until", nullable=False),
    # Published in the JWKS until every token it signed has expired.
    timestamp("publish_until", nullable=False),
    timestamp("created_at", now=True),
)

# Authorization requests waiting for the browser to sign in, step up or consent.
oidc_authorization_requests = Table(
    "oidc_authorization_requests",
    metadata,
    Column("id", Text, primary_key=True),
    _client_id(),
    Column("params", JSONB, nullable=False),
    # Times the browser was sent to sign in for this request (to stop a sign-in loop).
    Column("login_redirects", Integer, nullable=False, server_default=text("0")),
    timestamp("created_at", now=True),
    timestamp("expires_at", nullable=False),
)

# One sign-in of a user to a client: the family of every code and token issued from it.
oidc_grants = Table(
    "oidc_grants",
    metadata,
    Column("id", Uuid, primary_key=True),
    _client_id(),
    _user_id(),
    # The identity session (sessions.id_hash) the grant came from, and its public `sid`.
    Column("session_id_hash", LargeBinary),
    Column("sid", Text, nullable=False),
    Column("scopes", ARRAY(Text), nullable=False),
    Column("level", Text, nullable=False),
    Column("amr", ARRAY(Text), nullable=False),
    timestamp("auth_time", nullable=False),
    timestamp("created_at", now=True),
    timestamp("expires_at", nullable=False),
    timestamp("revoked_at"),
    Column("revoked_reason", Text),
    # RFC 9449 §5: the DPoP key (JWK SHA-256 thumbprint) a public client's refresh tokens are
    # bound to.
    Column("dpop_jkt", Text),
    Index("oidc_grants_session", "session_id_hash", postgresql_where=text("revoked_at IS NULL")),
    Index("oidc_grants_user_client", "user_id", "client_id"),
)

oidc_authorization_codes = Table(
    "oidc_authorization_codes",
    metadata,
    Column("code_hash", LargeBinary, primary_key=True),
    _grant_id(),
    Column("redirect_uri", Text, nullable=False),
    Column("code_challenge", Text),
    Column("nonce", Text),
    timestamp("created_at", now=True),
    timestamp("expires_at", nullable=False),
    timestamp("used_at"),
    # RFC 9449 §10: the DPoP key the code must be redeemed with (dpop_jkt or a PAR proof).
    Column("dpop_jkt", Text),
)

oidc_access_tokens = Table(
    "oidc_access_tokens",
    metadata,
    Column("token_hash", LargeBinary, primary_key=True),
    _grant_id(),
    timestamp("created_at", now=True),
    timestamp("expires_at", nullable=False),
    # The DPoP key the token is bound to (cnf.jkt), or NULL for a bearer token.
    Column("dpop_jkt", Text),
    Index("oidc_access_tokens_grant", "grant_id"),
)

# Refresh tokens rotate; a used one presented again means a copy, and revokes the grant.
oidc_refresh_tokens = Table(
    "oidc_refresh_tokens",
    metadata,
    Column("token_hash", LargeBinary, primary_key=True),
    _grant_id(),
    timestamp("created_at", now=True),
    timestamp("expires_at", nullable=False),
    timestamp("used_at"),
    Index("oidc_refresh_tokens_grant", "grant_id"),
)

oidc_consents = Table(
    "oidc_consents",
    metadata,
    _user_id(),
    _client_id(),
    Column("scopes", ARRAY(Text), nullable=False),
    timestamp("granted_at", now=True),
    PrimaryKeyConstraint("user_id", "client_id"),
)

# "Warn me each time an application asks for my identity".
oidc_user_settings = Table(
    "oidc_user_settings",
    metadata,
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("warn_each_time", Boolean, nullable=False, server_default=text("false")),
    timestamp("updated_at", now=True),
)

# Logout tokens still to POST to clients' backchannel_logout_uri (retried with backoff).
oidc_backchannel_logouts = Table(
    "oidc_backchannel_logouts",
    metadata,
    Column("id", BigInteger, primary_key=True),  # bigserial
    _client_id(),
    Column("user_id", Uuid, nullable=False),
    Column("sid", Text, nullable=False),
    timestamp("created_at", now=True),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    timestamp("next_attempt_at", now=True),
    timestamp("delivered_at"),
    timestamp("abandoned_at"),
    Column("last_error", Text),
    UniqueConstraint("client_id", "sid"),
    Index(
        "oidc_backchannel_logouts_due",
        "next_attempt_at",
        postgresql_where=text("delivered_at IS NULL AND abandoned_at IS NULL"),
    ),
)

# Whenever an identity session ends (sign-out, password change, blocking, deleted user), the
# grants it gave are revoked and every client with a back-channel logout URI is told, whichever
# code deletes the session row.
after_create(
    sessions,
    """CREATE FUNCTION oidc_session_ended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH ended AS (
        UPDATE oidc_grants SET revoked_at = now(), revoked_reason = 'session_ended'
         WHERE session_id_hash = OLD.id_hash AND revoked_at IS NULL
        RETURNING client_id, user_id, sid
    )
    INSERT INTO oidc_backchannel_logouts (client_id, user_id, sid)
    SELECT DISTINCT ended.client_id, ended.user_id, ended.sid
      FROM ended JOIN oidc_clients USING (client_id)
     WHERE oidc_clients.backchannel_logout_uri IS NOT NULL
    ON CONFLICT (client_id, sid) DO NOTHING;
    IF FOUND THEN
        PERFORM pg_notify('oidc_backchannel_logout', '');
    END IF;
    RETURN OLD;
END
$$""",
    """CREATE TRIGGER sessions_oidc_logout AFTER DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION oidc_session_ended()""",
)

# eID: an upstream subject links to one account only, and an account to one subject per broker.
eid_links = Table(
    "eid_links",
    metadata,
    Column("provider", Text, nullable=False),
    Column("subject", Text, nullable=False),
    _user_id(),
    timestamp("linked_at", now=True),
    timestamp("last_used_at"),
    PrimaryKeyConstraint("provider", "subject"),
    UniqueConstraint("user_id", "provider"),
)

# A sign-in or link in progress at an upstream broker (the `state` we sent, hashed).
eid_states = Table(
    "eid_states",
    metadata,
    Column("state_hash", LargeBinary, primary_key=True),
    # SHA-256 of a random value in the browser's cookie: no login CSRF.
    Column("browser_binding", LargeBinary, nullable=False),
    Column("provider", Text, nullable=False),
    Column("purpose", Text, nullable=False),
    _user_id(nullable=True),
    Column("session_id_hash", LargeBinary),
    Column("nonce", Text, nullable=False),
    Column("code_verifier", Text, nullable=False),
    Column("next", Text),
    timestamp("created_at", now=True),
    timestamp("expires_at", nullable=False),
    CheckConstraint("purpose IN ('login', 'link')", name="eid_states_purpose_check"),
)

# ---------------------------------------------------------------------------------- throttling

# Wrong passwords in a row per account and client bucket (a known browser, or "unknown").
password_failure_buckets = Table(
    "password_failure_buckets",
    metadata,
    _user_id(),
    Column("bucket", Text, nullable=False),
    Column("failures", Integer, nullable=False, server_default=text("0")),
    timestamp("blocked_at"),
    PrimaryKeyConstraint("user_id", "bucket"),
)

# Fixed-window counters for per-address and global limits, shared by every identity replica.
rate_limit_counters = Table(
    "rate_limit_counters",
    metadata,
    Column("bucket", Text, nullable=False),
    timestamp("window_start", nullable=False),
    Column("hits", Integer, nullable=False),
    PrimaryKeyConstraint("bucket", "window_start"),
    Index("rate_limit_counters_age", "window_start"),
)

# ------------------------------------------------------------------------------ security audit

# Who (NULL when nobody known acted), when, from where and what; the detail never holds
# passwords, codes, tokens or addresses. No foreign key: the log outlives what it describes.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    timestamp("occurred_at", now=True),
    Column("user_id", Uuid),
    Column("kind", Text, nullable=False),
    Column("ip_address", Text),
    Column("user_agent", Text),
    Column("detail", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    CheckConstraint("kind ~ '^[a-z][a-z_]*(\\.[a-z][a-z_]*)+$'", name="audit_log_kind_check"),
    CheckConstraint("length(ip_address) <= 100", name="audit_log_ip_address_check"),
    CheckConstraint("length(user_agent) <= 300", name="audit_log_user_agent_check"),
    CheckConstraint("jsonb_typeof(detail) = 'object'", name="audit_log_detail_check"),
)
# "My activity": one user's entries, newest first.
Index(
    "audit_log_user",
    audit_log.c.user_id,
    audit_log.c.id.desc(),
    postgresql_where=text("user_id IS NOT NULL"),
)
append_only(audit_log)

# Networks a user signed in from (the /24 or /48, never the address): the right password from a
# browser without the user's device cookie and from a network not seen for 90 days is told to the
# user (sign_in/notices.py).
seen_networks = Table(
    "seen_networks",
    metadata,
    _user_id(),
    Column("network", Text, nullable=False),
    timestamp("first_seen_at", now=True),
    timestamp("last_seen_at", now=True),
    PrimaryKeyConstraint("user_id", "network"),
)

# New-device notices: what the e-mail names, and its "This wasn't me" link (only the SHA-256 of
# the token, set when the notifier asks for the link; a new one replaces it).
sign_in_notices = Table(
    "sign_in_notices",
    metadata,
    Column("event_id", Uuid, primary_key=True),
    _user_id(),
    Column("network", Text, nullable=False),
    Column("browser", Text, nullable=False),
    timestamp("signed_in_at", now=True),
    Column("report_token_hash", LargeBinary),
    timestamp("report_expires_at"),
    timestamp("reported_at"),
    Index("sign_in_notices_user", "user_id"),
    Index("sign_in_notices_report_token", "report_token_hash", unique=True),
)
