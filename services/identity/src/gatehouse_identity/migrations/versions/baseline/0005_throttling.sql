-- Throttling that cannot be turned against users (OWASP device cookies).
-- Wrong passwords in a row are counted per account *and* per client bucket: one bucket per
-- browser that has signed in to the account before ("device:<nonce>"), and one shared by every
-- unknown client ("unknown"). Five in a row block that bucket only; the user's own browser keeps
-- working while an attacker has blocked the unknown bucket.
CREATE TABLE password_failure_buckets (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    bucket text NOT NULL,
    failures integer NOT NULL DEFAULT 0,
    blocked_at timestamptz,
    PRIMARY KEY (user_id, bucket)
);

ALTER TABLE users DROP COLUMN failed_password_attempts;

-- Fixed-window counters for per-address and global limits, shared by every identity replica.
CREATE TABLE rate_limit_counters (
    bucket text NOT NULL,
    window_start timestamptz NOT NULL,
    hits integer NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
CREATE INDEX rate_limit_counters_age ON rate_limit_counters (window_start);
