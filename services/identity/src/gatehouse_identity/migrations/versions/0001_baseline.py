"""Identity's schema as the yoyo migrations before Alembic made it.

Their SQL runs unchanged (baseline/*.sql, named as yoyo named them), so a new database is
identical to one those migrations made; such a database is stamped here instead
(gatehouse_common.migrations), which is why this revision lists them.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from pathlib import Path

from gatehouse_common.migrations import run_scripts

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

yoyo_migrations = (
    "0001_outbox",
    "0002_accounts",
    "0003_second_factors",
    "0004_oidc",
    "0005_throttling",
    "0006_audit_log",
)


def upgrade() -> None:
    run_scripts(Path(__file__).with_name("baseline"), yoyo_migrations)


def downgrade() -> None:
    raise NotImplementedError("the baseline is not undone: drop the database instead")
