"""Ask a person through ``dispatch`` on SQLite and PostgreSQL: a citizen's question sent to
staff, answered, delivered through the outbox (held while the channel may not message them),
saved as an FAQ; limits, withdrawal, additions; staff races; erasure, retention, statistics and
the digest."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.app import App, build_app
from bot.clock import FixedClock
from bot.delivery import Outcome
from bot.messages import Incoming, Reply
from bot.notify.digest import digest_text
from bot.notify.scheduler import Notifier
from bot.settings import Settings
from bot.workhours import working_hours
from db import staff as staff_db
from db.models import AuditRow
from db.models_notify import BroadcastRow, DeliveryRow
from db.models_questions import StaffQuestionRow
from handlers import dispatch
from tests.conftest import DEV_PACK
from tests.test_notify_outbox import config
from tests.test_retention import where_found

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=TZ)
EDITOR, EDITOR2, CITIZEN, OTHER = "e1", "e2", "c1", "c2"
UNKNOWN = "bên mình có cho thuê phòng họp không ạ"


class Recorder:
    """A channel's sender that records what it sends; ``closed`` chats may not be messaged."""

    channel = "terminal"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.closed: set[str] = set()

    async def can_message(self, chat_id: str, now: dt.datetime) -> tuple[bool, str | None]:
        if chat_id in self.closed:
            return False, "outside the messaging window"
        return True, None

    async def deliver(self, chat_id: str, reply: Reply) -> Outcome:
        self.sent.append((chat_id, reply.text))
        return Outcome("sent")

    def to(self, chat_id: str) -> list[str]:
        return [text for chat, text in self.sent if chat == chat_id]


async def make_app(url: str) -> App:
    settings = Settings(_env_file=None, database_url=url, content_dir=DEV_PACK)
    app = build_app(settings, clock=FixedClock(NOW))
    await app.prepare()
    return app


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[App]:
    application = await make_app(database_url)
    async with application.sessions.begin() as s:
        for key in (EDITOR, EDITOR2):
            await staff_db.set_staff(s, f"terminal:{key}", "editor", by="test", now=NOW)
    for key in (EDITOR, EDITOR2):  # staff have a chat with the bot: notices reach them
        await dispatch(Incoming("terminal", key, key, command="start"), application)
    yield application
    await application.close()


def said(user: str, **kwargs: object) -> Incoming:
    return Incoming("terminal", user, user, display_name=f"Bạn {user}", **kwargs)  # type: ignore[arg-type]


async def run(app: App, user: str, **kwargs: object) -> list[Reply]:
    replies = await dispatch(said(user, **kwargs), app)
    assert replies, kwargs
    assert all("trục trặc" not in r.text for r in replies)
    return replies


async def one(app: App, user: str, **kwargs: object) -> Reply:
    return (await run(app, user, **kwargs))[-1]


def data(reply: Reply) -> list[str]:
    return [b.data for b in reply.flat_buttons]


async def send_to_staff(app: App, user: str = CITIZEN, question: str = UNKNOWN) -> int:
    """The citizen's question falls back; they send it to staff; its number."""
    fallback = await one(app, user, text=question)
    assert "hq:last" in data(fallback)
    confirm = await one(app, user, button="hq:last")
    assert question in confirm.text and "180 ngày" in confirm.text
    assert "giờ làm việc (Thư viện tỉnh Bắc Kạn: T2–T6 07:30–11:30" in confirm.text
    assert data(confirm) == ["hq:ok", "hq:no"]
    sent = await one(app, user, button="hq:ok")
    assert "Đã gửi câu hỏi số" in sent.text
    async with app.sessions() as s:
        number = await s.scalar(select(func.max(StaffQuestionRow.id)))
    assert number is not None
    return int(number)


