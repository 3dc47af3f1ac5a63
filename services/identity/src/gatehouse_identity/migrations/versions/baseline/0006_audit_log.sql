-- The security audit log: sign-ins, lockouts, password and second-factor changes, sessions
-- ended, client administration. Each entry says who (user_id; NULL when nobody known acted,
-- e.g. a sign-in attempt for an unknown address), when, from where (address and user agent)
-- and what (kind + a small JSON detail that never holds passwords, codes, tokens or addresses).
-- No foreign key to users: the log must outlive what it describes.
CREATE TABLE audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    user_id uuid,
    kind text NOT NULL CHECK (kind ~ '^[a-z][a-z_]*(\.[a-z][a-z_]*)+$'),
    ip_address text CHECK (length(ip_address) <= 100),
    user_agent text CHECK (length(user_agent) <= 300),
    detail jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(detail) = 'object')
);
-- "My activity": one user's entries, newest first.
CREATE INDEX audit_log_user ON audit_log (user_id, id DESC) WHERE user_id IS NOT NULL;

-- Append-only, whatever code runs against the table: rows are never changed or removed.
CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
