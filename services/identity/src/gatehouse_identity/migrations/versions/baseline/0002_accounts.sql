-- Accounts, single-use links, sessions and captcha challenges.
CREATE TABLE users (
    id uuid PRIMARY KEY,
    email text NOT NULL,
    -- Lower-cased copy: addresses are unique whatever their case.
    email_normalized text NOT NULL UNIQUE,
    first_name text NOT NULL,
    last_name text NOT NULL,
    email_language text NOT NULL,
    status text NOT NULL CHECK (status IN ('pending_password', 'active', 'blocked')),
    password_hash text,
    -- Wrong passwords in a row; reserved before a verification so parallel guesses cannot pass 5.
    failed_password_attempts integer NOT NULL DEFAULT 0,
    blocked_at timestamptz,
    password_changed_at timestamptz,
    privacy_statement_version text NOT NULL,
    privacy_statement_accepted_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Links e-mailed to users (set or reset the password). Only the SHA-256 of the token is kept.
CREATE TABLE password_links (
    token_hash bytea PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose text NOT NULL CHECK (purpose IN ('set', 'reset')),
    event_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);
CREATE INDEX password_links_open ON password_links (user_id) WHERE used_at IS NULL;

-- Signed-in sessions. The cookie holds a random id; the table holds its SHA-256.
CREATE TABLE sessions (
    id_hash bytea PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    amr text[] NOT NULL,
    level text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    ip_address text,
    user_agent text
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Captcha answers are short-lived and protect no account, so they are kept in clear: any
-- replica can draw the image or audio for a challenge another replica created.
CREATE TABLE captcha_challenges (
    id uuid PRIMARY KEY,
    answer text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);