async def answer(app: App, staff: str, number: int, text: str) -> list[Reply]:
    """Claim, type, preview, send; the replies to the send."""
    claimed = await one(app, staff, button=f"st:q:a:{number}")
    assert "Bạn đang trả lời" in claimed.text
    intro, preview = await run(app, staff, text=text)
    assert "Xem trước" in intro.text and text in preview.text
    return await run(app, staff, button=f"st:q:s:{number}")


async def test_asked_answered_delivered_and_saved_as_an_alternate(app: App) -> None:
    number = await send_to_staff(app)
    notifier = Notifier(app, {"terminal": (rec := Recorder())}, config())
    await notifier.tick()
    notice = next(t for t in rec.to(EDITOR) if "Câu hỏi mới" in t)
    assert f"Câu hỏi mới cho cán bộ #{number}" in notice and UNKNOWN in notice
    assert "Bạn c1" in notice and "Bot đã thử: chưa hiểu câu hỏi" in notice
    assert notice in rec.to(EDITOR2) and rec.to(CITIZEN) == []

    listed = await run(app, EDITOR, command="cauhoi")
    assert UNKNOWN in listed[1].text and data(listed[1]) == [
        f"st:q:a:{number}",
        f"st:q:c:{number}",
    ]
    claimed = await one(app, EDITOR, button=f"st:q:a:{number}")
    assert "giữ chỗ đến 09:15" in claimed.text
    busy = await one(app, EDITOR2, button=f"st:q:a:{number}")
    assert "đang được terminal:e1 trả lời" in busy.text
    _intro, preview = await run(app, EDITOR, text="Có ạ, phòng họp tầng 2 cho thuê theo buổi.")
    [done] = await run(app, EDITOR, button=f"st:q:s:{number}")
    assert f"Đã gửi câu trả lời cho câu hỏi #{number}" in done.text
    again = await one(app, EDITOR2, button=f"st:q:s:{number}")
    assert "Chưa có câu trả lời" in again.text

    await notifier.tick()
    [received] = rec.to(CITIZEN)
    assert received == preview.text  # exactly the preview
    assert received.startswith(f"💬 Cán bộ thư viện trả lời câu hỏi số {number}")
    assert f"Bạn hỏi: “{UNKNOWN}”" in received and "phòng họp tầng 2" in received

    add = next(d for d in data(done) if d.startswith(f"st:q:f:{number}:"))
    saved = await one(app, EDITOR, button=add)
    assert "Đã thêm cách hỏi" in saved.text
    answered = await one(app, OTHER, text=UNKNOWN)  # another citizen: the bot answers now
    assert "hq:last" not in data(answered) and any(d.startswith("fb:") for d in data(answered))

    inbox = await run(app, EDITOR, command="chuatraloi")  # answered in person: not listed
    assert all(UNKNOWN not in r.text for r in inbox)
    mine = await one(app, CITIZEN, button="hq:list")
    assert "đã trả lời" in mine.text
    async with app.sessions() as s:
        actions = list(await s.scalars(select(AuditRow.action).order_by(AuditRow.id)))
    assert [a for a in actions if a.startswith("question.")] == [
        "question.ask",
        "question.claim",
        "question.answer",
        "question.delivered",
        "question.faq",
    ]


async def test_new_faq_from_the_exchange_and_closing_with_a_reason(app: App) -> None:
    number = await send_to_staff(app)
    await answer(app, EDITOR, number, "Thư viện có phòng họp nhỏ, đặt trước 2 ngày.")
    made = await one(app, EDITOR, button=f"st:q:n:{number}")
    assert "Đã thêm hỏi đáp" in made.text
    assert "đặt trước 2 ngày" in (await one(app, OTHER, text=UNKNOWN)).text

    second = await send_to_staff(app, question="mua bán đất ở xã bằng vân giá bao nhiêu")
    menu = await one(app, EDITOR, button=f"st:q:c:{second}")
    assert data(menu)[-1] == f"st:q:r:{second}:t"
    closed = await one(app, EDITOR, button=f"st:q:r:{second}:2")
    assert "Đã đóng" in closed.text
    rec = Recorder()
    await Notifier(app, {"terminal": rec}, config()).tick()
    told = rec.to(CITIZEN)[-1]
    assert "đã được cán bộ đóng" in told and "không thuộc phạm vi" in told
    assert "0209 3870 001" in told
    late = await one(app, EDITOR2, button=f"st:q:a:{second}")
    assert "đã được đóng" in late.text


