"""Every copy of a citizen's question goes with ``/xoadulieu`` and with the retention purge.

A question is logged, quoted in the staff digest, held in staff dialogs (the inbox list, a new
answer being written), quoted in older audit details, and adopted into the content as an FAQ
wording. The scans here read every column of every table, text and JSON alike.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select

from bot.app import App, build_app
from bot.clock import FixedClock
from bot.messages import Incoming, Reply
from bot.notify.digest import make_digest, purge_expired_texts
from bot.settings import load_settings
from db import staff as staff_db
from db.models import AuditRow, Base, DialogRow, QuestionLogRow
from db.models_notify import BroadcastRow
from db.models_privacy import TextProvenanceRow
from handlers import dispatch
from tests.conftest import DEV_PACK

NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
EDITOR, PERSON, OTHER = "2", "3", "9"
ADOPTED = "bên mình có cho thuê phòng họp không ạ"  # becomes an FAQ wording
IGNORED = "giá vé xem bóng đá"  # ignored by staff (once quoted in the audit)
DRAFTED = "thư viện tỉnh có chỗ gửi xe máy không"  # a new answer is being written for it
THEIRS = (ADOPTED, IGNORED, DRAFTED)
KEPT = "ở đây có dạy làm bánh chưng không"  # another citizen's: stays


@pytest.fixture
async def app(database_url: str, clean_env: dict[str, str]) -> AsyncIterator[App]:
    """SQLite and PostgreSQL (JSON columns differ)."""
    settings = load_settings(database_url=database_url, content_dir=DEV_PACK)
    application = build_app(settings, clock=FixedClock(NOW))
    await application.prepare()
    async with application.sessions.begin() as s:
        await staff_db.set_staff(s, f"terminal:{EDITOR}", "editor", by="test", now=NOW)
    yield application
    await application.close()


def said(user: str, **kwargs: Any) -> Incoming:
    return Incoming("terminal", user, user, **kwargs)


async def one(app: App, incoming: Incoming) -> Reply:
    replies = await dispatch(incoming, app)
    assert replies, incoming
    return replies[0]


async def where_found(app: App, needles: tuple[str, ...]) -> dict[str, set[str]]:
    """needle -> {table.column} holding it, across every column of every table."""
    found: dict[str, set[str]] = {n: set() for n in needles}
    async with app.sessions() as s:
        for table in Base.metadata.sorted_tables:
            for row in (await s.execute(table.select())).mappings():
                for column, value in row.items():
                    if isinstance(value, bytes):
                        shown = value.decode("utf-8", "ignore")
                    elif isinstance(value, (dict, list)):
                        shown = json.dumps(value, ensure_ascii=False)
                    else:
                        shown = str(value)
                    for needle in needles:
                        if needle in shown:
                            found[needle].add(f"{table.name}.{column}")
    return found


async def copies_everywhere(app: App) -> None:
    """The person asks; a digest quotes them; staff adopt, ignore and draft from the inbox."""
    await dispatch(said(EDITOR, command="start"), app)  # staff have a chat: the digest goes
    for question in THEIRS:
        await dispatch(said(PERSON, text=question), app)
    await dispatch(said(OTHER, text=KEPT), app)
    app.clock.advance(dt.timedelta(days=1))  # type: ignore[attr-defined]
    assert await make_digest(app, dt.time(7, 30))
    inbox = await dispatch(said(EDITOR, command="chuatraloi"), app)
    index = {q: n for n, r in enumerate(inbox) for q in (*THEIRS, KEPT) if q in r.text}
    add = next(b.data for b in inbox[index[ADOPTED]].flat_buttons if b.data.startswith("st:alt:"))
    assert "Đã thêm 1 cách hỏi" in (await one(app, said(EDITOR, button=add))).text
    await one(app, said(EDITOR, button=f"st:ign:{index[IGNORED]}"))
    await one(app, said(EDITOR, button=f"st:new:{index[DRAFTED]}"))  # left half-written
    async with app.sessions.begin() as s:  # an audit entry as "ignore" wrote it before 0007
        s.add(
            AuditRow(
                at=NOW, actor="terminal:2", action="inbox.ignore", detail={"texts": [IGNORED]}
            )
        )


async def test_erase_removes_every_copy_of_the_persons_text(app: App) -> None:
    await copies_everywhere(app)
    before = await where_found(app, (*THEIRS, KEPT))
    assert "broadcasts.text" in before[ADOPTED]  # the digest quoted it
    assert "faq_alternates.text" in before[ADOPTED]  # adopted into the content
    assert "dialogs.data" in before[DRAFTED] and "audit_log.detail" in before[IGNORED]
    version = app.live.version if app.live else None

    await one(app, said(PERSON, command="xoadulieu"))
    done = await one(app, said(PERSON, button="pv:erase"))
    assert "Đã xóa dữ liệu" in done.text and "bản tóm tắt cho cán bộ" in done.text
    assert "cách hỏi của bạn đã được thêm vào hỏi đáp: 1" in done.text

    after = await where_found(app, (*THEIRS, KEPT))
    assert {q: after[q] for q in THEIRS} == {q: set() for q in THEIRS}
    assert "question_log.text" in after[KEPT] and "broadcasts.text" in after[KEPT]
    assert app.live is not None and app.live.version != version  # reloaded without it
    assert all(ADOPTED not in f.alternates for f in app.live.pack.faq)
    async with app.sessions() as s:
        digest = await s.scalar(select(BroadcastRow.text).where(BroadcastRow.kind == "digest"))
        links = await s.scalar(select(func.count()).select_from(TextProvenanceRow))
    assert digest is not None and "đã được xóa theo yêu cầu" in digest
    assert links == 0


async def test_erase_reply_is_all_english_under_lang_en(app: App) -> None:
    await dispatch(said(PERSON, command="lang", args=("en",)), app)
    await dispatch(said(PERSON, text=IGNORED), app)
    ask = await one(app, said(PERSON, command="xoadulieu"))
    assert ask.text.startswith("Erase all your data")
    done = await one(app, said(PERSON, button="pv:erase"))
    assert done.text.startswith("✅ Your data was erased. Erased:")
    assert "questions you asked: 1" in done.text
    vietnamese = set("ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ")
    assert not set(done.text.lower()) & vietnamese, done.text


async def test_retention_purges_or_delinks_every_copy(app: App) -> None:
    await copies_everywhere(app)
    app.clock.advance(dt.timedelta(days=app.settings.retention_days + 2))  # type: ignore[attr-defined]
    purged = await purge_expired_texts(app)
    assert purged["question_log"] == 4 and purged["broadcasts"] == 1
    assert purged["text_provenance"] == 1 and purged["dialogs"] >= 2

    after = await where_found(app, (*THEIRS, KEPT))
    assert after[IGNORED] == set() and after[DRAFTED] == set() and after[KEPT] == set()
    # adopted wording stays as the organisation's content, linked to nobody any more
    assert after[ADOPTED] == {"faq_alternates.text"}
    async with app.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(QuestionLogRow)) == 0
        assert await s.scalar(select(func.count()).select_from(DialogRow)) == 0
        assert await s.scalar(select(func.count()).select_from(TextProvenanceRow)) == 0
        audits = (await s.scalars(select(AuditRow.detail))).all()
    assert all("texts" not in d for d in audits)


async def test_recent_copies_survive_the_purge(app: App) -> None:
    await copies_everywhere(app)
    purged = await purge_expired_texts(app)
    assert purged == {}
    assert (await where_found(app, (ADOPTED,)))[ADOPTED] >= {
        "question_log.text",
        "broadcasts.text",
    }


async def test_migration_0007_up_repairs_and_down(database_url: str) -> None:
    """The provenance table comes and goes; a Telegram user's group chat id is pointed back at
    their private chat; old "ignore" audits lose the texts they quoted (both databases)."""
    from alembic import command
    from sqlalchemy import inspect, text
    from sqlalchemy.engine import Connection

    from bot.settings import async_database_url
    from db.engine import _alembic_config, make_engine, upgrade

    def names(conn: Connection) -> set[str]:
        return set(inspect(conn).get_table_names())

    def down(conn: Connection) -> None:
        command.downgrade(_alembic_config(conn), "0005")

    engine = make_engine(async_database_url(database_url))
    try:
        await upgrade(engine, "0005")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO users (channel, user_id, chat_id, first_seen, last_seen, "
                    "window_count) VALUES ('telegram', '42', '-100777', :t, :t, 0), "
                    "('zalo_bot', 'z9', 'z9', :t, :t, 0)"
                ),
                {"t": NOW},
            )
            await conn.execute(
                insert(AuditRow).values(
                    at=NOW,
                    actor="telegram:1",
                    action="inbox.ignore",
                    detail={"texts": [IGNORED, "khác"]},
                )
            )
        await upgrade(engine)
        async with engine.connect() as conn:
            assert "text_provenance" in await conn.run_sync(names)
            pairs = (await conn.execute(text("SELECT user_id, chat_id FROM users"))).all()
            chats = {str(user): str(chat) for user, chat in pairs}
            detail = await conn.scalar(select(AuditRow.detail))
        assert chats == {"42": "42", "z9": "z9"}
        assert detail == {"count": 2}
        async with engine.begin() as conn:
            await conn.run_sync(down)
        async with engine.connect() as conn:
            assert "text_provenance" not in await conn.run_sync(names)
        await upgrade(engine)
    finally:
        await engine.dispose()


async def test_a_multi_line_question_is_one_plain_line_for_staff_and_still_erased(
    app: App,
) -> None:
    """Citizens' markdown never renders bold in staff views; erasure finds the shown form."""
    from bot.channels.telegram_replies import render_html

    multi = "cho thuê\n**phòng họp lớn**\nkhông ạ"
    await dispatch(said(EDITOR, command="start"), app)
    await dispatch(said(PERSON, text=multi), app)
    app.clock.advance(dt.timedelta(days=1))  # type: ignore[attr-defined]
    assert await make_digest(app, dt.time(7, 30))
    inbox = await dispatch(said(EDITOR, command="chuatraloi"), app)
    async with app.sessions() as s:
        digest = await s.scalar(select(BroadcastRow.text).where(BroadcastRow.kind == "digest"))
    assert digest is not None
    for shown in (inbox[0].text, digest):
        assert "cho thuê **phòng họp lớn** không ạ" in shown
        assert "<b>" not in render_html(shown)

    await one(app, said(PERSON, button="pv:erase"))
    assert (await where_found(app, ("phòng họp lớn",)))["phòng họp lớn"] == set()
