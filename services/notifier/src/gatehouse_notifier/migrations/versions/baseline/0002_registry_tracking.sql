-- What the notifier remembers from registry events to write later messages: who created an
-- operator (told when it is validated or rejected) and which role requests are still pending (their
-- deciders are reminded when a request has waited too long).
CREATE TABLE operator_creators (
    operator_id text PRIMARY KEY,
    user_id text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX operator_creators_created_at ON operator_creators (created_at);

CREATE TABLE pending_role_requests (
    role_request_id text PRIMARY KEY,
    -- The time of registry.role_request.created: reminders count from here.
    requested_at timestamptz NOT NULL,
    tracked_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pending_role_requests_requested_at ON pending_role_requests (requested_at);
