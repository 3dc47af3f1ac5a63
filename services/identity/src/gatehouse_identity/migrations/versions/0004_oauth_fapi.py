"""OAuth at FAPI 2.0 Security Profile level (issue 19): pushed authorization requests (RFC 9126),
DPoP bindings and replayed proofs (RFC 9449), client keys for private_key_jwt (RFC 7523) and the
grants a client may use (client_credentials).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oidc_used_jtis",
        sa.Column("jti_hash", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("jti_hash", name=op.f("oidc_used_jtis_pkey")),
    )
    op.create_index("oidc_used_jtis_expires_at", "oidc_used_jtis", ["expires_at"], unique=False)
    op.create_table(
        "oidc_pushed_authorization_requests",
        sa.Column("request_uri_hash", sa.LargeBinary(), nullable=False),
        sa.Column("client_id", sa.Text(), nullable=False),
        sa.Column("params", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["oidc_clients.client_id"],
            name=op.f("oidc_pushed_authorization_requests_client_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "request_uri_hash", name=op.f("oidc_pushed_authorization_requests_pkey")
        ),
    )
    op.add_column("oidc_access_tokens", sa.Column("dpop_jkt", sa.Text(), nullable=True))
    op.add_column("oidc_authorization_codes", sa.Column("dpop_jkt", sa.Text(), nullable=True))
    op.add_column(
        "oidc_clients",
        sa.Column(
            "grant_types",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{authorization_code,refresh_token}'"),
            nullable=False,
        ),
    )
    op.add_column(
        "oidc_clients", sa.Column("jwks", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )
    op.add_column("oidc_clients", sa.Column("jwks_uri", sa.Text(), nullable=True))
    op.add_column(
        "oidc_clients",
        sa.Column(
            "require_pushed_authorization_requests",
            sa.Boolean(),
            server_default=sa.text("false"),
            nullable=False,
        ),
    )
    op.add_column(
        "oidc_clients",
        sa.Column(
            "dpop_bound_access_tokens",
            sa.Boolean(),
            server_default=sa.text("false"),
            nullable=False,
        ),
    )
    op.add_column("oidc_grants", sa.Column("dpop_jkt", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("oidc_grants", "dpop_jkt")
    op.drop_column("oidc_clients", "dpop_bound_access_tokens")
    op.drop_column("oidc_clients", "require_pushed_authorization_requests")
    op.drop_column("oidc_clients", "jwks_uri")
    op.drop_column("oidc_clients", "jwks")
    op.drop_column("oidc_clients", "grant_types")
    op.drop_column("oidc_authorization_codes", "dpop_jkt")
    op.drop_column("oidc_access_tokens", "dpop_jkt")
    op.drop_table("oidc_pushed_authorization_requests")
    op.drop_index("oidc_used_jtis_expires_at", table_name="oidc_used_jtis")
    op.drop_table("oidc_used_jtis")