async def test_limits_additions_and_withdrawal(app: App) -> None:
    numbers = [await send_to_staff(app, question=f"{UNKNOWN} số {n}") for n in range(3)]
    fallback = await one(app, CITIZEN, text="câu hỏi thứ tư về phòng họp tầng ba")
    assert "hq:last" in data(fallback)
    too_many = await one(app, CITIZEN, button="hq:last")
    assert "3 câu hỏi chờ" in too_many.text

    typing = await one(app, CITIZEN, button=f"hq:add:{numbers[0]}")
    assert "bổ sung" in typing.text
    added = await one(app, CITIZEN, text="Phòng cho khoảng 30 người.")
    assert "Đã bổ sung" in added.text
    listed = await run(app, EDITOR, command="cauhoi")
    assert "+ “Phòng cho khoảng 30 người.”" in listed[1].text

    gone = await one(app, CITIZEN, button=f"hq:w:{numbers[1]}")
    assert "Đã rút lại" in gone.text
    assert "không còn chờ" in (await one(app, CITIZEN, button=f"hq:w:{numbers[1]}")).text
    late = await one(app, EDITOR, button=f"st:q:a:{numbers[1]}")
    assert "rút lại" in late.text

    # a citizen cannot touch another's question, nor learn anything about it
    for forged in (f"hq:w:{numbers[0]}", f"hq:add:{numbers[0]}"):
        assert "không còn nữa" in (await one(app, OTHER, button=forged)).text
    async with app.sessions() as s:
        row = await s.get(StaffQuestionRow, numbers[0])
        assert row is not None and row.status == "open"

    long = await one(app, OTHER, command="hoicanbo", args=("x" * 1001,))
    assert "dài quá" in long.text.lower()
    menu = await one(app, OTHER, button="hq:menu")
    assert "Bạn gõ câu hỏi" in menu.text
    confirm = await one(app, OTHER, text="Thư viện có nhận sách cũ quyên góp không?")
    assert data(confirm) == ["hq:ok", "hq:no"]
    assert "Đã thôi" in (await one(app, OTHER, button="hq:no")).text
    assert "hết hạn" in (await one(app, OTHER, button="hq:ok")).text


async def test_an_answer_the_channel_may_not_carry_is_held_until_the_person_writes(
    app: App,
) -> None:
    number = await send_to_staff(app)
    rec = Recorder()
    rec.closed.add(CITIZEN)
    notifier = Notifier(app, {"terminal": rec}, config())
    await answer(app, EDITOR, number, "Có ạ, phòng họp tầng 2.")
    await notifier.tick()
    assert rec.to(CITIZEN) == []
    held = next(t for t in rec.to(EDITOR) if "chưa đến được" in t)
    assert f"Câu trả lời cho câu hỏi #{number} chưa đến được người hỏi" in held
    assert "sẽ tự gửi ngay khi người hỏi nhắn lại" in held
    app.clock.advance(dt.timedelta(minutes=2))  # type: ignore[attr-defined]
    await notifier.tick()  # asked again: still closed, still held, staff told only once
    assert rec.to(CITIZEN) == [] and rec.to(EDITOR).count(held) == 1
    async with app.sessions() as s:
        statuses = set(
            await s.scalars(
                select(DeliveryRow.status).where(
                    DeliveryRow.user_pk.in_(select(StaffQuestionRow.user_pk))
                )
            )
        )
    assert statuses == {"held"}

    rec.closed.clear()  # the person writes: the window is open again
    await run(app, CITIZEN, text="xin chào")
    app.clock.advance(dt.timedelta(minutes=1))  # type: ignore[attr-defined]
    await notifier.tick()
    [received] = rec.to(CITIZEN)
    assert "phòng họp tầng 2" in received and UNKNOWN in received
    await notifier.tick()
    assert len(rec.to(CITIZEN)) == 1


