"""'⏰ Nhắc tôi' under free-text answers that name one class or one van stop, and the person's
reminders listed and cancelled by text ('nhắc của tôi', 'hủy nhắc lịch xe'); bundled pack."""

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
from db.models_notify import ReminderRow
from handlers import dispatch
from handlers.subscriptions import asks_for_my_reminders
from tests.conftest import BUNDLED_PACK

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2026, 12, 3, 10, 0, tzinfo=TZ)


@pytest.fixture
async def app(sqlite_url: str) -> AsyncIterator[App]:
    settings = Settings(_env_file=None, database_url=sqlite_url, content_dir=BUNDLED_PACK)
    application = build_app(settings, clock=FixedClock(NOW))
    await application.prepare()
    try:
        yield application
    finally:
        await application.close()


async def say(app: App, text: str) -> Reply:
    [reply] = await dispatch(Incoming("telegram", "7", "7", text=text), app)
    return reply


async def press(app: App, data: str) -> Reply:
    [reply] = await dispatch(Incoming("telegram", "7", "7", button=data), app)
    return reply


def data_of(reply: Reply) -> list[str]:
    return [b.data for b in reply.flat_buttons]


async def test_remind_me_under_a_typed_question_about_one_class_or_one_stop(app: App) -> None:
    van = await say(app, "xe thư viện đến Thượng Minh khi nào")
    assert "rm:s:nvh-thuong-minh" in data_of(van)
    assert "⏰ Nhắc tôi" in [b.label for b in van.flat_buttons]
    course = await say(app, "lớp dịch vụ công trực tuyến và thanh toán không dùng tiền mặt")
    assert "rm:c:dich-vu-cong-truc-tuyen-thu-vien" in data_of(course)
    # Two stops in Cốc Đán, three classes of a topic: no single item to be reminded of.
    several = await say(app, "xe thư viện đến Cốc Đán khi nào")
    assert not [d for d in data_of(several) if d.startswith("rm:")]
    listing = await say(app, "lớp dịch vụ công trực tuyến")
    assert not [d for d in data_of(listing) if d.startswith("rm:")]
    # What the button promises, the press keeps.
    set_ = await press(app, "rm:s:nvh-thuong-minh")
    assert "Bot sẽ nhắc bạn: 19:00 Thứ Năm 03/12/2026" in set_.text


async def test_my_reminders_by_text_with_one_tap_cancel(app: App) -> None:
    none = await say(app, "nhắc của tôi")
    assert "chưa đặt nhắc lịch nào" in none.text and not none.buttons
    await press(app, "rm:s:nvh-thuong-minh")
    await press(app, "rm:c:dich-vu-cong-truc-tuyen-thu-vien")
    van = await say(app, "hủy nhắc lịch xe")
    assert "Nhà văn hóa xã Thượng Minh" in van.text and "Dịch vụ công" not in van.text
    [cancel] = van.flat_buttons
    assert cancel.data.startswith("rmx:") and cancel.label.startswith("❌ Hủy:")
    done = await press(app, cancel.data)
    assert done.text == "Đã hủy nhắc lịch."
    mine = await say(app, "nhắc của tôi")
    assert "Dịch vụ công trực tuyến" in mine.text and "Thượng Minh" not in mine.text
    [left] = mine.flat_buttons
    assert left.label.endswith("…") and len(left.label) <= 50
    no_van = await say(app, "hủy nhắc lịch xe")
    assert no_van.text.startswith("Bạn chưa đặt nhắc lịch xe thư viện nào.")
    async with app.sessions() as session:
        rows = list(await session.scalars(select(ReminderRow).order_by(ReminderRow.id)))
    assert [r.status for r in rows] == ["cancelled", "active"]


@pytest.mark.parametrize(
    "text",
    ["nhắc của tôi", "hủy nhắc lịch xe", "nhac cua toi", "xem nhắc lịch", "Hủy nhắc lịch"],
)
def test_asking_for_ones_reminders(text: str) -> None:
    assert asks_for_my_reminders(text)


@pytest.mark.parametrize(
    "text", ["nhắc tôi lớp tin học", "xe thư viện có nhắc lịch không", "lớp học tiếng Anh"]
)
def test_other_questions_are_not_taken_for_it(text: str) -> None:
    assert not asks_for_my_reminders(text)
