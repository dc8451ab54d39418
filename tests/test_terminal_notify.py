"""The terminal chat keeps its promises: the notifier runs in it, so a reminder set in the chat
and a change notice for it are printed there at their time (the clock is the test's)."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import queue
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import App, build_app
from bot.channels.terminal import chat
from bot.clock import FixedClock
from bot.notify.config import NotifySettings
from bot.pack import load_pack
from bot.settings import Settings
from db import content as content_db
from handlers import dispatch
from tests.conftest import BUNDLED_PACK

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MORNING = dt.datetime(2026, 12, 3, 10, 0, tzinfo=TZ)  # Thursday; the van is at Thượng Minh Friday


class Keyboard:
    """Standard input typed line by line by the test (blocks until a line is typed)."""

    def __init__(self) -> None:
        self.lines: queue.Queue[str] = queue.Queue()

    def type(self, line: str) -> None:
        self.lines.put(line + "\n")

    def close(self) -> None:
        self.lines.put("")

    def readline(self) -> str:
        return self.lines.get()

    def isatty(self) -> bool:
        return False


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[App]:
    settings = Settings(_env_file=None, database_url=database_url, content_dir=BUNDLED_PACK)
    application = build_app(settings, clock=FixedClock(MORNING))
    await application.prepare()
    try:
        yield application
    finally:
        await application.close()


WAIT_SECONDS = 30


async def printed(screen: io.StringIO, text: str, *, after: int = 0) -> str:
    """Wait until ``text`` is printed (past position ``after``); return the screen so far."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while text not in screen.getvalue()[after:]:
        if loop.time() > deadline:
            pytest.fail(f"never printed: {text!r}\n--- screen ---\n{screen.getvalue()}")
        await asyncio.sleep(0.05)
    return screen.getvalue()


def number_of(screen: str, label: str) -> str:
    """The number typed to press the last button shown with ``label``."""
    found: list[str] = re.findall(rf"\[(\d+)\] {re.escape(label)}", screen)
    assert found, f"no button {label!r} on screen:\n{screen}"
    return found[-1]


def moved_pack(tmp_path: Path) -> Path:
    """The bundled pack with the Thượng Minh visits moved to the afternoon."""
    target = tmp_path / "moved"
    shutil.copytree(BUNDLED_PACK, target)
    path = target / "mobile_library.yaml"
    text = path.read_text(encoding="utf-8")
    block = text.index("id: nvh-thuong-minh")
    start = text.index('time: "08:00-11:00"', block)
    text = text[:start] + 'time: "13:30-16:30"' + text[start + len('time: "08:00-11:00"') :]
    path.write_text(text, encoding="utf-8")
    return target


async def test_a_reminder_set_in_the_terminal_is_printed_there_at_its_time(
    app: App, tmp_path: Path
) -> None:
    keyboard, screen = Keyboard(), io.StringIO()
    config = NotifySettings(
        _env_file=None, tick_seconds=0.1, rate_per_s=200.0, per_chat_interval_s=0.0
    )
    running = asyncio.create_task(chat(app, keyboard, screen, dispatch=dispatch, config=config))  # type: ignore[arg-type]
    try:
        await printed(screen, "[1] 📚 Lớp học")
        keyboard.type("xe thư viện đến Thượng Minh khi nào")
        shown = await printed(screen, "⏰ Nhắc tôi")
        keyboard.type(number_of(shown, "⏰ Nhắc tôi"))
        await printed(screen, "Bot sẽ nhắc bạn: 19:00 Thứ Năm 03/12/2026")
        await asyncio.sleep(0.5)  # several ticks before the time: nothing is sent early
        assert "⏰ Nhắc lịch:" not in screen.getvalue()

        assert isinstance(app.clock, FixedClock)
        app.clock.advance(dt.timedelta(hours=9, seconds=5))  # 19:00:05
        out = await printed(screen, "⏰ Nhắc lịch: Ngày mai (Thứ Sáu 04/12/2026)")
        assert "Nhà văn hóa xã Thượng Minh" in out.split("⏰ Nhắc lịch:")[1]

        # A new content version moves the visit: the change notice is printed too.
        before = len(screen.getvalue())
        pack, problems = load_pack(moved_pack(tmp_path))
        assert pack is not None, problems
        async with app.sessions.begin() as session:
            await content_db.apply_pack(session, pack, now=app.now(), author="test")
        out = await printed(screen, "🔔 Thay đổi lịch", after=before)
        assert "08:00-11:00 → 13:30-16:30" in out[before:]
        keyboard.type("/quit")
        await asyncio.wait_for(running, 30)
    finally:
        keyboard.close()
        if not running.done():
            running.cancel()
    assert "Traceback" not in screen.getvalue()