@pytest.mark.postgres
async def test_two_editors_racing_send_exactly_one_answer(postgres_url: str) -> None:
    """Two instances on one PostgreSQL database, two editors pressing at the same moment."""
    first, second = await make_app(postgres_url), await make_app(postgres_url)
    try:
        async with first.sessions.begin() as s:
            for key in (EDITOR, EDITOR2):
                await staff_db.set_staff(s, f"terminal:{key}", "editor", by="test", now=NOW)
        number = await send_to_staff(first)
        claims = await asyncio.gather(
            dispatch(said(EDITOR, button=f"st:q:a:{number}"), first),
            dispatch(said(EDITOR2, button=f"st:q:a:{number}"), second),
        )
        won = [r[-1].text.startswith("✍️ Bạn đang trả lời") for r in claims]
        assert sorted(won) == [False, True]
        # the loser's claim is refused; even so, both type and press send at once
        for app_, key in ((first, EDITOR), (second, EDITOR2)):
            async with app_.sessions.begin() as s:
                await staff_db.put_dialog(
                    s,
                    "terminal",
                    key,
                    "q_answer",
                    {"q": number, "answer": f"Trả lời của {key}"},
                    now=NOW,
                )
        async with first.sessions.begin() as s:  # the claim has expired: both may try
            row = await s.get(StaffQuestionRow, number)
            assert row is not None
            row.claimed_until = NOW - dt.timedelta(seconds=1)
        sends = await asyncio.gather(
            dispatch(said(EDITOR, button=f"st:q:s:{number}"), first),
            dispatch(said(EDITOR2, button=f"st:q:s:{number}"), second),
        )
        sent = [r[0].text.startswith("✅ Đã gửi") for r in sends]
        assert sorted(sent) == [False, True]
        rec = Recorder()
        await Notifier(first, {"terminal": rec}, config()).tick()
        assert len(rec.to(CITIZEN)) == 1
        async with first.sessions() as s:
            answers = await s.scalar(select(func.count()).where(BroadcastRow.kind == "answer"))
        assert answers == 1
    finally:
        await first.close()
        await second.close()


async def test_erase_removes_questions_answers_and_every_message_quoting_them(app: App) -> None:
    number = await send_to_staff(app)
    await one(app, CITIZEN, button=f"hq:add:{number}")
    await one(app, CITIZEN, text="Phòng cho khoảng 30 người.")
    answer_words = "Phòng họp tầng 2 cho thuê theo buổi."
    [done] = await answer(app, EDITOR, number, answer_words)
    await one(app, EDITOR, button=next(d for d in data(done) if d.startswith("st:q:f:")))
    await Notifier(app, {"terminal": Recorder()}, config()).tick()
    needles = (UNKNOWN, "Phòng cho khoảng 30 người.", answer_words)
    found = await where_found(app, needles)
    assert "staff_questions.text" in found[UNKNOWN] and "broadcasts.text" in found[answer_words]

    await one(app, CITIZEN, command="xoadulieu")
    erased = await one(app, CITIZEN, button="pv:erase")
    assert "câu hỏi gửi cán bộ và câu trả lời: 1" in erased.text
    assert await where_found(app, needles) == {n: set() for n in needles}
    gone = await one(app, EDITOR, button=f"st:q:a:{number}")
    assert "Không còn câu hỏi" in gone.text


