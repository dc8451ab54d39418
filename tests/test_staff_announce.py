"""A staff announcement written in the chat, previewed, scheduled, delivered to exactly its
audience through the outbox and the fake Bot API; progress and cancellation."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from bot.app import App
from bot.channels.telegram_sender import TelegramSender
from bot.messages import Incoming, Reply
from bot.notify.scheduler import Notifier
from db import staff as staff_db
from handlers import dispatch
from tests import test_notify_outbox as outbox
from tests.fakes.telegram import FakeTelegram
from tests.test_notify_outbox import START, config, seed, to

# The outbox tests' fixtures: the dev pack on a fixed clock (SQLite and PostgreSQL), the fake
# Bot API, and a real PTB Bot pointed at it.
app = outbox.app
fake = outbox.fake
bot = outbox.bot

EDITOR = "900"


def cmd(name: str) -> Incoming:
    return Incoming("telegram", EDITOR, EDITOR, command=name)


def say(value: str) -> Incoming:
    return Incoming("telegram", EDITOR, EDITOR, text=value)


def press(data: str) -> Incoming:
    return Incoming("telegram", EDITOR, EDITOR, button=data)


async def run(app: App, incoming: Incoming) -> list[Reply]:
    replies = await dispatch(incoming, app)
    assert replies
    return replies


@pytest.fixture
async def editor(app: App) -> AsyncIterator[App]:
    async with app.sessions.begin() as s:
        await staff_db.set_staff(s, f"telegram:{EDITOR}", "editor", by="test", now=START)
    yield app


async def test_announcement_created_in_chat_reaches_exactly_its_audience(
    editor: App,
    fake: FakeTelegram,
    bot: Bot,
) -> None:
    app = editor
    await seed(app, 11, ("topic", "nghe"))
    await seed(app, 12, ("all", ""))
    await seed(app, 13, ("commune", "Xã Yến Lạc"))
    await seed(app, 14, ("topic", "tin-hoc"))
    await seed(app, 15)  # never opted in

    await run(app, cmd("thongbaomoi"))
    await run(app, say("Khai giảng lớp nghề mộc"))
    [audience] = await run(app, say("Lớp mộc dân dụng khai giảng 15/12 tại Đức Xuân."))
    nghe = next(b.data for b in audience.flat_buttons if "Đào tạo nghề" in b.label)
    await run(app, press(nghe))
    yen_lac = next(b.data for b in audience.flat_buttons if "Yến Lạc" in b.label)
    [toggled] = await run(app, press(yen_lac))
    assert sum(b.label.startswith("✅") for b in toggled.flat_buttons) == 2
    await run(app, press("st:an:ok"))
    await run(app, say("not a date"))  # politely asked again
    intro, preview, _confirm = await run(app, say("02/12 08:00"))
    assert "tới 3 người" in intro.text  # 11 (topic), 12 (all), 13 (commune)
    assert (
        preview.text
        == "**📢 Khai giảng lớp nghề mộc**\nLớp mộc dân dụng khai giảng 15/12 tại Đức Xuân."
    )
    [scheduled] = await run(app, press("st:an:go"))
    assert "tới 3 người" in scheduled.text

    notifier = Notifier(app, {"telegram": TelegramSender(bot)}, config())
    await notifier.tick()
    assert fake.sent == [] or all("nghề mộc" not in m["text"] for m in fake.sent)  # not due yet
    to(app, START.replace(day=2, month=12, hour=8, minute=1))
    await notifier.tick()
    await fake.wait_for(lambda: len([m for m in fake.sent if "nghề mộc" in m["text"]]) == 3)
    receivers = sorted(int(m["chat"]["id"]) for m in fake.sent if "nghề mộc" in m["text"])
    assert receivers == [11, 12, 13]
    for sent in (m for m in fake.sent if "nghề mộc" in m["text"]):  # bold, no literal **
        assert "**" not in sent["text"]
        assert sent["html"].startswith("<b>📢 Khai giảng lớp nghề mộc</b>\n")

    [progress] = await run(app, cmd("guitin"))
    assert "Khai giảng lớp nghề mộc" in progress.text and "đã gửi 3" in progress.text


async def test_a_scheduled_announcement_can_be_cancelled(
    editor: App,
    fake: FakeTelegram,
    bot: Bot,
) -> None:
    app = editor
    await seed(app, 21, ("all", ""))
    await run(app, cmd("thongbaomoi"))
    await run(app, say("Họp phụ huynh"))
    await run(app, say("Nội dung"))
    await run(app, press("st:an:ok"))
    await run(app, say("20/12 08:00"))
    await run(app, press("st:an:go"))
    [progress] = await run(app, cmd("guitin"))
    cancel = next(b.data for b in progress.flat_buttons if b.data.startswith("st:an:cancel:"))
    [done] = await run(app, press(cancel))
    assert "1 tin chưa gửi sẽ không gửi nữa" in done.text
    to(app, START + dt.timedelta(days=30))
    await Notifier(app, {"telegram": TelegramSender(bot)}, config()).tick()
    assert all("Họp phụ huynh" not in m["text"] for m in fake.sent)


async def test_daily_digest_reaches_staff_once_and_old_questions_are_purged(
    editor: App,
    fake: FakeTelegram,
    bot: Bot,
) -> None:
    app = editor
    await dispatch(Incoming("telegram", EDITOR, EDITOR, command="start"), app)  # staff has a chat
    for question in ("giá vé tàu hỏa", "gia ve tau hoa", "thư viện tỉnh mở cửa mấy giờ"):
        await dispatch(Incoming("telegram", "31", "31", text=question), app)
    to(app, START + dt.timedelta(days=1))  # 26/11 07:30: the digest of 25/11 is due
    notifier = Notifier(app, {"telegram": TelegramSender(bot)}, config())
    await notifier.tick()
    await notifier.tick()  # a second tick makes no second digest
    await fake.wait_for(lambda: any("Tóm tắt ngày 25/11/2026" in m["text"] for m in fake.sent))
    digests = [m for m in fake.sent if "Tóm tắt ngày" in m["text"]]
    assert len(digests) == 1 and int(digests[0]["chat"]["id"]) == int(EDITOR)
    assert "3 câu hỏi" in digests[0]["text"] and "giá vé tàu hỏa (2)" in digests[0]["text"]

    from bot.notify.digest import purge_old_questions

    to(app, START + dt.timedelta(days=181))
    assert await purge_old_questions(app) == 3
