-- Handled events (exactly-once consumption) and the courier's outgoing messages.
CREATE TABLE handled_events (
    -- One row per event id ever handled: a redelivered event finds its row and sends nothing.
    event_id uuid PRIMARY KEY,
    event_type text NOT NULL,
    handled_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX handled_events_handled_at ON handled_events (handled_at);

CREATE TABLE messages (
    id uuid PRIMARY KEY,
    event_id uuid NOT NULL,
    event_type text NOT NULL,
    event_time timestamptz NOT NULL,
    template text NOT NULL,
    -- The language the message is written in (after fallback); NULL if never rendered.
    language text,
    recipient_user_id text NOT NULL,
    recipient_email text,
    recipient_name text NOT NULL DEFAULT '',
    -- From's display name in the message's language; '' means MAIL_FROM as configured.
    sender_name text NOT NULL DEFAULT '',
    subject text NOT NULL DEFAULT '',
    body_text text NOT NULL DEFAULT '',
    body_html text NOT NULL DEFAULT '',
    message_id_header text NOT NULL,
    status text NOT NULL
        CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'abandoned')),
    attempts integer NOT NULL DEFAULT 0,
    -- When the row is next due: for queued/failed the next try, for sending the end of the
    -- lease after which another replica may reclaim it (the sender crashed mid-send).
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    -- Bodies hold single-use links; they are blanked once the links are long expired.
    body_scrubbed_at timestamptz,
    UNIQUE (event_id, recipient_user_id, template)
);
CREATE INDEX messages_due ON messages (next_attempt_at)
    WHERE status IN ('queued', 'sending', 'failed');
CREATE INDEX messages_status_created ON messages (status, created_at);