async def test_retention_purges_finished_questions_and_keeps_open_ones(app: App) -> None:
    from bot.notify.digest import purge_expired_texts

    answered = await send_to_staff(app)
    await answer(app, EDITOR, answered, "Có ạ.")
    still_open = await send_to_staff(app, question="nhà văn hóa có cho mượn loa kéo không")
    app.clock.advance(dt.timedelta(days=181))  # type: ignore[attr-defined]
    counts = await purge_expired_texts(app)
    assert counts["staff_questions"] == 1
    async with app.sessions() as s:
        left = list(await s.scalars(select(StaffQuestionRow.id)))
        sources = list(await s.scalars(select(BroadcastRow.source)))
    assert left == [still_open]
    assert not [x for x in sources if x.startswith(f"ask:{answered}:")]


async def test_statistics_and_the_digest_count_questions_to_staff(app: App) -> None:
    first = await send_to_staff(app)
    await send_to_staff(app, user=OTHER, question="nhà văn hóa có cho mượn loa kéo không")
    app.clock.advance(dt.timedelta(hours=2))  # type: ignore[attr-defined]
    await answer(app, EDITOR, first, "Có ạ.")
    stats = await one(app, EDITOR, command="thongke")
    assert "Hỏi cán bộ: 2 câu, đã trả lời 1, thời gian trả lời trung vị 2 giờ" in stats.text

    # the second is open for 3 working days: overdue in the next digest (working hours only)
    app.clock.advance(dt.timedelta(days=4))  # type: ignore[attr-defined]
    async with app.sessions() as s:
        text = await digest_text(s, app, app.now().date() - dt.timedelta(days=1))
    assert "Câu hỏi gửi cán bộ chờ quá 24 giờ làm việc: 1" in text and "/cauhoi" in text
    assert "loa kéo" not in text  # numbers only: no citizen's words in the digest


def test_working_hours_count_only_opening_hours() -> None:
    from bot.pack import load_pack
    from bot.workhours import hours_text, main_library

    pack, _ = load_pack(DEV_PACK)
    assert pack is not None
    library = main_library(pack)
    assert hours_text(library) == "T2–T6 07:30–11:30, 13:30–17:00; T7, CN 08:00–11:30"
    wednesday = dt.datetime(2026, 12, 2, 9, 0, tzinfo=TZ)
    assert working_hours(library, wednesday, wednesday + dt.timedelta(hours=3), TZ) == 2.5
    assert working_hours(library, wednesday, wednesday + dt.timedelta(days=3), TZ) == 22.0
    tet = dt.datetime(2027, 2, 15, 8, 0, tzinfo=TZ)  # closed for Tết
    assert working_hours(library, tet, tet + dt.timedelta(days=2), TZ) == 0.0
    assert working_hours(None, wednesday, wednesday + dt.timedelta(hours=5), TZ) == 5.0


async def test_citizen_reaches_no_staff_question_action(app: App) -> None:
    number = await send_to_staff(app)
    helped = (await one(app, OTHER, command="help")).text
    assert (await one(app, CITIZEN, command="cauhoi")).text == helped
    for forged in (
        f"st:q:a:{number}",
        f"st:q:s:{number}",
        f"st:q:c:{number}",
        f"st:q:r:{number}:0",
        f"st:q:n:{number}",
        f"st:q:f:{number}:0",
    ):
        assert (await one(app, CITIZEN, button=forged)).text == helped
    async with app.sessions() as s:
        row = await s.get(StaffQuestionRow, number)
        deliveries = await s.scalar(select(func.count()).select_from(DeliveryRow))
    assert row is not None and row.status == "open" and row.claimed_by is None
    assert deliveries == 2  # the two staff notices only


async def test_a_clarify_whose_choices_did_not_help_goes_to_staff(app: App) -> None:
    clarify = await one(app, CITIZEN, text="mượn")
    assert len(data(clarify)) >= 3 and data(clarify)[-1] == "hq:last"
    assert clarify.flat_buttons[-1].label == "🙋 Không phải các mục trên: hỏi cán bộ"
    confirm = await one(app, CITIZEN, button="hq:last")
    assert "“mượn”" in confirm.text
    await one(app, CITIZEN, button="hq:ok")
    rec = Recorder()
    await Notifier(app, {"terminal": rec}, config()).tick()
    notice = next(t for t in rec.to(EDITOR) if "Câu hỏi mới" in t)
    assert "Bot đã thử: đưa ra lựa chọn không giúp được: Làm thẻ" in notice


