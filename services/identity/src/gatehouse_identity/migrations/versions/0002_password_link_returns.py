"""Where signing in goes after a password is set from an e-mailed link: the return address of
the sign-in page that sent someone to sign up or to reset a forgotten password (issue 14).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "password_link_returns",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("next_url", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("password_link_returns_pkey")),
    )


def downgrade() -> None:
    op.drop_table("password_link_returns")
