"""Passkey-first sign-in (issue 18, point 1): the challenges of sign-ins that start with a passkey
(no user and no session yet, so not mfa_challenges: only the SHA-256 of each challenge, used
once, until it expires), and when a user said "no thanks" to the invitation to add a passkey.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "passkey_challenges",
        sa.Column("challenge_hash", sa.LargeBinary(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("challenge_hash", name=op.f("passkey_challenges_pkey")),
    )
    op.create_index("passkey_challenges_expiry", "passkey_challenges", ["expires_at"], unique=False)
    op.add_column(
        "users",
        sa.Column("passkey_invitation_dismissed_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("users", "passkey_invitation_dismissed_at")
    op.drop_index("passkey_challenges_expiry", table_name="passkey_challenges")
    op.drop_table("passkey_challenges")
