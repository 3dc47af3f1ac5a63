-- Second factors: enrolled methods, their secrets (encrypted or hashed), challenges, replay
-- guards, failure counters and recovery codes. Secrets are encrypted by the application
-- (MultiFernet) before they reach the database; one-time codes are stored only as hashes.

-- "Always require multi-factor authentication" (EU Login's account option), and the random
-- WebAuthn user handle (never the user id: authenticators may show or sync it).
ALTER TABLE users ADD COLUMN always_require_mfa boolean NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN webauthn_user_handle bytea UNIQUE;

-- When the session last proved a second factor: removing the last strong method needs a fresh one.
ALTER TABLE sessions ADD COLUMN second_factor_at timestamptz;

-- Every enrolled (or being enrolled) method of a user, whatever its kind.
CREATE TABLE second_factors (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    method text NOT NULL CHECK (method IN ('totp', 'mobile_app', 'webauthn', 'sms')),
    name text NOT NULL,
    -- pending: enrolment started, not yet confirmed; locked: too many wrong PINs (re-enrol).
    status text NOT NULL CHECK (status IN ('pending', 'active', 'locked')),
    created_at timestamptz NOT NULL DEFAULT now(),
    confirmed_at timestamptz,
    last_used_at timestamptz,
    -- Unconfirmed enrolments stop being usable at this time.
    pending_until timestamptz,
    -- The session that started the enrolment: only it may be shown the first recovery codes
    -- when the app finishes the enrolment from the phone.
    enrolled_by bytea
);
CREATE INDEX second_factors_user ON second_factors (user_id, method);

CREATE TABLE totp_authenticators (
    factor_id uuid PRIMARY KEY REFERENCES second_factors (id) ON DELETE CASCADE,
    secret_encrypted bytea NOT NULL
);

-- The highest TOTP time step accepted for a user, whichever app produced it. A conditional
-- upsert (`... DO UPDATE ... WHERE last_step < new step`) lets exactly one of any number of
-- parallel submissions of the same code win; older steps are refused for good (RFC 6238 5.2).
CREATE TABLE totp_last_steps (
    user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    last_step bigint NOT NULL
);

-- The reference authenticator app ("EU Login App"): a key pair on the device, a PIN verifier
-- (SHA-256 of the PIN, as OCRA's P input) and an OCRA key, both encrypted at rest.
CREATE TABLE mobile_devices (
    factor_id uuid PRIMARY KEY REFERENCES second_factors (id) ON DELETE CASCADE,
    -- Single-use token carried by the enrolment QR code (SHA-256), cleared once registered.
    enrolment_token_hash bytea UNIQUE,
    pin_verifier_encrypted bytea NOT NULL,
    key_type text CHECK (key_type IN ('ed25519', 'p256')),
    public_key bytea,
    ocra_key_encrypted bytea,
    -- Bearer token the app uses to list its pending requests (SHA-256); approvals are signed.
    device_token_hash bytea UNIQUE,
    -- Wrong PINs in a row (push PIN proofs and app one-time passwords); the limit locks the device.
    failed_pins integer NOT NULL DEFAULT 0,
    registered_at timestamptz
);

-- Short-lived challenges of every kind, each bound to the session that asked for it.
CREATE TABLE mfa_challenges (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Not a foreign key: raising a session's level replaces its row (a new id, per OWASP).
    session_hash bytea NOT NULL,
    kind text NOT NULL CHECK (kind IN (
        'push', 'qr', 'webauthn_registration', 'webauthn_authentication', 'sms_sign_in',
        'sms_enrolment')),
    -- push/webauthn: random bytes; qr: the numeric challenge; sms: HMAC-SHA256 of the code.
    challenge bytea NOT NULL,
    -- push: the number shown in the browser, which the user types in the app.
    number smallint,
    -- pending → approved (push, by the device) → used; or denied / rejected (wrong number).
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'approved', 'denied', 'rejected', 'used')),
    -- sms: the phone number's factor; push: the device that answered.
    factor_id uuid REFERENCES second_factors (id) ON DELETE CASCADE,
    wrong_attempts integer NOT NULL DEFAULT 0,
    origin_ip text,
    origin_user_agent text,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    answered_at timestamptz
);
CREATE INDEX mfa_challenges_user ON mfa_challenges (user_id, kind, status);
CREATE INDEX mfa_challenges_expiry ON mfa_challenges (expires_at);

CREATE TABLE webauthn_credentials (
    factor_id uuid PRIMARY KEY REFERENCES second_factors (id) ON DELETE CASCADE,
    credential_id bytea NOT NULL UNIQUE,
    public_key bytea NOT NULL,
    -- Highest signature counter seen; an assertion at or below it (when non-zero) means a clone.
    sign_count bigint NOT NULL,
    transports text[] NOT NULL DEFAULT '{}',
    device_type text NOT NULL CHECK (device_type IN ('single_device', 'multi_device')),
    backed_up boolean NOT NULL,
    aaguid text NOT NULL
);

CREATE TABLE phone_numbers (
    factor_id uuid PRIMARY KEY REFERENCES second_factors (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    e164 text NOT NULL,
    UNIQUE (user_id, e164)
);

-- Ten single-use codes per user, as SHA-256 hashes (they carry 50 random bits each).
CREATE TABLE recovery_codes (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

-- Wrong second-factor answers in a row, per sign-in attempt (session) and method.
CREATE TABLE second_factor_failures (
    session_hash bytea NOT NULL,
    method text NOT NULL,
    failures integer NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_hash, method)
);

-- Sign-in attempts ended by wrong second factors; repeated bursts e-mail the user.
CREATE TABLE second_factor_failure_bursts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    method text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX second_factor_failure_bursts_user ON second_factor_failure_bursts (user_id, created_at);
