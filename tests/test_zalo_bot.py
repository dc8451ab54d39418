"""The Zalo Bot channel end to end: long polling and the webhook against a fake Bot API on
127.0.0.1, real dispatch on the dev pack, numbered choices, errors, splitting, redaction."""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.app import App
from bot.channels.zalo import start_zalo, zalo_routes
from bot.channels.zalo_bot import ZaloBot
from bot.channels.zalo_bot_client import ZaloBotClient
from bot.channels.zalo_errors import ZaloApiError, ZaloQuotaError
from bot.channels.zalo_text import CHOICE_HINT, split_zalo, utf16_len
from bot.messages import Reply
from bot.web import build_web
from handlers import dispatch
from tests.fakes.zalo import FakeZaloBot, running_app, serve, wait_for, zalo_settings

CHAT = "6ede9afa66b88fe6d6a9"
SECRET = "zalo-bot-webhook-secret-1234"


@pytest.fixture
async def fake() -> AsyncIterator[FakeZaloBot]:
    async with FakeZaloBot().running() as server:
        yield server


@pytest.fixture
async def app(tmp_path: Path, fake: FakeZaloBot) -> AsyncIterator[App]:
    settings = zalo_settings(f"sqlite:///{tmp_path / 'h.db'}", bot=fake, webhook_secret=SECRET)
    async with running_app(settings) as prepared:
        yield prepared


async def say(fake: FakeZaloBot, text: str) -> str:
    """The user writes; wait for the bot's answer(s)."""
    before = len(fake.texts_to(CHAT))
    fake.user_text(CHAT, text)
    await wait_for(lambda: len(fake.texts_to(CHAT)) > before, what=f"reply to {text!r}")
    return "\n".join(fake.texts_to(CHAT)[before:])


async def test_polling_conversation(app: App, fake: FakeZaloBot) -> None:
    runtime = await start_zalo(
        app,
        app.settings,
        dispatch=dispatch,
        webhook=False,
        bot={"poll_timeout": 1, "min_poll_interval": 0},
    )
    try:
        bot = runtime.senders["zalo_bot"]
        assert isinstance(bot, ZaloBot)
        text = await say(fake, "xin chào")
        assert CHOICE_HINT in text
        number = next(line.split(".")[0] for line in text.splitlines() if "Giờ mở cửa" in line)
        text = await say(fake, number)
        assert "Thư viện tỉnh Bắc Kạn" in text
        text = await say(fake, "thu vien tinh may gio mo cua")
        assert "07:30" in text
        before = len(fake.texts_to(CHAT))
        fake.push(fake.update(CHAT, "message.sticker.received", sticker="abc", url="https://x"))
        await wait_for(lambda: len(fake.texts_to(CHAT)) > before, what="sticker reply")
        assert "chỉ đọc được tin nhắn chữ" in fake.texts_to(CHAT)[-1]
        assert {a["action"] for a in fake.actions} == {"typing"}
        # the same update served twice (a replaying server) is answered once
        update = fake.update(CHAT, "message.text.received", text="xin chào")
        before = len(fake.texts_to(CHAT))
        fake.push(update)
        fake.push(update)
        await wait_for(lambda: len(fake.texts_to(CHAT)) > before, what="reply")
        await wait_for(lambda: not fake.queue and bot.workers.idle(), what="drained")
        assert len(fake.texts_to(CHAT)) == before + 1
        assert await bot.can_message(CHAT, app.now()) == (True, None)
        ok, reason = await bot.can_message("stranger", app.now())
        assert not ok and reason
    finally:
        await runtime.stop()


async def test_ok_false_inside_http_200_is_an_error(app: App, fake: FakeZaloBot) -> None:
    client = ZaloBotClient(fake.token, base_url=fake.base_url)
    bot = ZaloBot(app, client, dispatch=dispatch)
    try:
        fake.fail("sendMessage", 200, {"ok": False, "error_code": 400, "description": "Bad"})
        with pytest.raises(ZaloApiError) as caught:
            await client.send_message(CHAT, "xin chào")
        assert caught.value.code == 400 and caught.value.http_status == 200
        fake.fail("sendMessage", 200, {"ok": False, "error_code": 400, "description": "Bad"})
        outcome = await bot.deliver(CHAT, Reply("Thông báo"))
        assert outcome.status == "failed"
        fake.fail("sendMessage", 200, {"ok": False, "error_code": 429, "description": "Quota"})
        with pytest.raises(ZaloQuotaError):
            await client.send_message(CHAT, "x")
        fake.fail("sendMessage", 200, {"ok": False, "error_code": "429", "description": "Q"})
        outcome = await bot.deliver(CHAT, Reply("Thông báo"))
        assert outcome.status == "retry" and outcome.retry_after
        fake.fail("sendMessage", 200, {"ok": True})  # no result but ok: that is success
        assert (await bot.deliver(CHAT, Reply("Thông báo"))).status == "sent"
        assert fake.sent == []
        # an empty long poll is 408 in an HTTP 200 (or an HTTP 408): "no update", not an error
        for status, code in ((200, 408), (408, "408")):
            fake.fail("getUpdates", status, {"ok": False, "error_code": code, "description": "t"})
            assert await client.get_update(1) is None
        fake.fail("getUpdates", 200, {"ok": False, "error_code": 401, "description": "no"})
        with pytest.raises(ZaloApiError):
            await client.get_update(1)
    finally:
        await client.aclose()


