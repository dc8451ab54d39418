"""in-chat class sign-up: seats, registrations (waiting list), demand for classes not offered;
the courses' optional registration_closes date; users.signup_at (a sign-up in progress)

Revision ID: 0009r
Revises: 0008q
Create Date: 2026-12-03 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009r"
down_revision: str | None = "0008q"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("registration_closes", sa.Date(), nullable=True))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signup_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "course_seats",
        sa.Column("course_id", sa.String(length=120), nullable=False),
        sa.Column("next_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("course_id", name=op.f("pk_course_seats")),
    )
    op.create_table(
        "registrations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("course_id", sa.String(length=120), nullable=False),
        sa.Column("user_pk", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("class_end", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_pk"],
            ["users.id"],
            name=op.f("fk_registrations_user_pk_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrations")),
    )
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registrations_course_status_seq", ["course_id", "status", "seq"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_registrations_user_pk"), ["user_pk"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_registrations_class_end"), ["class_end"], unique=False
        )
    op.create_table(
        "demand_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_pk", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=120), nullable=False),
        sa.Column("commune", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("course_id", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_pk"],
            ["users.id"],
            name=op.f("fk_demand_requests_user_pk_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demand_requests")),
    )
    with op.batch_alter_table("demand_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_demand_requests_topic"), ["topic"], unique=False)
        batch_op.create_index(batch_op.f("ix_demand_requests_user_pk"), ["user_pk"], unique=False)


def downgrade() -> None:
    op.drop_table("demand_requests")
    op.drop_table("registrations")
    op.drop_table("course_seats")
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.drop_column("registration_closes")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("signup_at")
