"""zalo tokens and interaction windows

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the Zalo tables (tokens, interactions, numbered choices, seen deliveries)."""
    op.create_table(
        "zalo_tokens",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_zalo_tokens")),
    )
    op.create_table(
        "zalo_interactions",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("last_interaction", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "user_id", name=op.f("pk_zalo_interactions")),
    )
    op.create_table(
        "zalo_choices",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("shown_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "user_id", name=op.f("pk_zalo_choices")),
    )
    op.create_table(
        "zalo_seen",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_zalo_seen")),
    )
    op.create_index(op.f("ix_zalo_seen_seen_at"), "zalo_seen", ["seen_at"], unique=False)


def downgrade() -> None:
    """Drop the Zalo tables."""
    op.drop_index(op.f("ix_zalo_seen_seen_at"), table_name="zalo_seen")
    op.drop_table("zalo_seen")
    op.drop_table("zalo_choices")
    op.drop_table("zalo_interactions")
    op.drop_table("zalo_tokens")
