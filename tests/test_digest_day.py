"""The daily digest counts the day it names: not the early hours of the day it is sent."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.app import App, build_app
from bot.clock import FixedClock
from bot.messages import Incoming
from bot.notify.digest import make_digest
from bot.settings import load_settings
from db.models_notify import BroadcastRow
from handlers import dispatch
from tests.conftest import DEV_PACK

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = dt.datetime(2026, 11, 25, 10, 0, tzinfo=TZ)
ADMIN = "1"


@pytest.fixture
async def app(tmp_path: Path, clean_env: dict[str, str]) -> AsyncIterator[App]:
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 'd.db'}",
        content_dir=DEV_PACK,
        staff_ids=[f"terminal:{ADMIN}"],
    )
    application = build_app(settings, clock=FixedClock(DAY))
    await application.prepare()
    yield application
    await application.close()


def at(app: App, when: dt.datetime) -> None:
    app.clock.advance(when - app.clock.now())  # type: ignore[attr-defined]


async def test_digest_counts_only_the_day_it_names(app: App) -> None:
    await dispatch(Incoming("terminal", ADMIN, ADMIN, command="start"), app)  # staff chat
    for question in ("giá vé xem bóng đá", "bán vé số ở đâu"):
        await dispatch(Incoming("terminal", "31", "31", text=question), app)
    at(app, dt.datetime(2026, 11, 26, 6, 0, tzinfo=TZ))  # early next morning
    await dispatch(Incoming("terminal", "32", "32", text="cho thuê xe cưới không"), app)
    at(app, dt.datetime(2026, 11, 26, 7, 45, tzinfo=TZ))
    assert await make_digest(app, dt.time(7, 30))
    async with app.sessions() as s:
        text = await s.scalar(select(BroadcastRow.text).where(BroadcastRow.kind == "digest"))
    assert text is not None
    assert text.startswith("🗓 Tóm tắt ngày 25/11/2026: 2 câu hỏi"), text
    assert "giá vé xem bóng đá" in text
    assert "xe cưới" not in text  # asked on the 26th: tomorrow's digest
