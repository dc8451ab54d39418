"""zalo: every stored moment an AwareDateTime (UTC on SQLite, timestamptz on PostgreSQL)

Revision ID: 0011z
Revises: 0011n
Create Date: 2026-12-03 18:10:00.000000

What the old code wrote: every Zalo moment went through ``zalo_common.utc()`` (or ``utc(now)``
in the token store) before it was stored, and SQLite's ``DateTime`` drops the offset, so each
row holds naive UTC text ``YYYY-MM-DD HH:MM:SS.ffffff`` — exactly what ``AwareDateTime``
writes. Those rows stay as they are. A value in any other form (an offset such as ``+07:00``,
which SQLAlchemy's SQLite reader silently ignores, or a ``T`` separator), written by hand or by
another tool, is rewritten as that moment in UTC; a value without an offset is UTC already.

PostgreSQL: the columns were created ``timestamptz`` (``DateTime(timezone=True)``), so nothing
changes; a column found without time zone is converted reading its values as UTC.
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011z"
down_revision: str | None = "0011n"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS: dict[str, tuple[str, ...]] = {
    "zalo_tokens": ("expires_at", "lease_until", "updated_at"),
    "zalo_interactions": ("last_interaction",),
    "zalo_choices": ("shown_at",),
    "zalo_seen": ("seen_at",),
}
CANONICAL = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's SQLite DateTime storage format


def canonical_utc(text: str) -> str | None:
    """``text`` as AwareDateTime's SQLite form, or None when it is in that form already (or
    unreadable: then it is left alone)."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    fixed = moment.strftime(CANONICAL)
    return None if fixed == text else fixed


def _sqlite() -> None:
    conn = op.get_bind()
    for table, columns in COLUMNS.items():
        for column in columns:
            rows = conn.execute(
                sa.text(
                    f"SELECT rowid, {column} FROM {table} "
                    f"WHERE {column} IS NOT NULL AND typeof({column}) = 'text'"
                )
            ).all()
            for rowid, value in rows:
                fixed = canonical_utc(str(value))
                if fixed is not None:
                    conn.execute(
                        sa.text(f"UPDATE {table} SET {column} = :v WHERE rowid = :r"),
                        {"v": fixed, "r": rowid},
                    )


def _postgresql() -> None:
    conn = op.get_bind()
    for table, columns in COLUMNS.items():
        for column in columns:
            kind = conn.scalar(
                sa.text(
                    "SELECT data_type FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND table_name = :t "
                    "AND column_name = :c"
                ),
                {"t": table, "c": column},
            )
            if kind == "timestamp without time zone":
                op.execute(
                    f"ALTER TABLE {table} ALTER COLUMN {column} TYPE timestamptz "
                    f"USING {column} AT TIME ZONE 'UTC'"
                )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite()
    elif dialect == "postgresql":
        _postgresql()


def downgrade() -> None:
    # The old code read naive UTC on SQLite and timestamptz on PostgreSQL: nothing to undo.
    pass
