"""The transactional outbox every service shares (schema defined in gatehouse_common.outbox)."""

from yoyo import step

from gatehouse_common.outbox import OUTBOX_SCHEMA_SQL

steps = [step(OUTBOX_SCHEMA_SQL, "DROP TABLE outbox_events")]
