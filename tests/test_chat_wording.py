"""What the chat says reads naturally and fits the channel: /help, /quyenriengtu, a number
beyond the choices shown, button labels, labels not repeated, a location outside the area."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import pytest

from bot.app import App, build_app
from bot.channels import terminal
from bot.channels.zalo_state import begin_message
from bot.clock import FixedClock
from bot.messages import Incoming, Reply
from bot.settings import Settings
from db.zalo import save_choices
from handlers import dispatch
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


async def command(app: App, name: str, channel: str = "terminal", *args: str) -> Reply:
    [reply] = await dispatch(Incoming(channel, "9", "9", command=name, args=args), app)  # type: ignore[arg-type]
    return reply


async def test_help_tells_each_channel_how_to_share_a_place(app: App) -> None:
    in_terminal = await command(app, "help", "terminal")
    assert "Gửi vị trí" not in in_terminal.text
    assert "/location VĨ_ĐỘ KINH_ĐỘ" in in_terminal.text
    on_telegram = await command(app, "help", "telegram")
    assert "Gửi vị trí" in on_telegram.text and "/location" not in on_telegram.text


async def test_privacy_notice_names_the_law_and_misses_no_word(app: App) -> None:
    for channel in ("terminal", "telegram", "zalo_oa", "zalo_bot"):
        notice = await command(app, "quyenriengtu", channel)
        assert "91/2025/QH15" in notice.text
        assert "  " not in notice.text and " ," not in notice.text
    assert "mã người dùng của bạn trên máy này" in (await command(app, "quyenriengtu")).text
    telegram = await command(app, "quyenriengtu", "telegram")
    assert "mã tài khoản Telegram của bạn" in telegram.text


async def test_a_number_beyond_the_terminal_menu_gets_the_range(app: App) -> None:
    [menu] = await dispatch(Incoming("terminal", "local", "local", command="start"), app)
    choices = menu.flat_buttons
    assert len(choices) == 6
    [reply] = await dispatch(terminal.parse("9", choices), app)
    assert reply.text == "Bạn chọn từ 1 đến 6 nhé."
    [picked] = await dispatch(terminal.parse("2", choices), app)
    assert picked.text != reply.text


async def test_a_number_beyond_the_zalo_choices_gets_the_range(app: App) -> None:
    [menu] = await dispatch(Incoming("zalo_bot", "z1", "z1", command="start"), app)
    async with app.sessions.begin() as session:
        await save_choices(
            session,
            channel="zalo_bot",
            user_id="z1",
            data=[b.data for b in menu.flat_buttons],
            now=NOW,
        )
    typed = await begin_message(app, Incoming("zalo_bot", "z1", "z1", text="9"))
    [reply] = await dispatch(typed, app)
    assert reply.text == "Bạn chọn từ 1 đến 6 nhé."


def cut_at_a_word(label: str, whole: str) -> bool:
    """A label is the whole name, or a start of it that ends at a word, with '…'."""
    if label == whole:
        return True
    if not label.endswith("…"):
        return False
    stem = label[:-1]
    return whole.startswith(stem) and not whole[len(stem)].isalnum()


async def test_thongbao_keeps_a_topic_name_whole(app: App) -> None:
    menu = await command(app, "thongbao", "telegram")
    labels = {b.data: b.label for b in menu.flat_buttons}
    assert labels["n:t:tu-tuong-ho-chi-minh"].endswith("phong cách Hồ Chí Minh")
    for topic in app.live.pack.topics if app.live else []:
        label = next(v for k, v in labels.items() if k.endswith(topic.id))
        assert cut_at_a_word(label.removeprefix("⬜ 📚 "), topic.name), label
    for row in menu.buttons:  # a long toggle has its row to itself
        assert len(row) == 1 or all(len(b.label) <= 28 for b in row)


async def test_choice_buttons_are_whole_names_or_cut_at_a_word(app: App) -> None:
    [reply] = await dispatch(
        Incoming("telegram", "9", "9", text="lớp dịch vụ công trực tuyến"), app
    )
    assert app.live is not None
    titles = {f"course:{c.id}": c.title for c in app.live.pack.courses}
    courses = [b for b in reply.flat_buttons if b.data.startswith("course:")]
    assert courses and all(cut_at_a_word(b.label, titles[b.data]) for b in courses)
    assert "Dùng điện thoại thông minh cho người cao tuổi" in [b.label for b in courses]


def test_a_label_cut_by_the_engine_is_cut_again_at_a_word() -> None:
    from bot.pack import load_pack
    from handlers.context import choice_button

    pack, _ = load_pack(BUNDLED_PACK)
    assert pack is not None
    gone = choice_button(pack, "Lịch xe thư viện lưu động đến những xã vùng c…", "faq:khong-co")
    assert gone.label == "Lịch xe thư viện lưu động đến những xã vùng…"


async def test_a_place_that_names_its_commune_does_not_say_it_twice(app: App) -> None:
    from bot.notify.reminders import reminder_text

    van = await command(app, "xethuvien", "telegram")
    assert "Nhà văn hóa xã Thượng Minh\n" in van.text
    assert "xã Thượng Minh (Xã Thượng Minh)" not in van.text
    assert "Trường PTDT bán trú THCS Nam Cường (Xã Nam Cường)" in van.text  # not named: kept
    assert app.live is not None
    text = reminder_text(app.live.pack, "stop:nvh-thuong-minh", dt.date(2026, 12, 4), "eve")
    assert "đến Nhà văn hóa xã Thượng Minh, 08:00-11:00." in text


async def test_a_location_far_outside_the_area_is_said_so(app: App) -> None:
    far = await command(app, "location", "terminal", "21.0285", "105.8542")  # Hà Nội
    assert "Gần bạn nhất" not in far.text
    assert far.text.startswith("📍 Vị trí này ở ngoài khu vực bot phục vụ")
    assert "124,1 km" in far.text
    near = await command(app, "location", "terminal", "22.147", "105.834")
    assert near.text.startswith("📍 Gần bạn nhất:")
