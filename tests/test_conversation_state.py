"""Conversation state through ``dispatch``: kept with the user, passed to the engine, expired,
cleared, erased, shared between instances, and costing no statement of its own.

These check the plumbing (what the engine is given and what the database keeps), whatever the
engine makes of the context; its answers to follow-ups are tested with the engine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import inspect, select

from bot.app import App, build_app
from bot.clock import FixedClock
from bot.messages import Incoming, Reply
from bot.settings import async_database_url, load_settings
from bot.understanding import Context
from bot.wording import slugify
from db.engine import _alembic_config, make_engine, upgrade
from db.models import QuestionLogRow
from handlers import dispatch
from tests.conftest import DEV_PACK
from tests.conversation_helpers import Recorder, Statements, same, stored

NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
USER = "u1"
HOURS = "thư viện tỉnh mở cửa mấy giờ"


@pytest.fixture
async def app(tmp_path: Path, clean_env: dict[str, str]) -> AsyncIterator[App]:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'c.db'}", content_dir=DEV_PACK)
    application = build_app(settings, clock=FixedClock(NOW))
    await application.prepare()
    yield application
    await application.close()


def msg(user: str = USER, **kwargs: object) -> Incoming:
    return Incoming("terminal", user, user, **kwargs)  # type: ignore[arg-type]


async def one(app: App, incoming: Incoming) -> Reply:
    replies = await dispatch(incoming, app)
    assert replies, incoming
    return replies[0]


async def test_three_turns_each_read_in_what_the_last_left(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = Recorder(monkeypatch)
    await dispatch(msg(text=HOURS), app)
    first = await stored(app, "terminal", USER)
    assert first is not None and first.kind == "library_hours"
    assert first.ids == ("thu-vien-tinh",) and first.at == NOW
    await dispatch(msg(text="thế còn chủ nhật?"), app)
    await dispatch(msg(text="các lớp tin học"), app)
    assert seen.given()[0] is None and same(seen.given()[1], first)
    kept = seen.check_chain()
    assert kept is not None and kept.kind == "courses"
    assert same(await stored(app, "terminal", USER), kept)
    # Another person's conversation is their own.
    await dispatch(msg(user="u2", text="xe thư viện lưu động tuần này ở đâu"), app)
    assert seen.turns[-1].given is None
    assert same(await stored(app, "terminal", USER), kept)


async def test_fallback_and_small_talk_keep_the_state(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = Recorder(monkeypatch)
    await dispatch(msg(text="các lớp tin học"), app)
    courses = await stored(app, "terminal", USER)
    assert courses is not None and courses.kind == "courses" and len(courses.ids) >= 2
    for text in ("zzqx vvbn", "cảm ơn", "xin chào", "   "):
        await dispatch(msg(text=text), app)
        assert same(await stored(app, "terminal", USER), courses), text
    await dispatch(msg(text="cái thứ hai"), app)
    assert all(same(given, courses) for given in seen.given()[1:])


async def test_a_pressed_button_sets_the_state_as_a_typed_question_does(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = Recorder(monkeypatch)
    await dispatch(msg(text="máy công nghiệp"), app)
    typed = seen.turns[-1].answer.context
    await dispatch(msg(command="start"), app)
    course = await one(app, msg(button="course:may-cong-nghiep"))
    assert "rm:" in " ".join(b.data for b in course.flat_buttons)
    pressed = await stored(app, "terminal", USER)
    assert pressed is not None and pressed.kind == "course"
    assert pressed.ids == ("may-cong-nghiep",) and same(pressed, seen.rendered[-1].context)
    if typed is not None and typed.kind == "course":
        assert typed.ids == pressed.ids  # the same item, typed or pressed
    await dispatch(msg(text="học phí bao nhiêu?"), app)
    assert same(seen.turns[-1].given, pressed)


async def test_the_van_menu_and_a_library_button_set_the_state(app: App) -> None:
    await dispatch(msg(command="xethuvien"), app)
    van = await stored(app, "terminal", USER)
    assert van is not None and van.kind == "mobile_stops" and van.ids
    communes = await one(app, msg(command="xethuvien"))
    commune = next(b.data for b in communes.flat_buttons if b.data.startswith("v:"))
    await dispatch(msg(button=commune), app)
    shown = await stored(app, "terminal", USER)
    assert shown is not None and shown.kind == "mobile_stops"
    assert app.live is not None
    in_commune = [s.id for s in app.live.pack.stops if f"v:{slugify(s.commune)}" == commune]
    assert list(shown.ids) == in_commune
    await dispatch(msg(button="library:thu-vien-tinh"), app)
    library = await stored(app, "terminal", USER)
    assert library is not None and library.kind == "library_hours"
    assert library.ids == ("thu-vien-tinh",)
    await dispatch(msg(command="menu"), app)  # a menu of buttons leaves it as it is
    assert same(await stored(app, "terminal", USER), library)


async def test_state_expires_after_the_quiet_period(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = app.clock
    assert isinstance(clock, FixedClock)
    seen = Recorder(monkeypatch)
    await dispatch(msg(text=HOURS), app)
    kept = await stored(app, "terminal", USER)
    clock.advance(dt.timedelta(minutes=29))
    await dispatch(msg(text="thế còn chủ nhật?"), app)
    assert same(seen.turns[-1].given, kept)  # 29 quiet minutes: still the same conversation
    clock.advance(dt.timedelta(minutes=30, seconds=1))
    await dispatch(msg(command="help"), app)  # any message after the quiet period forgets it
    assert await stored(app, "terminal", USER) is None
    await dispatch(msg(text="thế còn chủ nhật?"), app)
    assert seen.turns[-1].given is None


async def test_quiet_period_is_a_setting(database_url: str, clean_env: dict[str, str]) -> None:
    """Expiry is judged by the database in the upsert: the same on SQLite and PostgreSQL."""
    settings = load_settings(
        database_url=database_url,
        content_dir=DEV_PACK,
        conversation_minutes=5,
    )
    assert settings.conversation_quiet == dt.timedelta(minutes=5)
    clock = FixedClock(NOW)
    application = build_app(settings, clock=clock)
    await application.prepare()
    try:
        await dispatch(msg(text=HOURS), application)
        clock.advance(dt.timedelta(minutes=4))
        await dispatch(msg(command="help"), application)
        assert await stored(application, "terminal", USER) is not None
        clock.advance(dt.timedelta(minutes=6))
        await dispatch(msg(command="help"), application)
        assert await stored(application, "terminal", USER) is None
    finally:
        await application.close()


async def test_start_clears_the_state(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = Recorder(monkeypatch)
    await dispatch(msg(text=HOURS), app)
    assert await stored(app, "terminal", USER) is not None
    await dispatch(msg(command="start"), app)
    assert await stored(app, "terminal", USER) is None
    await dispatch(msg(text="thế còn chủ nhật?"), app)
    assert seen.turns[-1].given is None


async def test_erasure_takes_the_state_with_it(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = Recorder(monkeypatch)
    await dispatch(msg(text=HOURS), app)
    assert await stored(app, "terminal", USER) is not None
    await dispatch(msg(command="xoadulieu"), app)
    done = await one(app, msg(button="pv:erase"))
    assert "Đã xóa" in done.text
    assert await stored(app, "terminal", USER) is None
    await dispatch(msg(text="thế còn chủ nhật?"), app)
    assert seen.turns[-1].given is None


async def test_keeping_the_state_costs_no_statement_of_its_own(
    database_url: str, clean_env: dict[str, str]
) -> None:
    """A typed question was three statements before conversations (the user upsert, the staff
    role, the question log). The state is read in the upsert and written with the log row: at
    most three on SQLite (the write is an UPDATE in the same flush), two on PostgreSQL (the
    write rides in the log's INSERT); no statement reads it."""
    settings = load_settings(database_url=database_url, content_dir=DEV_PACK)
    app = build_app(settings, clock=FixedClock(NOW))
    await app.prepare()
    postgres = app.db.dialect.name == "postgresql"
    try:
        await dispatch(msg(text="xin chào"), app)
        with Statements(app) as seen:
            await dispatch(msg(text=HOURS), app)  # the state changes
        assert seen[0] == "INSERT INTO users", seen
        assert len(seen) == (2 if postgres else 3), seen
        assert not any(s.startswith("SELECT") for s in seen), seen
        kept = await stored(app, "terminal", USER)
        assert kept is not None and kept.ids == ("thu-vien-tinh",)
        async with app.sessions() as session:
            logged = (await session.scalars(select(QuestionLogRow))).all()[-1]
        assert (logged.text, logged.kind, logged.ids) == (HOURS, "library_hours", list(kept.ids))
        assert logged.at == NOW and logged.disliked is False and logged.user_pk is not None
        with Statements(app) as seen:
            await dispatch(msg(text="zzqx vvbn"), app)  # a fallback: the state stays, unwritten
        assert seen == ["INSERT INTO users", "INSERT INTO question_log"], seen
        with Statements(app) as seen:
            await dispatch(msg(button="course:may-cong-nghiep"), app)
        assert len(seen) <= 2 and not any(s.startswith("SELECT") for s in seen), seen
        with Statements(app) as seen:
            await dispatch(msg(command="help"), app)
        assert seen == ["INSERT INTO users"], seen
        await dispatch(msg(text="các lớp tin học"), app)
        after = await stored(app, "terminal", USER)
        assert after is not None and after.kind == "courses"
    finally:
        await app.close()


async def test_staff_role_still_comes_with_the_user_row(
    database_url: str, clean_env: dict[str, str]
) -> None:
    """The role is read in the user upsert now: staff still get staff commands (both databases)."""
    from db.staff import set_staff

    settings = load_settings(database_url=database_url, content_dir=DEV_PACK)
    application = build_app(settings, clock=FixedClock(NOW))
    await application.prepare()
    try:
        async with application.sessions.begin() as session:
            await set_staff(session, "terminal:boss", "admin", by="test", now=NOW)
        staff_help = await one(application, msg(user="boss", command="canbo"))
        citizen_help = await one(application, msg(command="canbo"))
        assert staff_help.text != citizen_help.text
        assert citizen_help.text == (await one(application, msg(command="help"))).text
    finally:
        await application.close()


@pytest.mark.postgres
async def test_turn_two_reaches_another_instance(
    postgres_url: str, clean_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(database_url=postgres_url, content_dir=DEV_PACK)
    first = build_app(settings, clock=FixedClock(NOW))
    second = build_app(settings, clock=FixedClock(NOW + dt.timedelta(minutes=2)))
    seen = Recorder(monkeypatch)
    try:
        await first.prepare()
        await second.prepare()
        await dispatch(Incoming("telegram", "7", "7", text=HOURS), first)
        kept = seen.turns[-1].answer.context
        assert kept is not None and kept.ids == ("thu-vien-tinh",)
        await dispatch(Incoming("telegram", "7", "7", text="thế còn chủ nhật?"), second)
        assert same(seen.turns[-1].given, kept)
        await dispatch(Incoming("telegram", "7", "7", text="các lớp tin học"), first)
        seen.check_chain()
        assert same(await stored(second, "telegram", "7"), seen.turns[-1].answer.context)
    finally:
        await first.close()
        await second.close()


async def test_migration_adds_and_removes_the_column(database_url: str) -> None:
    """0006 adds ``users.conversation`` and drops it again (SQLite and PostgreSQL)."""
    from alembic import command
    from sqlalchemy.engine import Connection

    engine = make_engine(async_database_url(database_url))

    def columns(conn: Connection) -> set[str]:
        return {c["name"] for c in inspect(conn).get_columns("users")}

    def down(conn: Connection) -> None:
        command.downgrade(_alembic_config(conn), "0005")

    try:
        await upgrade(engine)
        async with engine.connect() as conn:
            assert "conversation" in await conn.run_sync(columns)
        async with engine.begin() as conn:
            await conn.run_sync(down)
        async with engine.connect() as conn:
            assert "conversation" not in await conn.run_sync(columns)
        await upgrade(engine)
        async with engine.connect() as conn:
            assert "conversation" in await conn.run_sync(columns)
    finally:
        await engine.dispose()


def test_context_json_survives_odd_values() -> None:
    assert Context.from_json(None) is None
    assert Context.from_json({"kind": 3}) is None
    back = Context.from_json(Context("courses", ("a", "b"), {"topic": "x"}, NOW).to_json())
    assert back == Context("courses", ("a", "b"), {"topic": "x"}, NOW)
