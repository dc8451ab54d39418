"""Migration 0011n: the notifier's moments and ``announcements.publish_at``, stored the old way
(SQLite: local wall time; ``publish_at``: a naive wall time of its pack's zone on both
databases), read back through the models as the same moments."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.settings import async_database_url
from db.engine import _alembic_config, make_engine, make_sessions, upgrade
from db.models import AnnouncementRow
from db.models_notify import (
    BroadcastRow,
    ConsentRow,
    DeliveryRow,
    NotifyStateRow,
    ReminderRow,
    SubscriptionRow,
    UnreachableRow,
)

HCM = ZoneInfo("Asia/Ho_Chi_Minh")  # the live content's zone (+7)
TOKYO = ZoneInfo("Asia/Tokyo")  # an older content version's zone (+9)
T = dt.datetime(2026, 12, 1, 10, 0, tzinfo=HCM)  # app.now() of the old code: aware, local
LEASE = T + dt.timedelta(seconds=60)
WALL = dt.datetime(2026, 12, 5, 8, 30)  # a pack's publish_at: wall-clock time of its zone


def _old(table: str, *columns: str, moments: tuple[str, ...] = ()) -> sa.TableClause:
    """A table as the code before 0011n wrote it: ``DateTime(timezone=True)`` moments."""
    cols: list[sa.ColumnClause[Any]] = [sa.column(c) for c in columns]
    cols += [sa.column(m, sa.DateTime(timezone=True)) for m in moments]
    return sa.table(table, *cols)


async def _write_the_old_way(conn: AsyncConnection) -> None:
    versions = _old(
        "content_versions", "id", "author", "source", "note", "summary", moments=("created_at",)
    )
    await conn.execute(
        versions.insert(),
        [
            {"id": v, "author": "t", "source": "", "note": "", "summary": "{}", "created_at": T}
            for v in (1, 2)
        ],
    )
    await conn.execute(
        _old(
            "pack_info",
            "version_id",
            "name",
            "organisation",
            "timezone",
            "locale",
            "contact",
            "has_mobile",
            "lexicon",
        ).insert(),
        [
            {
                "version_id": v,
                "name": "p",
                "organisation": "o",
                "timezone": zone,
                "locale": "vi",
                "contact": "c",
                "has_mobile": False,
                "lexicon": "{}",
            }
            for v, zone in ((1, "Asia/Tokyo"), (2, "Asia/Ho_Chi_Minh"))
        ],
    )
    await conn.execute(
        _old("content_head", "id", "version_id").insert(), {"id": 1, "version_id": 2}
    )
    await conn.execute(
        sa.table(
            "announcements",
            *(
                sa.column(c)
                for c in ("version_id", "slug", "position", "title", "body", "topics", "communes")
            ),
            sa.column("publish_at", sa.DateTime()),
        ).insert(),
        [
            {
                "version_id": v,
                "slug": "a",
                "position": 0,
                "title": "t",
                "body": "b",
                "topics": "[]",
                "communes": "[]",
                "publish_at": WALL,
            }
            for v in (1, 2)
        ],
    )
    await conn.execute(
        sa.text(
            "INSERT INTO users (id, channel, user_id, chat_id, first_seen, last_seen, "
            "window_count) VALUES (1, 'telegram', '1', '1', :t, :t, 0)"
        ),
        {"t": "2026-12-01 03:00:00.000000" if conn.dialect.name == "sqlite" else T},
    )
    rows = [
        (
            _old(
                "subscriptions",
                "id",
                "user_pk",
                "kind",
                "value",
                "purpose",
                moments=("consented_at",),
            ),
            {"id": 1, "user_pk": 1, "kind": "all", "value": "", "purpose": "p", "consented_at": T},
        ),
        (
            _old(
                "consent_log",
                "id",
                "user_pk",
                "action",
                "purpose",
                "detail",
                "via",
                moments=("at",),
            ),
            {
                "id": 1,
                "user_pk": 1,
                "action": "grant",
                "purpose": "p",
                "detail": "",
                "via": "",
                "at": T,
            },
        ),
        (
            _old(
                "reminders",
                "id",
                "user_pk",
                "ref",
                "target_date",
                "snapshot",
                "status",
                moments=("created_at",),
            ),
            {
                "id": 1,
                "user_pk": 1,
                "ref": "stop:x",
                "target_date": dt.date(2026, 12, 5),
                "snapshot": "{}",
                "status": "active",
                "created_at": T,
            },
        ),
        (
            _old("unreachable_users", "user_pk", "reason", moments=("at",)),
            {"user_pk": 1, "reason": "blocked", "at": T},
        ),
        (
            _old(
                "broadcasts",
                "id",
                "source",
                "kind",
                "title",
                "text",
                "buttons",
                "status",
                "total",
                moments=("due_at", "created_at", "finished_at"),
            ),
            {
                "id": 1,
                "source": "s",
                "kind": "k",
                "title": "",
                "text": "x",
                "buttons": "[]",
                "status": "running",
                "total": 1,
                "due_at": T,
                "created_at": T,
                "finished_at": None,
            },
        ),
        (
            _old(
                "deliveries",
                "id",
                "broadcast_id",
                "user_pk",
                "channel",
                "chat_id",
                "status",
                "attempts",
                moments=("next_attempt_at", "claimed_until", "sent_at"),
            ),
            {
                "id": 1,
                "broadcast_id": 1,
                "user_pk": 1,
                "channel": "telegram",
                "chat_id": "1",
                "status": "sending",
                "attempts": 0,
                "next_attempt_at": T,
                "claimed_until": LEASE,
                "sent_at": None,
            },
        ),
        (
            _old("notify_state", "key", "value", moments=("updated_at",)),
            {"key": "content_version", "value": "2", "updated_at": T},
        ),
    ]
    for table, values in rows:
        await conn.execute(table.insert(), values)


async def test_old_times_are_the_same_moments_after_0011n(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOCTAP_TIMEZONE", "Europe/London")  # the live content's zone wins
    sqlite = database_url.startswith("sqlite")
    engine = make_engine(async_database_url(database_url))
    try:
        await upgrade(engine, "0010i")
        async with engine.begin() as conn:
            await _write_the_old_way(conn)
            if sqlite:  # the premise: the offset was dropped, local wall time stored
                raw = await conn.scalar(sa.text("SELECT due_at FROM broadcasts"))
                assert raw == "2026-12-01 10:00:00.000000"
        await upgrade(engine)
        async with engine.connect() as conn:
            if sqlite:  # now UTC, in the format AwareDateTime writes
                raw = await conn.scalar(sa.text("SELECT due_at FROM broadcasts"))
                assert raw == "2026-12-01 03:00:00.000000"
                raw = await conn.scalar(
                    sa.text("SELECT publish_at FROM announcements WHERE version_id = 1")
                )
                assert raw == "2026-12-04 23:30:00.000000"  # 08:30 in Tokyo
        async with make_sessions(engine)() as session:
            assert (await session.get(SubscriptionRow, 1)).consented_at == T  # type: ignore[union-attr]
            assert (await session.get(ConsentRow, 1)).at == T  # type: ignore[union-attr]
            assert (await session.get(ReminderRow, 1)).created_at == T  # type: ignore[union-attr]
            assert (await session.get(UnreachableRow, 1)).at == T  # type: ignore[union-attr]
            broadcast = await session.get(BroadcastRow, 1)
            assert broadcast is not None
            assert (broadcast.due_at, broadcast.created_at, broadcast.finished_at) == (T, T, None)
            assert broadcast.due_at.utcoffset() is not None
            delivery = await session.get(DeliveryRow, 1)
            assert delivery is not None
            assert (delivery.next_attempt_at, delivery.claimed_until, delivery.sent_at) == (
                T,
                LEASE,
                None,
            )
            state = await session.get(NotifyStateRow, "content_version")
            assert state is not None and state.updated_at == T
            old = await session.get(AnnouncementRow, (1, "a"))
            live = await session.get(AnnouncementRow, (2, "a"))
            assert old is not None and live is not None
            assert old.publish_at == WALL.replace(tzinfo=TOKYO)
            assert live.publish_at == WALL.replace(tzinfo=HCM)
            # and the claim query of the outbox compares them as moments
            due = await session.scalar(
                sa.select(sa.func.count())
                .select_from(DeliveryRow)
                .where(DeliveryRow.claimed_until < LEASE + dt.timedelta(seconds=1))
            )
            assert due == 1

        def down(conn: Connection) -> None:
            from alembic import command

            command.downgrade(_alembic_config(conn), "0010i")

        async with engine.begin() as conn:
            await conn.run_sync(down)
        async with engine.connect() as conn:
            publish = await conn.scalar(
                sa.select(sa.column("publish_at", sa.DateTime()))
                .select_from(sa.table("announcements"))
                .where(sa.text("version_id = 1"))
            )
            assert publish == WALL  # naive wall time of its pack's zone again
            if sqlite:
                raw = await conn.scalar(sa.text("SELECT due_at FROM broadcasts"))
                assert raw == "2026-12-01 10:00:00.000000"
        await upgrade(engine)  # and up again
    finally:
        await engine.dispose()
