"""Subscriptions and reminders through ``dispatch()``: consent recorded with its time, /huy."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.app import App, build_app
from bot.clock import FixedClock
from bot.messages import Incoming, Reply
from bot.settings import Settings
from db.models_notify import ConsentRow, ReminderRow, SubscriptionRow
from handlers import dispatch
from tests.conftest import DEV_PACK

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=TZ)


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[App]:
    """A prepared app on the dev pack, a fixed clock, SQLite or PostgreSQL."""
    settings = Settings(_env_file=None, database_url=database_url, content_dir=DEV_PACK)
    application = build_app(settings, clock=FixedClock(NOW))
    await application.prepare()
    try:
        yield application
    finally:
        await application.close()


async def press(app: App, data: str, uid: str = "42") -> list[Reply]:
    """A citizen presses a button."""
    return await dispatch(Incoming("telegram", uid, uid, button=data), app)


async def command(app: App, name: str, uid: str = "42") -> list[Reply]:
    """A citizen types a command."""
    return await dispatch(Incoming("telegram", uid, uid, command=name), app)


def labels(reply: Reply) -> dict[str, str]:
    """Button data → label."""
    return {b.data: b.label for b in reply.flat_buttons}


async def test_toggles_record_consent_and_edit_the_message(app: App) -> None:
    [menu] = await command(app, "thongbao")
    assert labels(menu)["n:a"].startswith("⬜")
    assert labels(menu)["n:t:tin-hoc"].startswith("⬜")
    [on] = await press(app, "n:t:tin-hoc")
    assert on.edit and labels(on)["n:t:tin-hoc"].startswith("✅") and on.notice
    [commune] = await press(app, "n:c:xa-cho-ra")
    assert labels(commune)["n:c:xa-cho-ra"].startswith("✅")
    [off] = await press(app, "n:t:tin-hoc")
    assert labels(off)["n:t:tin-hoc"].startswith("⬜")
    [from_menu] = await press(app, "m:notify")
    assert from_menu.edit and labels(from_menu)["n:c:xa-cho-ra"].startswith("✅")
    async with app.sessions() as session:
        subs = list(await session.scalars(select(SubscriptionRow)))
        log = list(await session.scalars(select(ConsentRow).order_by(ConsentRow.id)))
    assert [(s.kind, s.value) for s in subs] == [("commune", "Xã Chợ Rã")]
    # aware moments (an aware and a naive datetime are never equal)
    assert subs[0].consented_at == NOW and "xã" in subs[0].purpose.lower()
    assert [(c.action, c.at) for c in log] == [
        ("grant", NOW),
        ("grant", NOW),
        ("withdraw", NOW),
    ]
    assert "chủ đề" in log[0].purpose and log[0].via == "telegram"


async def test_remind_me_button_and_huy_clears_everything(app: App) -> None:
    [course] = await press(app, "course:trong-rau-huu-co")
    assert "rm:c:trong-rau-huu-co" in labels(course)
    [stop] = await press(app, "stop:pac-nam-2026-12-03")
    assert "rm:s:pac-nam-2026-12-03" in labels(stop)
    [set_] = await press(app, "rm:c:trong-rau-huu-co")
    assert "19:00" in set_.text and "06/12" in set_.text
    [again] = await press(app, "rm:c:trong-rau-huu-co")
    assert again.text != set_.text
    [van] = await press(app, "rm:s:pac-nam-2026-12-03")
    assert "07:00" in van.text  # 06:30 falls in the quiet hours: moved to their end
    await press(app, "n:a")
    async with app.sessions() as session:
        reminders = list(await session.scalars(select(ReminderRow).order_by(ReminderRow.id)))
    assert [(r.ref, r.target_date) for r in reminders] == [
        ("course:trong-rau-huu-co", dt.date(2026, 12, 7)),
        ("stop:pac-nam-2026-12-03", dt.date(2026, 12, 3)),
    ]
    [cancel] = await press(app, f"rmx:{reminders[1].id}")
    assert cancel.notice
    [done] = await command(app, "huy")
    assert "1" in done.text
    async with app.sessions() as session:
        assert list(await session.scalars(select(SubscriptionRow))) == []
        statuses = [r.status for r in await session.scalars(select(ReminderRow))]
        actions = [c.action for c in await session.scalars(select(ConsentRow))]
    assert statuses == ["cancelled", "cancelled"]
    assert actions.count("grant") == 3 and actions.count("withdraw") == 3
