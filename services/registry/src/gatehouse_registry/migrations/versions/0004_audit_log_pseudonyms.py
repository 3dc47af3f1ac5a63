"""The audit trail keeps a deleted user's history under their pseudonym (issue 18): the
append-only trigger lets exactly one change through — an entry's actor_name replaced, in a
transaction that names the entry's actor in the setting gatehouse.pseudonymising.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

PSEUDONYMISABLE = """CREATE OR REPLACE FUNCTION audit_log_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.actor_user_id IS NOT NULL
       AND OLD.actor_user_id::text = current_setting('gatehouse.pseudonymising', true)
       AND to_jsonb(NEW) - 'actor_name' = to_jsonb(OLD) - 'actor_name' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END
$$"""

APPEND_ONLY = """CREATE OR REPLACE FUNCTION audit_log_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$$"""


def upgrade() -> None:
    op.execute(PSEUDONYMISABLE)


def downgrade() -> None:
    op.execute(APPEND_ONLY)
