"""Identity access tokens refused before they expire (logged-out sessions, devices reset): the
registry verifies identity's JWT access tokens itself, so it keeps the revocations it hears of.

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
        "access_token_revocations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("sid", sa.Text(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("issued_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("keep_until", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "sid IS NOT NULL OR user_id IS NOT NULL", name="access_token_revocations_names_whom"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("access_token_revocations_pkey")),
    )
    op.create_index(
        "access_token_revocations_keep_until",
        "access_token_revocations",
        ["keep_until"],
        unique=False,
    )
    op.create_index(
        "access_token_revocations_recorded",
        "access_token_revocations",
        ["recorded_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("access_token_revocations_recorded", table_name="access_token_revocations")
    op.drop_index("access_token_revocations_keep_until", table_name="access_token_revocations")
    op.drop_table("access_token_revocations")
