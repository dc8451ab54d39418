"""Ask a person end to end through the real channels.

Telegram: the real PTB stack long-polling the fake Bot API, the outbox's Telegram sender; a
citizen's question falls back, goes to staff, an editor is notified, claims, answers, previews
and sends, the citizen receives it quoting the question, the editor saves it as an FAQ
alternate, and another citizen asking the same is answered by the bot.

Zalo OA: signed webhooks to the real Starlette app, the OA sender against the fake OA API; the
same, then an answer held because the 7-day window had closed, delivered when the citizen
writes again (staff are told it waits).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import App
from bot.channels.telegram_sender import TelegramSender
from bot.channels.zalo import start_zalo, zalo_routes
from bot.clock import FixedClock
from bot.messages import Incoming
from bot.notify.scheduler import Notifier
from bot.web import build_web
from db import staff as staff_db
from handlers import dispatch
from tests.fakes.telegram import FakeTelegram, bot_settings, polling_bot, running_app
from tests.fakes.zalo import (
    OA_SECRET_KEY,
    TEST_NOW,
    FakeZaloOA,
    Signer,
    serve,
    wait_for,
    zalo_settings,
)
from tests.fakes.zalo import running_app as zalo_app
from tests.test_ask_person import Recorder
from tests.test_notify_outbox import config

EDITOR, CITIZEN, OTHER = 5001, 6002, 6003
UNKNOWN = "bên mình có cho thuê phòng họp không ạ"
ANSWER = "Có ạ: phòng họp tầng 2 cho thuê theo buổi, gọi 0209 3870 001 để đặt."


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch, clean_env: dict[str, str]) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


async def said(fake: FakeTelegram, uid: int, text: str) -> dict[str, Any]:
    before = len(fake.sent_to(uid))
    fake.user_text(uid, text)
    await fake.wait_for(lambda: len(fake.sent_to(uid)) > before)
    return fake.sent_to(uid)[-1]


async def pressed(fake: FakeTelegram, message: dict[str, Any], data: str) -> dict[str, Any]:
    uid = message["chat"]["id"]
    assert data in buttons(message), (data, buttons(message))
    before = len(fake.sent_to(uid))
    fake.user_press(uid, message["message_id"], data)
    await fake.wait_for(lambda: len(fake.sent_to(uid)) > before)
    return fake.sent_to(uid)[-1]


def buttons(message: dict[str, Any]) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row]


async def test_telegram_question_to_staff_answered_and_learned(tmp_path: Path) -> None:
    async with FakeTelegram() as fake:
        settings = bot_settings(fake, tmp_path)
        async with running_app(settings) as app, polling_bot(app, settings) as telegram:
            async with app.sessions.begin() as s:
                await staff_db.set_staff(
                    s, f"telegram:{EDITOR}", "editor", by="test", now=TEST_NOW
                )
            await said(fake, EDITOR, "/start")  # the editor has a chat with the bot
            notifier = Notifier(app, {"telegram": TelegramSender(telegram.bot)}, config())

            fallback = await said(fake, CITIZEN, UNKNOWN)
            assert "0209 3870 001" in fallback["text"]  # not understood: the contact
            confirm = await pressed(fake, fallback, "hq:last")
            assert f"“{UNKNOWN}”" in confirm["text"] and "giờ làm việc" in confirm["text"]
            sent = await pressed(fake, confirm, "hq:ok")
            number = int(re.search(r"số (\d+)", sent["text"]).group(1))  # type: ignore[union-attr]

            await notifier.tick()  # the editor is notified at once
            await fake.wait_for(
                lambda: any("Câu hỏi mới" in m["text"] for m in fake.sent_to(EDITOR))
            )
            notice = next(m for m in fake.sent_to(EDITOR) if "Câu hỏi mới" in m["text"])
            assert UNKNOWN in notice["text"] and "Telegram" in notice["text"]
            claimed = await pressed(fake, notice, f"st:q:a:{number}")
            assert "Bạn đang trả lời" in claimed["text"]
            before = len(fake.sent_to(EDITOR))
            fake.user_text(EDITOR, ANSWER)  # an intro, then the exact preview with its buttons
            await fake.wait_for(lambda: any(ANSWER in m["text"] for m in fake.sent_to(EDITOR)))
            preview = next(m for m in fake.sent_to(EDITOR)[before:] if ANSWER in m["text"])
            assert buttons(preview)[0] == f"st:q:s:{number}"
            done = await pressed(fake, preview, f"st:q:s:{number}")
            assert "Đã gửi câu trả lời" in done["text"]

            await notifier.tick()
            await fake.wait_for(lambda: any(ANSWER in m["text"] for m in fake.sent_to(CITIZEN)))
            received = next(m for m in fake.sent_to(CITIZEN) if ANSWER in m["text"])
            assert received["text"] == preview["text"]  # exactly what the editor previewed
            assert f"Bạn hỏi: “{UNKNOWN}”" in received["text"]
            assert [m for m in fake.sent_to(OTHER) if ANSWER in m["text"]] == []

            add = next(d for d in buttons(done) if d.startswith(f"st:q:f:{number}:"))
            saved = await pressed(fake, done, add)
            assert "Đã thêm cách hỏi" in saved["text"]
            learned = await said(fake, OTHER, UNKNOWN)
            assert "hq:last" not in buttons(learned)
            assert any(d.startswith("fb:") for d in buttons(learned))  # an FAQ answer now
        assert fake.errors == []


def oa_text(fake: FakeZaloOA, user: str) -> str:
    return "\n".join(fake.texts_to(user))


def number_of(text: str, label: str) -> str:
    """The number the channel put before a choice."""
    found = re.search(rf"(\d+)\. {re.escape(label)}", text)
    assert found, (label, text)
    return found.group(1)


@pytest.fixture
async def oa_world(tmp_path: Path) -> AsyncIterator[tuple[FakeZaloOA, App, Any, FixedClock]]:
    async with FakeZaloOA().running() as fake:
        access, refresh = fake.issue_pair()
        settings = zalo_settings(
            f"sqlite:///{tmp_path / 'hoctap.db'}",
            oa=fake,
            access_token=access,
            refresh_token=refresh,
        )
        clock = FixedClock(TEST_NOW)
        async with zalo_app(settings, clock) as app:
            runtime = await start_zalo(app, settings, dispatch=dispatch, webhook=True)
            try:
                web = build_web(
                    app, settings, extra_routes=zalo_routes(app, settings, dispatch=dispatch)
                )
                async with serve(web) as url, httpx.AsyncClient() as http:
                    signer = Signer(fake.app_id, OA_SECRET_KEY)

                    async def say(text: str, user: str = "246845883529197922") -> str:
                        before = len(fake.texts_to(user))
                        event = signer.text(user, text, int(app.now().timestamp() * 1000))
                        assert (
                            await signer.post(http, f"{url}/zalo/oa", event)
                        ).status_code == 200
                        await wait_for(lambda: len(fake.texts_to(user)) > before, what=text)
                        assert runtime.channels.oa is not None
                        await wait_for(runtime.channels.oa.workers.idle, what="idle")
                        return "\n".join(fake.texts_to(user)[before:])

                    yield fake, app, (runtime, say), clock
            finally:
                await runtime.stop()


STAFF = "e1"


async def staff(app: App, **kwargs: object) -> str:
    replies = await dispatch(Incoming("terminal", STAFF, STAFF, **kwargs), app)  # type: ignore[arg-type]
    return "\n".join(r.text for r in replies)


async def test_zalo_oa_answer_and_an_answer_held_outside_the_window(
    oa_world: tuple[FakeZaloOA, App, Any, FixedClock],
) -> None:
    fake, app, (runtime, say), clock = oa_world
    user = "246845883529197922"
    async with app.sessions.begin() as s:
        await staff_db.set_staff(s, f"terminal:{STAFF}", "editor", by="test", now=TEST_NOW)
    await staff(app, command="start")
    recorder = Recorder()  # the staff member's terminal chat
    notifier = Notifier(app, {"zalo_oa": runtime.channels.oa, "terminal": recorder}, config())

    async def ask(question: str) -> int:
        fallback = await say(question)
        confirm = await say(number_of(fallback, "🙋 Gửi câu hỏi này cho cán bộ"))
        assert f"“{question}”" in confirm
        sent = await say(number_of(confirm, "✅ Gửi cho cán bộ"))
        return int(re.search(r"số (\d+)", sent).group(1))  # type: ignore[union-attr]

    async def answer(number: int, text: str) -> str:
        assert "Bạn đang trả lời" in await staff(app, button=f"st:q:a:{number}")
        assert "Xem trước" in await staff(app, text=text)
        return await staff(app, button=f"st:q:s:{number}")

    first = await ask(UNKNOWN)
    await notifier.tick()
    assert any("Zalo OA" in t and UNKNOWN in t for t in recorder.to(STAFF))
    await answer(first, ANSWER)
    await notifier.tick()
    delivered = oa_text(fake, user)
    assert ANSWER in delivered and f"Bạn hỏi: “{UNKNOWN}”" in delivered

    second = await ask("nhà văn hóa có cho mượn loa kéo không")
    clock.advance(dt.timedelta(days=8))  # the citizen stays silent past the 7-day window
    sent = await answer(second, "Có ạ, mượn tại nhà văn hóa xã.")
    assert "hơn 7 ngày" in sent  # the editor is told at once
    before = len(fake.texts_to(user))
    await notifier.tick()
    assert len(fake.texts_to(user)) == before  # held, not sent, not lost
    held = [t for t in recorder.to(STAFF) if f"#{second} chưa đến được" in t]
    assert held and "hơn 7 ngày" in held[0]

    await say("xin chào")  # the citizen writes again: the window is open
    clock.advance(dt.timedelta(minutes=1))  # the held answer is due to be tried again
    await notifier.tick()
    late = oa_text(fake, user)
    assert late.count("Có ạ, mượn tại nhà văn hóa xã.") == 1
    assert "Bạn hỏi: “nhà văn hóa có cho mượn loa kéo không”" in late
    await notifier.tick()
    assert oa_text(fake, user).count("Có ạ, mượn tại nhà văn hóa xã.") == 1


async def test_terminal_chat_prints_the_answer(tmp_path: Path) -> None:
    """The terminal chat: the question goes to staff (here a Telegram editor), the answer is
    printed in the chat by its notifier."""
    import asyncio
    import io

    from bot.app import build_app
    from bot.channels.terminal import chat
    from bot.notify.config import NotifySettings
    from bot.settings import Settings
    from tests.conftest import DEV_PACK
    from tests.test_terminal_notify import Keyboard, number_of, printed

    settings = Settings(
        _env_file=None, database_url=f"sqlite:///{tmp_path / 't.db'}", content_dir=DEV_PACK
    )
    app = build_app(settings, clock=FixedClock(TEST_NOW))
    await app.prepare()
    keyboard, screen = Keyboard(), io.StringIO()
    notify = NotifySettings(
        _env_file=None, tick_seconds=0.1, rate_per_s=200.0, per_chat_interval_s=0.0
    )
    running = asyncio.create_task(
        chat(app, keyboard, screen, dispatch=dispatch, config=notify)  # type: ignore[arg-type]
    )
    try:
        async with app.sessions.begin() as s:
            await staff_db.set_staff(s, "telegram:77", "editor", by="test", now=TEST_NOW)
        await printed(screen, "🙋 Hỏi cán bộ")
        keyboard.type(UNKNOWN)
        shown = await printed(screen, "🙋 Gửi câu hỏi này cho cán bộ")
        keyboard.type(number_of(shown, "🙋 Gửi câu hỏi này cho cán bộ"))
        shown = await printed(screen, "✅ Gửi cho cán bộ")
        keyboard.type(number_of(shown, "✅ Gửi cho cán bộ"))
        await printed(screen, "Đã gửi câu hỏi số 1")

        async def editor(**kwargs: object) -> str:
            replies = await dispatch(Incoming("telegram", "77", "77", **kwargs), app)  # type: ignore[arg-type]
            return replies[-1].text

        assert "Bạn đang trả lời" in await editor(button="st:q:a:1")
        await editor(text=ANSWER)
        assert "Đã gửi câu trả lời" in await editor(button="st:q:s:1")
        out = await printed(screen, ANSWER)
        assert f"Bạn hỏi: “{UNKNOWN}”" in out
        keyboard.type("/quit")
        await asyncio.wait_for(running, 30)
    finally:
        keyboard.close()
        if not running.done():
            running.cancel()
        await app.close()
    assert "Traceback" not in screen.getvalue()
