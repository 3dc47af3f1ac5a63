"""A user's messages newest first (MessageService.ListUserMessages, identity's *My data*; and
forgetting a deleted account's recipient), without reading the whole messages table.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "messages_recipient_created",
        "messages",
        ["recipient_user_id", "created_at", "id"],
    )


def downgrade() -> None:
    op.drop_index("messages_recipient_created", table_name="messages")
