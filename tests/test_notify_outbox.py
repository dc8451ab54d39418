"""Announcements through the outbox to the fake Bot API: audience, 429, 403, retries, quiet hours,
stale items, idempotent ticks and lease recovery, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from telegram import Bot

from bot.app import App, build_app
from bot.channels.telegram_sender import TelegramSender
from bot.clock import FixedClock
from bot.delivery import Outcome, Sender
from bot.messages import Reply
from bot.notify.config import NotifySettings
from bot.notify.scheduler import Notifier
from bot.settings import Settings
from db.models import UserRow
from db.models_notify import BroadcastRow, DeliveryRow, SubscriptionRow, UnreachableRow
from tests.conftest import DEV_PACK
from tests.fakes.telegram import FakeTelegram, Fault

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = dt.datetime(2026, 11, 25, 7, 30, tzinfo=TZ)  # khai-giang-smartphone is due at 08:00


def config(**overrides: object) -> NotifySettings:
    """Notifier settings for tests: fast pace, short backoff."""
    values: dict[str, object] = {"rate_per_s": 200.0, "per_chat_interval_s": 0.0}
    values["backoff_seconds"] = 10.0
    values.update(overrides)
    return NotifySettings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[App]:
    """The dev pack on a fixed clock."""
    settings = Settings(_env_file=None, database_url=database_url, content_dir=DEV_PACK)
    application = build_app(settings, clock=FixedClock(START))
    await application.prepare()
    try:
        yield application
    finally:
        await application.close()


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """The fake Bot API server."""
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    """A real PTB Bot pointed at the fake."""
    async with Bot(fake.token, base_url=f"{fake.base_url}/bot") as client:
        yield client


async def seed(app: App, uid: int, *subs: tuple[str, str], channel: str = "telegram") -> int:
    """A user who opted into ``subs`` (written directly)."""
    async with app.sessions.begin() as session:
        user = UserRow(
            channel=channel, user_id=str(uid), chat_id=str(uid), first_seen=START, last_seen=START
        )
        session.add(user)
        await session.flush()
        for kind, value in subs:
            session.add(
                SubscriptionRow(
                    user_pk=user.id, kind=kind, value=value, consented_at=START, purpose="test"
                )
            )
        return user.id


def advance(app: App, **delta: float) -> None:
    """Move the test clock."""
    assert isinstance(app.clock, FixedClock)
    app.clock.advance(dt.timedelta(**delta))


def to(app: App, when: dt.datetime) -> None:
    """Set the test clock."""
    assert isinstance(app.clock, FixedClock)
    app.clock.when = when


async def statuses(app: App) -> dict[str, str]:
    """chat_id → delivery status (one broadcast at a time in these tests)."""
    async with app.sessions() as session:
        rows = await session.execute(select(DeliveryRow.chat_id, DeliveryRow.status))
        return {chat: status for chat, status in rows.all()}


async def test_announcement_reaches_exactly_its_audience(
    app: App, fake: FakeTelegram, bot: Bot
) -> None:
    await seed(app, 1, ("topic", "tin-hoc"))
    await seed(app, 2, ("all", ""))
    await seed(app, 3, ("topic", "nghe"))
    await seed(app, 4, ("commune", "Xã Chợ Rã"))
    await seed(app, 5)  # talked to the bot, never opted in
    blocked = await seed(app, 7, ("all", ""), ("topic", "tin-hoc"))
    fake.blocked.add(7)
    notifier = Notifier(app, {"telegram": TelegramSender(bot)}, config())
    await notifier.tick()
    assert fake.sent == []  # 07:30: not due yet
    to(app, dt.datetime(2026, 11, 25, 8, 0, tzinfo=TZ))
    stats = await notifier.tick()
    assert sorted(m["chat"]["id"] for m in fake.sent) == [1, 2]
    assert "Khai giảng" in fake.sent[0]["text"]
    assert stats.sent == 2 and stats.failed == 1
    assert (await statuses(app))["7"] == "failed"
    async with app.sessions() as session:
        assert await session.get(UnreachableRow, blocked) is not None
        assert (
            await session.scalars(
                select(SubscriptionRow).where(SubscriptionRow.user_pk == blocked)
            )
        ).first() is None
    await notifier.tick()
    assert len(fake.sent) == 2  # sent once
    # tuyen-sinh-may: topic nghe + communes Đức Xuân / Chợ Rã, plus "all" subscribers
    to(app, dt.datetime(2026, 12, 5, 7, 30, tzinfo=TZ))
    await notifier.tick()
    later = sorted(m["chat"]["id"] for m in fake.sent[2:])
    assert later == [2, 3, 4]


async def test_429_is_honoured_and_nothing_is_lost(app: App, fake: FakeTelegram, bot: Bot) -> None:
    for uid in range(1, 6):
        await seed(app, uid, ("all", ""))
    fake.faults["sendMessage"].append(Fault.flood(1, chat_id=3))
    notifier = Notifier(app, {"telegram": TelegramSender(bot)}, config())
    to(app, dt.datetime(2026, 11, 25, 8, 0, tzinfo=TZ))
    stats = await notifier.tick()
    assert stats.flood_waits == 1 and stats.retried == 1
    assert (await statuses(app))["3"] == "pending"  # waits retry_after, on the clock
    await notifier.tick()
    assert (await statuses(app))["3"] == "pending"
    advance(app, seconds=1)
    await notifier.tick()
    assert set((await statuses(app)).values()) == {"sent"}
    assert sorted(m["chat"]["id"] for m in fake.sent) == [1, 2, 3, 4, 5]


async def test_transient_errors_back_off_then_fail_with_the_reason(
    app: App, fake: FakeTelegram, bot: Bot
) -> None:
    await seed(app, 1, ("all", ""))
    await seed(app, 2, ("all", ""))
    fake.faults["sendMessage"].append(Fault.server_error(chat_id=1))
    for _ in range(3):
        fake.faults["sendMessage"].append(Fault.server_error(chat_id=2))
    notifier = Notifier(app, {"telegram": TelegramSender(bot)}, config(max_attempts=3))
    to(app, dt.datetime(2026, 11, 25, 8, 0, tzinfo=TZ))
    await notifier.tick()
    advance(app, seconds=10)  # first backoff
    await notifier.tick()
    assert (await statuses(app)) == {"1": "sent", "2": "pending"}
    advance(app, seconds=20)  # second backoff; third failure gives up
    await notifier.tick()
    async with app.sessions() as session:
        failed = await session.scalar(select(DeliveryRow).where(DeliveryRow.chat_id == "2"))
    assert failed is not None and failed.status == "failed" and failed.attempts == 3
    assert "gave up after 3 attempts" in (failed.error or "")


class WindowSender:
    """A hand-written Sender whose platform window is closed (like Zalo's 48 h)."""

    channel = "zalo_oa"

    def __init__(self) -> None:
        self.delivered: list[str] = []

    async def can_message(self, chat_id: str, now: dt.datetime) -> tuple[bool, str | None]:
        """Never: outside the messaging window."""
        return False, "outside the 48 h interaction window"

    async def deliver(self, chat_id: str, reply: Reply) -> Outcome:
        """Not called."""
        self.delivered.append(chat_id)
        return Outcome("sent")


async def test_skips_when_the_platform_forbids_and_respects_quiet_hours(
    app: App, fake: FakeTelegram, bot: Bot
) -> None:
    await seed(app, 1, ("all", ""))
    await seed(app, 2, ("all", ""), channel="zalo_oa")
    window = WindowSender()
    senders: dict[str, Sender] = {"telegram": TelegramSender(bot), "zalo_oa": window}
    quiet = config(quiet_start=dt.time(7, 45), quiet_end=dt.time(9, 0))
    notifier = Notifier(app, senders, quiet)
    to(app, dt.datetime(2026, 11, 25, 8, 30, tzinfo=TZ))  # due 08:00, in quiet hours
    await notifier.tick()
    assert fake.sent == [] and await statuses(app) == {}
    to(app, dt.datetime(2026, 11, 25, 9, 0, tzinfo=TZ))
    await notifier.tick()
    assert [m["chat"]["id"] for m in fake.sent] == [1]
    async with app.sessions() as session:
        skipped = await session.scalar(select(DeliveryRow).where(DeliveryRow.chat_id == "2"))
    assert skipped is not None and skipped.status == "skipped"
    assert skipped.error == "outside the 48 h interaction window" and window.delivered == []


async def test_stale_items_are_expired_with_a_reason(
    app: App, fake: FakeTelegram, bot: Bot
) -> None:
    await seed(app, 1, ("all", ""))
    notifier = Notifier(app, {"telegram": TelegramSender(bot)}, config())
    to(app, dt.datetime(2026, 11, 26, 9, 0, tzinfo=TZ))  # down for 25 h
    await notifier.tick()
    async with app.sessions() as session:
        row = await session.scalar(
            select(BroadcastRow).where(BroadcastRow.source == "pack:khai-giang-smartphone")
        )
    assert row is not None and row.status == "expired" and "stale" in (row.reason or "")
    assert fake.sent == []


async def test_racing_ticks_make_one_broadcast_and_expired_leases_resend(
    app: App, fake: FakeTelegram, bot: Bot
) -> None:
    for uid in range(1, 31):
        await seed(app, uid, ("all", ""))
    to(app, dt.datetime(2026, 11, 25, 8, 0, tzinfo=TZ))
    one = Notifier(app, {"telegram": TelegramSender(bot)}, config(batch_size=5))
    two = Notifier(app, {"telegram": TelegramSender(bot)}, config(batch_size=5))
    if app.db.dialect.name == "sqlite":
        await one.make_due(await app.require_live())
        await two.make_due(await app.require_live())
    else:
        live = await app.require_live()
        await asyncio.gather(one.make_due(live), two.make_due(live))
    # A sender claims a batch and "crashes" before sending it.
    claimed = await one.outbox.claim(5)
    assert len(claimed) == 5
    await asyncio.gather(one.tick(), two.tick())
    counts: dict[int, int] = {}
    for m in fake.sent:
        counts[m["chat"]["id"]] = counts.get(m["chat"]["id"], 0) + 1
    assert len(counts) == 25 and max(counts.values()) == 1  # two senders, no double send
    advance(app, seconds=61)  # the lease of the crashed batch expires
    await two.tick()
    ids = sorted(m["chat"]["id"] for m in fake.sent)
    assert ids == list(range(1, 31))
    async with app.sessions() as session:
        n = await session.scalar(
            select(BroadcastRow.id).where(BroadcastRow.kind == "announcement")
        )
        assert n is not None
        total = (await session.execute(select(BroadcastRow.source))).scalars().all()
    assert total.count("pack:khai-giang-smartphone") == 1
