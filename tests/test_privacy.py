"""Personal data and hostile input through ``dispatch``: notice, erasure, flood control."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from bot.app import App, build_app
from bot.clock import FixedClock
from bot.messages import Incoming, Reply
from bot.settings import load_settings
from db.models import Base, QuestionLogRow
from handlers import dispatch
from tests.conftest import DEV_PACK
from tests.conversation_helpers import stored
from tests.test_retention import where_found

NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
USER = "987654321"


@pytest.fixture
async def app(tmp_path: Path, clean_env: dict[str, str]) -> AsyncIterator[App]:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'p.db'}", content_dir=DEV_PACK)
    application = build_app(settings, clock=FixedClock(NOW))
    await application.prepare()
    yield application
    await application.close()


def msg(user: str = USER, **kwargs: object) -> Incoming:
    return Incoming("telegram", user, user, **kwargs)  # type: ignore[arg-type]


async def one(app: App, incoming: Incoming) -> Reply:
    replies = await dispatch(incoming, app)
    assert replies, incoming
    return replies[0]


async def test_start_says_what_is_kept_and_notice_explains_it(app: App) -> None:
    start = await one(app, msg(command="start"))
    assert "/quyenriengtu" in start.text and "/xoadulieu" in start.text
    notice = await one(app, msg(command="quyenriengtu"))
    assert "180 ngày" in notice.text and "Telegram" in notice.text
    assert "Thư viện tỉnh Bắc Kạn" in notice.text


async def _scan(app: App, user_pk: int) -> list[str]:
    """Every table and column still holding this person's ids."""
    found = []
    async with app.sessions() as s:
        for table in Base.metadata.sorted_tables:
            if table.name in ("staff", "audit_log"):
                continue
            for column in table.columns:
                if column.name in ("user_id", "chat_id") and str(column.type).startswith(
                    "VARCHAR"
                ):
                    n = await s.scalar(
                        text(f'SELECT COUNT(*) FROM "{table.name}" WHERE "{column.name}" = :v'),
                        {"v": USER},
                    )
                    if n:
                        found.append(f"{table.name}.{column.name}")
                if any(fk.column.table.name == "users" for fk in column.foreign_keys) or (
                    table.name == "users" and column.name == "id"  # the row and its state
                ):
                    n = await s.scalar(
                        text(f'SELECT COUNT(*) FROM "{table.name}" WHERE "{column.name}" = :v'),
                        {"v": user_pk},
                    )
                    if n:
                        found.append(f"{table.name}.{column.name}")
    return found


async def test_erase_everything_linked_to_the_person(app: App) -> None:
    # Build up data: questions, feedback, a subscription toggle, a reminder.
    await dispatch(msg(command="start"), app)
    await dispatch(msg(text="thư viện tỉnh mấy giờ mở cửa"), app)
    await dispatch(msg(text="làm thẻ thư viện cần gì"), app)
    await dispatch(msg(button="fb:0:lam-the-ban-doc"), app)
    subs = await one(app, msg(command="thongbao"))
    first_toggle = next(b.data for b in subs.flat_buttons if b.data.startswith("n:"))
    await dispatch(msg(button=first_toggle), app)
    course = await one(app, msg(button="course:may-cong-nghiep"))
    remind = [b.data for b in course.flat_buttons if b.data.startswith("rm:")]
    assert remind, "a class offers a reminder"
    await dispatch(msg(button=remind[0]), app)
    await dispatch(msg(text="x"), app)  # the other user must keep their data
    await dispatch(msg(user="555", text="xin chào"), app)

    async with app.sessions() as s:
        user_pk = await s.scalar(text("SELECT id FROM users WHERE user_id = :u"), {"u": USER})
    assert user_pk is not None
    assert len(await _scan(app, user_pk)) >= 4  # users, question log, feedback, subscriptions…
    assert await stored(app, "telegram", USER) is not None  # the conversation state

    ask = await one(app, msg(command="xoadulieu"))
    assert [b.data for b in ask.flat_buttons] == ["pv:erase", "pv:keep"]
    kept = await one(app, msg(button="pv:keep"))
    assert "không xóa gì" in kept.text
    done = await one(app, msg(button="pv:erase"))
    assert "Đã xóa dữ liệu" in done.text
    assert "đăng ký nhận thông báo" in done.text and "lời nhắc" in done.text

    assert await _scan(app, user_pk) == []
    assert await stored(app, "telegram", USER) is None
    # their words are nowhere either, in any column of any table (text or JSON)
    asked = ("thư viện tỉnh mấy giờ mở cửa", "làm thẻ thư viện cần gì")
    assert await where_found(app, asked) == {q: set() for q in asked}
    async with app.sessions() as s:
        texts = (await s.scalars(select(QuestionLogRow.text))).all()
        other = await s.scalar(text("SELECT COUNT(*) FROM users WHERE user_id = '555'"))
    assert texts == ["xin chào"]  # the other person's question stays
    assert other == 1


