"""One calculation of the van's upcoming visits: at 18:00 the morning's visit is over for the
free-text answer, the /xethuvien menu and a shared location alike."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import App, build_app
from bot.clock import FixedClock
from bot.messages import Incoming
from bot.pack import visits
from bot.pack.load import load_pack
from bot.pack.models import parse_range
from bot.settings import load_settings
from handlers import dispatch
from tests.conftest import DEV_PACK

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def morning_visit() -> visits.Visit:
    """A visit of the dev pack that ends before noon and has a location."""
    pack, _ = load_pack(DEV_PACK)
    assert pack is not None
    start = dt.date(2026, 12, 2)
    for visit in visits.between(pack.stops, start, start + dt.timedelta(days=60)):
        if parse_range(visit[1].time)[1] <= dt.time(12, 0) and visit[1].location is not None:
            return visit
    raise AssertionError("the dev pack has no morning visit with a location")


VISIT = morning_visit()
EVENING = dt.datetime.combine(VISIT[0], dt.time(18, 0), tzinfo=TZ)


@pytest.fixture
async def app(tmp_path: Path, clean_env: dict[str, str]) -> AsyncIterator[App]:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'v.db'}", content_dir=DEV_PACK)
    application = build_app(settings, clock=FixedClock(EVENING))
    await application.prepare()
    yield application
    await application.close()


def msg(**kwargs: object) -> Incoming:
    return Incoming("terminal", "u1", "u1", **kwargs)  # type: ignore[arg-type]


def shows_the_morning_visit(text: str) -> bool:
    day, stop = VISIT
    return f"{day:%d/%m}" in text and stop.place in text and stop.time in text


def test_the_visit_is_over_by_the_evening() -> None:
    assert visits.is_over(VISIT, EVENING.replace(tzinfo=None))
    assert VISIT not in visits.upcoming([VISIT[1]], EVENING.replace(tzinfo=None), 30)


async def test_free_text_menu_and_location_agree_at_18(app: App) -> None:
    [typed] = await dispatch(msg(text="xe thư viện sắp tới ở đâu"), app)
    assert typed.text and not shows_the_morning_visit(typed.text)
    [menu] = await dispatch(msg(command="xethuvien"), app)
    assert not shows_the_morning_visit(menu.text)
    location = VISIT[1].location
    assert location is not None
    [near] = await dispatch(msg(location=(location.lat, location.lon)), app)
    assert "🚐" in near.text  # a next visit is offered …
    assert f"{VISIT[0]:%d/%m} {VISIT[1].time}" not in near.text  # … never the one that is over
