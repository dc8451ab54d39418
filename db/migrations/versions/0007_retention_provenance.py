"""text provenance (FAQ phrasings adopted from citizens' questions); no group chat targets

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 12:30:00.000000

Besides the new table, two repairs of data written before issue 12:
* a Telegram user's ``chat_id`` that is not their private chat (a group they wrote in) is
  pointed back at the private chat, which on Telegram has the user's own id;
* the unanswered-inbox texts kept in ``audit_log.detail`` by "ignore" are dropped (the audit
  keeps the question ids and their count).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "text_provenance",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("faq", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("user_pk", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_pk"],
            ["users.id"],
            name=op.f("fk_text_provenance_user_pk_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_text_provenance")),
    )
    with op.batch_alter_table("text_provenance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_text_provenance_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_text_provenance_text_hash"), ["text_hash"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_text_provenance_user_pk"), ["user_pk"], unique=False)

    op.execute(
        "UPDATE users SET chat_id = user_id WHERE channel = 'telegram' AND chat_id <> user_id"
    )
    audit = sa.table(
        "audit_log",
        sa.column("id", sa.Integer()),
        sa.column("action"),
        sa.column("detail", sa.JSON()),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(audit.c.id, audit.c.detail).where(audit.c.action == "inbox.ignore")
    ).all()
    for row_id, detail in rows:
        if isinstance(detail, dict) and "texts" in detail:
            kept = {k: v for k, v in detail.items() if k != "texts"}
            kept["count"] = len(detail.get("texts") or [])
            conn.execute(sa.update(audit).where(audit.c.id == row_id).values(detail=kept))


def downgrade() -> None:
    with op.batch_alter_table("text_provenance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_text_provenance_user_pk"))
        batch_op.drop_index(batch_op.f("ix_text_provenance_text_hash"))
        batch_op.drop_index(batch_op.f("ix_text_provenance_at"))
    op.drop_table("text_provenance")
