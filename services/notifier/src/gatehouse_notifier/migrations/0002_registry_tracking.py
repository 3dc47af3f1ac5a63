"""What the notifier remembers from registry events to write later messages: who created an
operator (told when it is validated or rejected) and which role requests are still pending (their
deciders are reminded when a request has waited too long)."""

from yoyo import step

OPERATOR_CREATORS = """
CREATE TABLE operator_creators (
    operator_id text PRIMARY KEY,
    user_id text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX operator_creators_created_at ON operator_creators (created_at);
"""

PENDING_ROLE_REQUESTS = """
CREATE TABLE pending_role_requests (
    role_request_id text PRIMARY KEY,
    -- The time of registry.role_request.created: reminders count from here.
    requested_at timestamptz NOT NULL,
    tracked_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pending_role_requests_requested_at ON pending_role_requests (requested_at);
"""

steps = [
    step(OPERATOR_CREATORS, "DROP TABLE operator_creators"),
    step(PENDING_ROLE_REQUESTS, "DROP TABLE pending_role_requests"),
]