async def test_flood_is_slowed_politely_without_starving_others(app: App) -> None:
    replies = [await dispatch(msg(text=f"câu hỏi {n}"), app) for n in range(25)]
    answered = [r for r in replies[:20] if r]
    assert len(answered) == 20
    assert "gửi nhanh quá" in replies[20][0].text
    assert all(r == [] for r in replies[21:])
    other = await one(app, msg(user="222", text="thư viện tỉnh mấy giờ mở cửa"))
    assert "07:30" in other.text
    app.clock.advance(dt.timedelta(minutes=1, seconds=1))  # type: ignore[attr-defined]
    assert await dispatch(msg(text="xin chào"), app)


HOSTILE = [
    "",
    "   \t  ",
    "a" * 4096,
    "x\x00y\x07z\x1b[31m",
    "thư\u200bviện\u200d tỉnh\u200e mở\u202e cửa",
    "😀😀😀",
    "<b>bold</b> <script>alert(1)</script> *md* _x_ [l](http://x)",
    "'; DROP TABLE users; --",
    "Библиотека открыта? 图书馆开门吗 مكتبة",
    "Thưviệntỉnhmởcửamấygiờ" * 40,
]


@pytest.mark.parametrize("value", HOSTILE)
async def test_hostile_text_gets_a_polite_reply(app: App, value: str) -> None:
    replies = await dispatch(msg(text=value), app)
    assert replies and all(r.text.strip() for r in replies)
    assert "trục trặc" not in replies[0].text  # handled, not an apology for a crash
    assert await dispatch(msg(user="other", text="thư viện tỉnh mở cửa mấy giờ"), app)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=st.text(max_size=300))
async def test_any_text_through_dispatch_never_crashes(app: App, value: str) -> None:
    # A user per example, so the flood limit never hides a reply.
    replies = await dispatch(msg(user=f"fuzz{abs(hash(value)) % 10**9}", text=value), app)
    assert replies
    assert all(isinstance(r, Reply) for r in replies)
    assert all("trục trặc" not in r.text for r in replies)


async def test_database_briefly_unavailable_is_retried(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    real = app.sessions.begin
    failures = {"left": 2}

    def flaky() -> object:
        if failures["left"]:
            failures["left"] -= 1
            raise OperationalError("BEGIN", {}, Exception("database is locked"))
        return real()

    monkeypatch.setattr(app.sessions, "begin", flaky)
    monkeypatch.setattr("handlers.conversation.DB_RETRY_DELAY", 0.01)
    reply = await one(app, msg(text="thư viện tỉnh mấy giờ mở cửa"))
    assert "07:30" in reply.text and failures["left"] == 0

    failures["left"] = 10  # down for longer: an apology, and the bot still answers later
    sorry = await one(app, msg(text="xin chào"))
    assert "trục trặc" in sorry.text
    failures["left"] = 0
    assert "07:30" in (await one(app, msg(user="2", text="thư viện tỉnh mấy giờ mở cửa"))).text
