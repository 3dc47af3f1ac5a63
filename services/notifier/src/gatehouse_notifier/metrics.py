"""The notifier's Prometheus metrics (served on /metrics with the shared HTTP metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_CONSUMED = Counter(
    "gatehouse_notifier_events_consumed_total",
    "Events taken from the stream, by what became of them",
    ["event_type", "outcome"],
)
MESSAGES = Counter(
    "gatehouse_notifier_messages_total",
    "E-mail delivery outcomes (a message can fail several times before it is sent)",
    ["template", "status"],
)
DELIVERY_SECONDS = Histogram(
    "gatehouse_notifier_delivery_seconds",
    "From the event's time to the SMTP server accepting the e-mail",
    buckets=(0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600),
)
CONSUMER_PENDING = Gauge(
    "gatehouse_notifier_consumer_pending",
    "Events in the stream that the notifier's consumer has not been delivered yet",
)
DEAD_LETTERS = Counter(
    "gatehouse_notifier_dead_letters_total",
    "Events parked on the dead-letter subject",
    ["reason"],
)

REMINDERS = Counter(
    "gatehouse_notifier_role_request_reminders_total",
    "Reminders queued to the deciders of role requests that waited too long",
)


class Outcome:
    """Values of the `outcome` label of EVENTS_CONSUMED."""

    HANDLED = "handled"
    DUPLICATE = "duplicate"
    RETRIED = "retried"
    DEAD_LETTERED = "dead_lettered"
    # Not an identity or registry event (only seen when the server ignores filter subjects).
    IGNORED = "ignored"
