-- OpenID Connect provider: clients, signing keys, grants and tokens, consent, back-channel
-- logout, and eID links. Every token and code is stored as its SHA-256 only.

CREATE TABLE oidc_clients (
    client_id text PRIMARY KEY CHECK (client_id ~ '^[A-Za-z0-9._-]{1,100}$'),
    name text NOT NULL,
    -- NULL for public clients (no secret; PKCE S256 required).
    secret_hash bytea,
    redirect_uris text[] NOT NULL,
    post_logout_redirect_uris text[] NOT NULL DEFAULT '{}',
    backchannel_logout_uri text,
    -- The weakest session level this client accepts: identity steps the user up to it.
    min_level text NOT NULL CHECK (min_level IN ('password', 'multi_factor', 'phishing_resistant')),
    -- First-party clients skip the consent screen (unless the user asked to be warned each time).
    first_party boolean NOT NULL DEFAULT false,
    scopes text[] NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Generated signing keys; the private JWK is Fernet-encrypted (see oidc/keys.py).
CREATE TABLE oidc_signing_keys (
    kid text PRIMARY KEY,
    alg text NOT NULL,
    public_jwk jsonb NOT NULL,
    private_jwk_encrypted bytea NOT NULL,
    sign_from timestamptz NOT NULL,
    sign_until timestamptz NOT NULL,
    -- Published in the JWKS until every token it signed has expired.
    publish_until timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Authorization requests waiting for the browser to sign in, step up or consent.
CREATE TABLE oidc_authorization_requests (
    id text PRIMARY KEY,
    client_id text NOT NULL REFERENCES oidc_clients (client_id) ON DELETE CASCADE,
    params jsonb NOT NULL,
    -- Times the browser was sent to sign in for this request (to stop a sign-in loop).
    login_redirects integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

-- One sign-in of a user to a client: the family of every code and token issued from it.
-- Revoking the grant (logout, refresh token reuse, code reuse) ends all of them at once.
CREATE TABLE oidc_grants (
    id uuid PRIMARY KEY,
    client_id text NOT NULL REFERENCES oidc_clients (client_id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The identity session (sessions.id_hash) the grant came from, and its public `sid`.
    session_id_hash bytea,
    sid text NOT NULL,
    scopes text[] NOT NULL,
    level text NOT NULL,
    amr text[] NOT NULL,
    auth_time timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    revoked_reason text
);
CREATE INDEX oidc_grants_session ON oidc_grants (session_id_hash) WHERE revoked_at IS NULL;
CREATE INDEX oidc_grants_user_client ON oidc_grants (user_id, client_id);

CREATE TABLE oidc_authorization_codes (
    code_hash bytea PRIMARY KEY,
    grant_id uuid NOT NULL REFERENCES oidc_grants (id) ON DELETE CASCADE,
    redirect_uri text NOT NULL,
    code_challenge text,
    nonce text,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);

CREATE TABLE oidc_access_tokens (
    token_hash bytea PRIMARY KEY,
    grant_id uuid NOT NULL REFERENCES oidc_grants (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX oidc_access_tokens_grant ON oidc_access_tokens (grant_id);

-- Refresh tokens rotate: each use marks it used and issues the next. A used one presented again
-- means it was copied, so the whole grant is revoked.
CREATE TABLE oidc_refresh_tokens (
    token_hash bytea PRIMARY KEY,
    grant_id uuid NOT NULL REFERENCES oidc_grants (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);
CREATE INDEX oidc_refresh_tokens_grant ON oidc_refresh_tokens (grant_id);

CREATE TABLE oidc_consents (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id text NOT NULL REFERENCES oidc_clients (client_id) ON DELETE CASCADE,
    scopes text[] NOT NULL,
    granted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, client_id)
);

-- "Warn me each time an application asks for my identity".
CREATE TABLE oidc_user_settings (
    user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    warn_each_time boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Logout tokens still to POST to clients' backchannel_logout_uri (retried with backoff).
CREATE TABLE oidc_backchannel_logouts (
    id bigserial PRIMARY KEY,
    client_id text NOT NULL REFERENCES oidc_clients (client_id) ON DELETE CASCADE,
    user_id uuid NOT NULL,
    sid text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    abandoned_at timestamptz,
    last_error text,
    UNIQUE (client_id, sid)
);
CREATE INDEX oidc_backchannel_logouts_due ON oidc_backchannel_logouts (next_attempt_at)
    WHERE delivered_at IS NULL AND abandoned_at IS NULL;

-- Whenever an identity session ends (sign-out, password change, blocking, deleted user), the
-- grants it gave are revoked and every client with a back-channel logout URI is told. A trigger
-- catches every way a session row is deleted, whichever code deletes it.
CREATE FUNCTION oidc_session_ended() RETURNS trigger LANGUAGE plpgsql AS $$
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
$$;

CREATE TRIGGER sessions_oidc_logout AFTER DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION oidc_session_ended();

-- eID: an upstream subject links to one account only, and an account to one subject per broker.
CREATE TABLE eid_links (
    provider text NOT NULL,
    subject text NOT NULL,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    linked_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    PRIMARY KEY (provider, subject),
    UNIQUE (user_id, provider)
);

-- A sign-in or link in progress at an upstream broker (the `state` we sent, hashed).
CREATE TABLE eid_states (
    state_hash bytea PRIMARY KEY,
    -- SHA-256 of a random value in the browser's cookie: the broker's answer is only taken from
    -- the browser that asked (no login CSRF into someone else's account).
    browser_binding bytea NOT NULL,
    provider text NOT NULL,
    purpose text NOT NULL CHECK (purpose IN ('login', 'link')),
    user_id uuid REFERENCES users (id) ON DELETE CASCADE,
    session_id_hash bytea,
    nonce text NOT NULL,
    code_verifier text NOT NULL,
    next text,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
