"""one stored-time convention: every moment of the notifier and the announcements is aware UTC

Revision ID: 0011n
Revises: 0010i
Create Date: 2026-12-03 18:30:00.000000

Until now the notifier's tables (``DateTime(timezone=True)``) and ``announcements.publish_at``
(``timezone=False``) were not :class:`~db.models.AwareDateTime`:

* on SQLite, ``DateTime(timezone=True)`` drops the offset, so the notifier's moments (always
  ``app.now()`` or derived from it: aware, in the instance's zone) were stored as local wall
  time of that zone. They become UTC, in the format ``AwareDateTime`` writes. The zone is the
  one ``app.now()`` used: the live content's (``pack_info.timezone`` of ``content_head``), or
  ``HOCTAP_TIMEZONE`` (default Asia/Ho_Chi_Minh) when there is no content;
* ``announcements.publish_at`` was a naive wall-clock time of its pack's zone (``bot.pack.load``)
  on both databases. On SQLite it becomes UTC likewise, each row in the zone of its own content
  version; on PostgreSQL the column becomes ``timestamptz``, interpreted the same way.

The notifier's columns were already ``timestamptz`` on PostgreSQL: nothing to do there.
Downgrade converts back.
"""

import datetime as dt
import os
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

revision: str = "0011n"
down_revision: str | None = "0010i"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_ZONE = "Asia/Ho_Chi_Minh"

# table -> (key columns, moment columns) of the notifier (db/models_notify.py)
NOTIFY: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "subscriptions": (("id",), ("consented_at",)),
    "consent_log": (("id",), ("at",)),
    "reminders": (("id",), ("created_at",)),
    "unreachable_users": (("user_pk",), ("at",)),
    "broadcasts": (("id",), ("due_at", "created_at", "finished_at")),
    "deliveries": (("id",), ("next_attempt_at", "claimed_until", "sent_at")),
    "notify_state": (("key",), ("updated_at",)),
}
ANNOUNCEMENT_KEYS = ("version_id", "slug")

Shift = Callable[[dt.datetime, ZoneInfo], dt.datetime]


def _to_utc(wall: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """A naive wall-clock time of ``zone`` as naive UTC (what AwareDateTime stores on SQLite)."""
    return wall.replace(tzinfo=zone).astimezone(dt.UTC).replace(tzinfo=None)


def _to_wall(utc: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return utc.replace(tzinfo=dt.UTC).astimezone(zone).replace(tzinfo=None)


def _settings_zone() -> str:
    """``HOCTAP_TIMEZONE`` as the settings read it (environment, ``.env``), else the default."""
    try:
        from bot.settings import load_settings

        return load_settings().timezone
    except Exception:  # another setting is wrong: the zone alone still counts
        return os.environ.get("HOCTAP_TIMEZONE") or DEFAULT_ZONE


def _instance_zone(conn: Connection) -> str:
    """The zone ``app.now()`` has been using: the live content's, else the settings'."""
    live = conn.execute(
        sa.text(
            "SELECT p.timezone FROM content_head h JOIN pack_info p ON p.version_id = h.version_id"
        )
    ).scalar()
    return str(live) if live else _settings_zone()


def _shift_rows(
    conn: Connection,
    table: str,
    keys: tuple[str, ...],
    columns: tuple[str, ...],
    zone_of: Callable[[sa.Row[tuple[object, ...]]], ZoneInfo],
    shift: Shift,
) -> None:
    """Rewrite every non-null moment of ``columns`` (SQLite: stored as naive text)."""
    t = sa.table(
        table, *(sa.column(k) for k in keys), *(sa.column(c, sa.DateTime()) for c in columns)
    )
    rows = conn.execute(sa.select(t)).all()
    where = sa.and_(*(t.c[k] == sa.bindparam(f"k_{k}") for k in keys))
    for column in columns:
        params = [
            {**{f"k_{k}": row._mapping[k] for k in keys}, "v": shift(value, zone_of(row))}
            for row in rows
            if (value := row._mapping[column]) is not None
        ]
        if params:
            conn.execute(sa.update(t).where(where).values({column: sa.bindparam("v")}), params)


def _version_zones(
    conn: Connection, fallback: str
) -> Callable[[sa.Row[tuple[object, ...]]], ZoneInfo]:
    zones = {
        version: ZoneInfo(str(zone))
        for version, zone in conn.execute(sa.text("SELECT version_id, timezone FROM pack_info"))
    }
    default = ZoneInfo(fallback)
    return lambda row: zones.get(row._mapping["version_id"], default)


def _convert(shift: Shift, pg_to_utc: bool) -> None:
    conn = op.get_bind()
    fallback = _instance_zone(conn)
    if conn.dialect.name == "sqlite":
        zone = ZoneInfo(fallback)
        for table, (keys, columns) in NOTIFY.items():
            _shift_rows(conn, table, keys, columns, lambda _row: zone, shift)
        announcements = _version_zones(conn, fallback)
        _shift_rows(
            conn, "announcements", ANNOUNCEMENT_KEYS, ("publish_at",), announcements, shift
        )
        return
    # PostgreSQL: the zone of each row's content version, in one statement each way.
    zone_sql = (
        "COALESCE((SELECT p.timezone FROM pack_info p "
        "WHERE p.version_id = announcements.version_id), :zone)"
    )
    if pg_to_utc:  # wall time read as UTC first, then moved to the moment it names
        op.execute(
            "ALTER TABLE announcements ALTER COLUMN publish_at TYPE timestamptz "
            "USING publish_at AT TIME ZONE 'UTC'"
        )
        conn.execute(
            sa.text(
                "UPDATE announcements SET publish_at = "
                f"(publish_at AT TIME ZONE 'UTC') AT TIME ZONE {zone_sql}"
            ),
            {"zone": fallback},
        )
    else:
        conn.execute(
            sa.text(
                "UPDATE announcements SET publish_at = "
                f"(publish_at AT TIME ZONE {zone_sql}) AT TIME ZONE 'UTC'"
            ),
            {"zone": fallback},
        )
        op.execute(
            "ALTER TABLE announcements ALTER COLUMN publish_at "
            "TYPE timestamp without time zone USING publish_at AT TIME ZONE 'UTC'"
        )


def upgrade() -> None:
    _convert(_to_utc, pg_to_utc=True)


def downgrade() -> None:
    _convert(_to_wall, pg_to_utc=False)
