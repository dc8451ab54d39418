"""What a person does to the bot itself (handlers/lifecycle.py): an unfollow stops their
notices, a data withdrawal erases them; neither is answered, creates or touches anybody."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.app import App, build_app
from bot.clock import FixedClock
from bot.messages import Incoming
from bot.settings import Settings
from db.models import UserRow
from db.models_notify import SubscriptionRow
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


def event(user: str, name: str) -> Incoming:
    return Incoming("zalo_oa", user, user, event=name)


async def count(app: App, what: type[UserRow] | type[SubscriptionRow]) -> int:
    async with app.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(what)) or 0)


async def test_an_event_of_a_stranger_creates_nobody(app: App) -> None:
    for name in ("unfollow", "withdraw", "something-new"):
        assert await dispatch(event("stranger", name), app) == []
    assert await count(app, UserRow) == 0


async def test_unfollow_stops_notices_without_touching_the_person(app: App) -> None:
    await dispatch(Incoming("zalo_oa", "p1", "p1", command="start"), app)
    async with app.sessions.begin() as session:
        user = await session.scalar(select(UserRow).where(UserRow.user_id == "p1"))
        assert user is not None
        seen = (user.last_seen, user.window_count)
        session.add(
            SubscriptionRow(
                user_pk=user.id, kind="all", value="", consented_at=NOW, purpose="test"
            )
        )
    app.clock.advance(dt.timedelta(minutes=5))  # type: ignore[attr-defined]
    assert await dispatch(event("p1", "unfollow"), app) == []
    assert await count(app, SubscriptionRow) == 0
    async with app.sessions() as session:
        user = await session.scalar(select(UserRow).where(UserRow.user_id == "p1"))
    assert user is not None and (user.last_seen, user.window_count) == seen


async def test_withdraw_erases_the_person(app: App) -> None:
    await dispatch(Incoming("zalo_oa", "p2", "p2", text="giờ mở cửa"), app)
    assert await count(app, UserRow) == 1
    assert await dispatch(event("p2", "withdraw"), app) == []
    assert await count(app, UserRow) == 0
