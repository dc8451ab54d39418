"""What the chat says reads naturally and fits the channel: /help, /quyenriengtu, a number
beyond the choices shown, button labels, labels not repeated, a location outside the area."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import pytest

from bot.app import App, build_app
from bot.channels import terminal
from bot.channels.zalo_common import save_choices, to_incoming_text
from bot.clock import FixedClock
from bot.settings import Settings
from handlers import dispatch
from handlers.types import Incoming, Reply
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
    assert len(choices) == 5
    [reply] = await dispatch(terminal.parse("9", choices), app)
    assert reply.text == "Bạn chọn từ 1 đến 5 nhé."
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
    base = {"channel": "zalo_bot", "user_id": "z1", "chat_id": "z1"}
    [reply] = await dispatch(await to_incoming_text(app.sessions, base, "9"), app)
    assert reply.text == "Bạn chọn từ 1 đến 5 nhé."
