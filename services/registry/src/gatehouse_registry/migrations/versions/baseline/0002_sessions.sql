-- Registry sign-in (gatehouse_registry.auth): the registry's own sessions, created after an
-- OpenID Connect sign-in at identity, and the sign-ins in progress. Only hashes of the cookie
-- value and of the `state` sent to identity are stored.

CREATE TABLE auth_sessions (
    id_hash bytea PRIMARY KEY,
    user_id uuid NOT NULL,
    -- Identity's data as of this sign-in (refreshed at every sign-in).
    full_name text NOT NULL,
    email text NOT NULL,
    level text NOT NULL,
    amr text[] NOT NULL,
    -- Identity's session id (`sid`): a back-channel logout names it.
    identity_sid text,
    -- Sent back as id_token_hint when the user signs out, so identity signs out without asking.
    id_token text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX auth_sessions_sid ON auth_sessions (identity_sid);
CREATE INDEX auth_sessions_user ON auth_sessions (user_id);
CREATE INDEX auth_sessions_expiry ON auth_sessions (expires_at);

CREATE TABLE auth_login_states (
    state_hash bytea PRIMARY KEY,
    -- SHA-256 of a random value in the browser's login cookie: the callback must come back to
    -- the browser that started (no login CSRF: nobody can make you log in as them).
    browser_binding bytea NOT NULL,
    nonce text NOT NULL,
    code_verifier text NOT NULL,
    return_to text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