async def test_webhook_secret_wrapped_and_bare(app: App, fake: FakeZaloBot) -> None:
    runtime = await start_zalo(app, app.settings, dispatch=dispatch, webhook=True)
    web = build_web(
        app, app.settings, extra_routes=zalo_routes(app, app.settings, dispatch=dispatch)
    )
    try:
        async with serve(web) as base, httpx.AsyncClient() as http:
            url = f"{base}/zalo/bot"
            update = fake.update(CHAT, "message.text.received", text="xin chào")
            for headers in ({}, {"X-Bot-Api-Secret-Token": "wrong-secret-123"}):
                answer = await http.post(url, json=update, headers=headers)
                assert answer.status_code == 403
            good = {"X-Bot-Api-Secret-Token": SECRET}
            answer = await http.post(url, json={"ok": True, "result": update}, headers=good)
            assert answer.status_code == 200 and answer.json() == {"message": "Success"}
            await wait_for(lambda: fake.texts_to(CHAT), what="reply")
            bare = fake.update(CHAT, "message.text.received", text="thu vien tinh may gio mo cua")
            assert (await http.post(url, json=bare, headers=good)).status_code == 200
            assert (await http.post(url, json=bare, headers=good)).status_code == 200  # dup
            await wait_for(lambda: len(fake.texts_to(CHAT)) >= 2, what="second reply")
            answer = await http.post(url, content=b"x" * 100_000, headers=good)
            assert answer.status_code == 413
            assert (
                await http.post(url, json={"event_name": "x"}, headers=good)
            ).status_code == 200
            bot = runtime.channels.bot
            assert bot is not None
            await wait_for(bot.workers.idle, what="idle")
            assert len(fake.texts_to(CHAT)) == 2
            assert "getUpdates" not in fake.calls
    finally:
        await runtime.stop()


def test_split_long_vietnamese_text() -> None:
    """4,500 decomposed (NFD) Vietnamese characters → NFC → 3 parts of ≤2000 UTF-16 units."""
    sentence = "Thư viện lưu động sẽ đến xã Yên Lạc vào thứ Bảy. "
    text = unicodedata.normalize("NFD", (sentence * 100)[:4500])
    parts = split_zalo(text)
    assert len(parts) == 3
    assert all(utf16_len(p) <= 2000 for p in parts)
    assert all(unicodedata.is_normalized("NFC", p) for p in parts)
    emoji = split_zalo("📚" * 1500)
    assert all(utf16_len(p) <= 2000 for p in emoji) and "".join(emoji) == "📚" * 1500


async def test_the_token_never_reaches_the_logs(
    app: App, fake: FakeZaloBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    runtime = await start_zalo(
        app,
        app.settings,
        dispatch=dispatch,
        webhook=False,
        bot={"poll_timeout": 1, "min_poll_interval": 0},
    )
    try:
        await say(fake, "xin chào")
        fake.fail("sendMessage", 200, {"ok": False, "error_code": 400, "description": "Bad"})
        fake.user_text(CHAT, "thu vien tinh may gio mo cua")  # its answer fails: logged
        await wait_for(lambda: not fake.faults["sendMessage"], what="the failing send")
        bot = runtime.channels.bot
        assert bot is not None
        await wait_for(bot.workers.idle, what="idle")
        assert any("reply not delivered" in r.getMessage() for r in caplog.records)
        down = ZaloBotClient(fake.token, base_url="http://127.0.0.1:9")  # nobody listens
        with pytest.raises(ZaloApiError) as caught:
            await down.get_me()
        await down.aclose()
        assert fake.token not in str(caught.value)
        logging.getLogger("bot.channels.zalo_bot").exception("oops %s", fake.token)
    finally:
        await runtime.stop()
    assert any("HTTP Request" in r.getMessage() for r in caplog.records)  # httpx did log
    for record in caplog.records:
        assert fake.token not in record.getMessage()
        assert fake.token not in (record.exc_text or "")
    assert fake.token not in caplog.text
