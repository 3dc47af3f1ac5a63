"""Machine clients of registry operators (issue 19, points 1-2): the operator a client speaks
for, emitted as the `operator_id` claim of its client_credentials tokens; all of an operator's
clients are found (and removed) by it.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("oidc_clients", sa.Column("operator_id", sa.Uuid(), nullable=True))
    op.create_index("oidc_clients_operator", "oidc_clients", ["operator_id"], unique=False)


def downgrade() -> None:
    op.drop_index("oidc_clients_operator", table_name="oidc_clients")
    op.drop_column("oidc_clients", "operator_id")
