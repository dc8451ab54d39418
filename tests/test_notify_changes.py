"""Change notices: a content import that moves or cancels a class tells the reminded, and only
them; a cancelled class's reminder is never sent, a moved one follows the new date."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import select
from telegram import Bot

from bot.app import App, build_app
from bot.channels.telegram_sender import TelegramSender
from bot.clock import FixedClock
from bot.messages import Incoming
from bot.notify.config import NotifySettings
from bot.notify.scheduler import Notifier
from bot.pack import load_pack
from bot.settings import Settings
from db import content as content_db
from db.models_notify import ReminderRow
from handlers import dispatch
from tests.conftest import DEV_PACK
from tests.fakes.telegram import FakeTelegram

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = dt.datetime(2026, 12, 1, 10, 0, tzinfo=TZ)


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


def edited_pack(tmp_path: Path) -> Path:
    """The dev pack with one class cancelled and another moved by two days."""
    target = tmp_path / "pack2"
    shutil.copytree(DEV_PACK, target)
    path = target / "courses.yaml"
    courses = yaml.safe_load(path.read_text(encoding="utf-8"))
    courses = [c for c in courses if c["id"] != "trong-rau-huu-co"]
    for course in courses:
        if course["id"] == "nuoi-ca-ao":
            course["start_date"] = dt.date(2026, 12, 16)
    path.write_text(yaml.safe_dump(courses, allow_unicode=True), encoding="utf-8")
    return target


def to(app: App, when: dt.datetime) -> None:
    """Set the test clock."""
    assert isinstance(app.clock, FixedClock)
    app.clock.when = when


async def test_cancelled_and_moved_classes(app: App, tmp_path: Path) -> None:
    for uid, data in (
        (1, "rm:c:trong-rau-huu-co"),
        (2, "rm:c:nuoi-ca-ao"),
        (3, "rm:s:cho-don-2026-12-09"),
    ):
        await dispatch(Incoming("telegram", str(uid), str(uid), button=data), app)
    async with FakeTelegram() as fake, Bot(fake.token, base_url=f"{fake.base_url}/bot") as bot:
        config = NotifySettings(_env_file=None, rate_per_s=200.0)
        notifier = Notifier(app, {"telegram": TelegramSender(bot)}, config)
        await notifier.tick()  # remembers the live version
        pack, problems = load_pack(edited_pack(tmp_path))
        assert pack is not None, problems
        async with app.sessions.begin() as session:
            await content_db.apply_pack(session, pack, now=app.now(), author="test")
        await notifier.tick()
        notices = {m["chat"]["id"]: m["text"] for m in fake.sent}
        assert set(notices) == {1, 2}  # user 3's van stop did not change
        assert "hủy" in notices[1]
        assert "14/12/2026 → " in notices[2] and "16/12/2026" in notices[2]
        await notifier.tick()
        assert len(fake.sent) == 2  # once per version
        to(app, dt.datetime(2026, 12, 6, 19, 0, tzinfo=TZ))  # the cancelled class's evening
        await notifier.tick()
        assert [m["chat"]["id"] for m in fake.sent[2:]] == []
        to(app, dt.datetime(2026, 12, 13, 19, 0, tzinfo=TZ))  # the old date's evening
        await notifier.tick()
        assert [m["chat"]["id"] for m in fake.sent[2:]] == []
        to(app, dt.datetime(2026, 12, 15, 19, 0, tzinfo=TZ))
        await notifier.tick()
        [reminder] = fake.sent[2:]
        assert reminder["chat"]["id"] == 2 and "16/12/2026" in reminder["text"]
    async with app.sessions() as session:
        rows = {r.user_pk: r for r in await session.scalars(select(ReminderRow))}
    assert sorted(r.status for r in rows.values()) == ["active", "cancelled", "done"]


async def test_van_reminders_eve_and_morning_outside_quiet_hours(app: App) -> None:
    await dispatch(Incoming("telegram", "5", "5", button="rm:s:pac-nam-2026-12-03"), app)
    async with FakeTelegram() as fake, Bot(fake.token, base_url=f"{fake.base_url}/bot") as bot:
        config = NotifySettings(_env_file=None, rate_per_s=200.0)
        notifier = Notifier(app, {"telegram": TelegramSender(bot)}, config)
        to(app, dt.datetime(2026, 12, 2, 19, 0, tzinfo=TZ))
        await notifier.tick()
        assert len(fake.sent) == 1 and "Ngày mai" in fake.sent[0]["text"]
        to(app, dt.datetime(2026, 12, 3, 6, 45, tzinfo=TZ))  # 06:30 is in quiet hours
        await notifier.tick()
        assert len(fake.sent) == 1
        to(app, dt.datetime(2026, 12, 3, 7, 0, tzinfo=TZ))
        await notifier.tick()
        assert len(fake.sent) == 2 and "Hôm nay" in fake.sent[1]["text"]
