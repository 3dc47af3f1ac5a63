"""Web-service access of operators and their machine clients (issue 19, points 1-2): the
requests the competent authority decides, and the clients made in identity under them.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _at(name: str, *, now: bool = False) -> sa.Column[object]:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        server_default=sa.text("now()") if now else None,
        nullable=not now,
    )


def upgrade() -> None:
    op.create_table(
        "web_service_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("requested_by", sa.Uuid(), nullable=False),
        sa.Column("system_name", sa.Text(), nullable=False),
        sa.Column("contact_email", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        _at("requested_at", now=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        _at("decided_at"),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'revoked')",
            name=op.f("web_service_requests_status_check"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("web_service_requests_organization_id_fkey"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("web_service_requests_pkey")),
    )
    op.create_index(
        "web_service_requests_organization", "web_service_requests", ["organization_id"]
    )
    op.create_table(
        "machine_clients",
        sa.Column("client_id", sa.Text(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("auth_method", sa.Text(), nullable=False),
        sa.Column("scopes", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        _at("created_at", now=True),
        sa.Column("rotated_by", sa.Uuid(), nullable=True),
        _at("rotated_at"),
        sa.Column("revoked_by", sa.Uuid(), nullable=True),
        _at("revoked_at"),
        sa.Column("revocation_reason", sa.Text(), nullable=True),
        _at("removed_at_identity"),
        sa.CheckConstraint(
            "status IN ('active', 'revoked')", name=op.f("machine_clients_status_check")
        ),
        sa.CheckConstraint(
            "auth_method IN ('private_key_jwt', 'client_secret_basic')",
            name=op.f("machine_clients_auth_method_check"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("machine_clients_organization_id_fkey"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["web_service_requests.id"],
            name=op.f("machine_clients_request_id_fkey"),
        ),
        sa.PrimaryKeyConstraint("client_id", name=op.f("machine_clients_pkey")),
    )
    op.create_index("machine_clients_organization", "machine_clients", ["organization_id"])
    op.create_index("machine_clients_request", "machine_clients", ["request_id"])


def downgrade() -> None:
    op.drop_index("machine_clients_request", table_name="machine_clients")
    op.drop_index("machine_clients_organization", table_name="machine_clients")
    op.drop_table("machine_clients")
    op.drop_index("web_service_requests_organization", table_name="web_service_requests")
    op.drop_table("web_service_requests")
