"""The Zalo state in the database (db/zalo.py) and migration 0011z: moments stored the old way
(plain ``DateTime(timezone=True)``, values converted to UTC first) read back as the same aware
moments through the models (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import async_database_url
from db import zalo as store
from db.engine import make_engine, make_sessions, upgrade
from db.models_zalo import ZaloChoiceRow, ZaloInteractionRow, ZaloSeenRow, ZaloTokenRow

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2026, 12, 3, 9, 30, 15, 123456, tzinfo=TZ)  # 02:30:15 UTC


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(async_database_url(database_url))
    try:
        yield engine
    finally:
        await engine.dispose()


def old_tables() -> dict[str, sa.Table]:
    """The four tables as the old models declared them (plain DateTime(timezone=True))."""
    meta = sa.MetaData()
    moment = sa.DateTime(timezone=True)
    return {
        "tokens": sa.Table(
            "zalo_tokens",
            meta,
            sa.Column("name", sa.String(32)),
            sa.Column("access_token", sa.Text),
            sa.Column("refresh_token", sa.Text),
            sa.Column("expires_at", moment),
            sa.Column("generation", sa.Integer),
            sa.Column("lease_owner", sa.String(64)),
            sa.Column("lease_until", moment),
            sa.Column("updated_at", moment),
        ),
        "interactions": sa.Table(
            "zalo_interactions",
            meta,
            sa.Column("channel", sa.String(16)),
            sa.Column("user_id", sa.String(64)),
            sa.Column("last_interaction", moment),
        ),
        "choices": sa.Table(
            "zalo_choices",
            meta,
            sa.Column("channel", sa.String(16)),
            sa.Column("user_id", sa.String(64)),
            sa.Column("choices", sa.JSON),
            sa.Column("shown_at", moment),
        ),
        "seen": sa.Table(
            "zalo_seen", meta, sa.Column("key", sa.String(160)), sa.Column("seen_at", moment)
        ),
    }


def utc(value: dt.datetime) -> dt.datetime:
    """What the old code did to every moment before storing it (zalo_common.utc)."""
    return value.astimezone(dt.UTC)


async def test_migration_0011z_keeps_every_old_moment(engine: AsyncEngine) -> None:
    await upgrade(engine, "0010i")
    old = old_tables()
    lease = NOW + dt.timedelta(seconds=60)
    expires = NOW + dt.timedelta(hours=25)
    async with engine.begin() as conn:
        await conn.execute(
            old["tokens"]
            .insert()
            .values(
                name="oa",
                access_token="a",
                refresh_token="r",
                expires_at=utc(expires),
                generation=1,
                lease_owner="x",
                lease_until=utc(lease),
                updated_at=utc(NOW),
            )
        )
        await conn.execute(
            old["interactions"]
            .insert()
            .values(channel="zalo_oa", user_id="u1", last_interaction=utc(NOW))
        )
        await conn.execute(
            old["choices"]
            .insert()
            .values(channel="zalo_bot", user_id="c1", choices=["m:faq"], shown_at=utc(NOW))
        )
        await conn.execute(old["seen"].insert().values(key="oa:msg:1", seen_at=utc(NOW)))
        if engine.dialect.name == "sqlite":
            # A moment written by hand with an offset: the old reader ignored it (7 h off).
            await conn.execute(
                sa.text("INSERT INTO zalo_seen (key, seen_at) VALUES ('hand', :t)"),
                {"t": NOW.isoformat()},
            )
    await upgrade(engine)
    sessions = make_sessions(engine)
    async with sessions() as session:
        token = await session.get(ZaloTokenRow, "oa")
        interaction = await session.get(ZaloInteractionRow, ("zalo_oa", "u1"))
        choice = await session.get(ZaloChoiceRow, ("zalo_bot", "c1"))
        seen = await session.get(ZaloSeenRow, "oa:msg:1")
        hand = await session.get(ZaloSeenRow, "hand")
    assert token is not None and interaction is not None and choice is not None
    assert seen is not None
    assert token.expires_at == expires and token.lease_until == lease
    assert token.updated_at == NOW
    assert interaction.last_interaction == NOW
    assert choice.shown_at == NOW
    assert seen.seen_at == NOW
    for moment in (token.expires_at, token.updated_at, interaction.last_interaction):
        assert moment is not None and moment.utcoffset() == dt.timedelta(0)
    if engine.dialect.name == "sqlite":
        assert hand is not None and hand.seen_at == NOW
        async with engine.connect() as conn:
            texts = set((await conn.execute(sa.text("SELECT seen_at FROM zalo_seen"))).scalars())
        assert texts == {"2026-12-03 02:30:15.123456"}  # both in AwareDateTime's own form


async def test_zalo_state_functions(engine: AsyncEngine) -> None:
    """Replay keys, choices, interactions and the token lease (the caller commits)."""
    await upgrade(engine)
    sessions = make_sessions(engine)
    async with sessions.begin() as session:
        assert await store.first_time(session, ["a", "b"], NOW)
    async with sessions.begin() as session:
        assert not await store.first_time(session, ["c", "b"], NOW)  # b was seen: a replay
    async with sessions() as session:
        keys = set((await session.scalars(sa.select(ZaloSeenRow.key))).all())
    assert keys == {"a", "b"}  # nothing of a replay is recorded
    async with sessions.begin() as session:
        await store.forget_seen(session, NOW + dt.timedelta(seconds=1))
        await store.save_choices(session, channel="zalo_oa", user_id="u", data=["x", "y"], now=NOW)
        await store.touch_interaction(session, channel="zalo_oa", user_id="u", now=NOW)
    async with sessions.begin() as session:
        assert await store.first_time(session, ["a"], NOW)  # forgotten
        assert await store.lookup_choice(session, channel="zalo_oa", user_id="u", number=2) == (
            "y",
            2,
        )
        assert await store.lookup_choice(session, channel="zalo_oa", user_id="u", number=3) == (
            None,
            2,
        )
        earlier = NOW - dt.timedelta(hours=1)
        await store.touch_interaction(session, channel="zalo_oa", user_id="u", now=earlier)
        assert await store.last_interaction(session, channel="zalo_oa", user_id="u") == NOW
        assert await store.known_users(session, "zalo_oa") == ["u"]
        await store.store_first_token(session, "oa", access_token="", refresh_token="r1", now=NOW)
        await store.store_first_token(session, "oa", access_token="z", refresh_token="r0", now=NOW)
    lease = dt.timedelta(seconds=60)
    async with sessions.begin() as session:
        row = await store.token(session, "oa")
        assert row is not None and row.refresh_token == "r1" and row.expires_at == NOW
        for owner, taken in (("me", True), ("other", False)):
            claimed = await store.claim_refresh(
                session, "oa", refresh_token="r1", owner=owner, now=NOW, lease=lease
            )
            assert claimed is taken
        assert await store.store_refreshed(
            session,
            "oa",
            spent="r1",
            owner="me",
            access_token="a2",
            refresh_token="r2",
            expires_at=NOW + dt.timedelta(hours=25),
            now=NOW,
        )
        assert not await store.store_refreshed(
            session,
            "oa",
            spent="r1",
            owner="me",
            access_token="a3",
            refresh_token="r3",
            expires_at=NOW,
            now=NOW,
        )
    async with sessions() as session:
        row = await store.token(session, "oa")
        assert row is not None and (row.access_token, row.generation) == ("a2", 1)
        assert row.lease_owner is None