async def test_one_staff_chat_gets_the_notice_without_buttons(database_url: str) -> None:
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        content_dir=DEV_PACK,
        staff_chat="telegram:-1001234567890",
    )
    application = build_app(settings, clock=FixedClock(NOW))
    await application.prepare()
    try:
        number = await send_to_staff(application)
        async with application.sessions() as s:
            broadcast = await s.scalar(
                select(BroadcastRow).where(BroadcastRow.source == f"ask:{number}:new")
            )
            chats = list(await s.scalars(select(DeliveryRow.chat_id)))
        assert broadcast is not None and broadcast.buttons == []
        assert "/cauhoi" in broadcast.text and chats == ["-1001234567890"]
    finally:
        await application.close()


def test_hoctap_stats_counts_questions_to_staff(clean_env: dict[str, str], tmp_path: Path) -> None:
    from bot.clock import SystemClock
    from tests.test_cli import hoctap

    url = f"sqlite:///{tmp_path / 'stats.db'}"

    async def asked_and_answered() -> None:
        settings = Settings(_env_file=None, database_url=url, content_dir=DEV_PACK)
        application = build_app(settings, clock=SystemClock(TZ))
        await application.prepare()
        try:
            async with application.sessions.begin() as s:
                await staff_db.set_staff(s, f"terminal:{EDITOR}", "editor", by="t", now=NOW)
            await answer(application, EDITOR, await send_to_staff(application), "Có ạ.")
            await send_to_staff(application, user=OTHER)
        finally:
            await application.close()

    asyncio.run(asked_and_answered())
    env = {**clean_env, "HOCTAP_DATABASE_URL": url, "HOCTAP_CONTENT_DIR": str(DEV_PACK)}
    result = hoctap("stats", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Hỏi cán bộ: 2 câu, đã trả lời 1, thời gian trả lời trung vị 0 phút" in result.stdout


@pytest.mark.postgres
async def test_a_double_tap_on_send_makes_one_question(postgres_url: str) -> None:
    first, second = await make_app(postgres_url), await make_app(postgres_url)
    try:
        await one(first, CITIZEN, text=UNKNOWN)
        await one(first, CITIZEN, button="hq:last")
        taps = await asyncio.gather(
            dispatch(said(CITIZEN, button="hq:ok"), first),
            dispatch(said(CITIZEN, button="hq:ok"), second),
        )
        assert sorted("Đã gửi câu hỏi" in r[-1].text for r in taps) == [False, True]
        async with first.sessions() as s:
            assert await s.scalar(select(func.count()).select_from(StaffQuestionRow)) == 1
    finally:
        await first.close()
        await second.close()


async def test_migration_0008q_up_and_down(database_url: str) -> None:
    """0008q creates staff_questions and drops it again (SQLite and PostgreSQL)."""
    from alembic import command
    from sqlalchemy import inspect
    from sqlalchemy.engine import Connection

    from bot.settings import async_database_url
    from db.engine import _alembic_config, make_engine, upgrade

    engine = make_engine(async_database_url(database_url))

    def names(conn: Connection) -> set[str]:
        return set(inspect(conn).get_table_names())

    def down(conn: Connection) -> None:
        command.downgrade(_alembic_config(conn), "0007")

    try:
        await upgrade(engine)
        async with engine.connect() as conn:
            assert "staff_questions" in await conn.run_sync(names)
        async with engine.begin() as conn:
            await conn.run_sync(down)
        async with engine.connect() as conn:
            assert "staff_questions" not in await conn.run_sync(names)
        await upgrade(engine)
        async with engine.connect() as conn:
            assert "staff_questions" in await conn.run_sync(names)
    finally:
        await engine.dispose()
