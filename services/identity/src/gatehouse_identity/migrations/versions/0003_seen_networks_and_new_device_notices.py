"""Seen networks and new-device notices (issue 18, point 2): where each user signed in from, and
the notices that told them of a new device with their "This wasn't me" link.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "seen_networks",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("network", sa.Text(), nullable=False),
        sa.Column(
            "first_seen_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "last_seen_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("seen_networks_user_id_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "network", name=op.f("seen_networks_pkey")),
    )
    op.create_table(
        "sign_in_notices",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("network", sa.Text(), nullable=False),
        sa.Column("browser", sa.Text(), nullable=False),
        sa.Column(
            "signed_in_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("report_token_hash", sa.LargeBinary(), nullable=True),
        sa.Column("report_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("sign_in_notices_user_id_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("sign_in_notices_pkey")),
    )
    op.create_index(
        "sign_in_notices_report_token", "sign_in_notices", ["report_token_hash"], unique=True
    )
    op.create_index("sign_in_notices_user", "sign_in_notices", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index("sign_in_notices_user", table_name="sign_in_notices")
    op.drop_index("sign_in_notices_report_token", table_name="sign_in_notices")
    op.drop_table("sign_in_notices")
    op.drop_table("seen_networks")
