"""End to end through the fake Bot API with the real PTB stack: a citizen signs up for a class
with Telegram's share-contact button, gets the confirmation and, on the eve, the reminder;
another cancels and the first person waiting is promoted and told. Staff get the roster as a
spreadsheet in the chat.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from telegram import Bot

from bot.app import App
from bot.channels.telegram_sender import TelegramSender
from bot.clock import FixedClock
from bot.notify.config import NotifySettings
from bot.notify.scheduler import Notifier
from bot.settings import Settings
from tests.fakes.telegram import FakeTelegram, bot_settings, polling_bot, running_app
from tests.registration_helpers import NOW, TZ, signup_pack

FIRST, SECOND, THIRD, STAFF = 5101, 5102, 5103, 5199


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch, clean_env: dict[str, str]) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server
        assert server.errors == [], "the bot made calls Telegram would refuse"


@pytest.fixture
async def env(fake: FakeTelegram, tmp_path: Path) -> AsyncIterator[tuple[Settings, App]]:
    settings = bot_settings(
        fake,
        tmp_path,
        content_dir=signup_pack(tmp_path, nuoi_ca_ao=2),
        staff_ids=[f"telegram:{STAFF}"],
    )
    async with running_app(settings, NOW) as app:
        yield settings, app


@pytest.fixture
async def bot(fake: FakeTelegram, env: tuple[Settings, App]) -> AsyncIterator[FakeTelegram]:
    settings, app = env
    async with polling_bot(app, settings):
        yield fake


async def wait_sent(fake: FakeTelegram, uid: int, before: int) -> dict[str, Any]:
    await fake.wait_for(lambda: len(fake.sent_to(uid)) > before)
    return fake.sent_to(uid)[-1]


async def say(fake: FakeTelegram, uid: int, text: str) -> dict[str, Any]:
    before = len(fake.sent_to(uid))
    fake.user_text(uid, text)
    return await wait_sent(fake, uid, before)


async def press(fake: FakeTelegram, uid: int, message: dict[str, Any], data: str) -> None:
    answered, sent, edits = len(fake.answers), len(fake.sent), len(fake.edits)
    fake.user_press(uid, message["message_id"], data)
    await fake.wait_for(
        lambda: len(fake.answers) > answered and (len(fake.sent) > sent or len(fake.edits) > edits)
    )


def datas(message: dict[str, Any]) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row]


async def sign_up(fake: FakeTelegram, uid: int, name: str) -> dict[str, Any]:
    """Ask about the class, press Đăng ký, agree, name, share the contact."""
    answer = await say(fake, uid, "lớp nuôi cá ao nước tĩnh")
    assert "rg:nuoi-ca-ao" in datas(answer)
    await press(fake, uid, answer, "rg:nuoi-ca-ao")
    consent = fake.sent_to(uid)[-1]
    assert "số điện thoại" in consent["text"]
    await press(fake, uid, consent, "rgy")
    asked = await say(fake, uid, name)
    keyboard = asked["reply_markup"]["keyboard"]
    assert keyboard[0][0]["request_contact"] is True  # Telegram's share-contact button
    before = len(fake.sent_to(uid))
    fake.user_contact(uid, f"+8491234{uid % 10000:04d}")
    done = await wait_sent(fake, uid, before)
    assert done["reply_markup"] == {"remove_keyboard": True}
    return done


async def test_sign_up_with_a_shared_contact_reminder_and_promotion(
    bot: FakeTelegram, env: tuple[Settings, App]
) -> None:
    _, app = env
    first = await sign_up(bot, FIRST, "Nông Văn Một")
    assert "✅ Đã đăng ký lớp «Nuôi cá ao nước tĩnh»" in first["text"]
    assert "14/12/2026" in first["text"] and "Địa điểm:" in first["text"]
    second = await sign_up(bot, SECOND, "Hà Thị Hai")
    assert "✅" in second["text"]
    third = await sign_up(bot, THIRD, "Lục Văn Ba")
    assert "danh sách chờ, vị trí số 1" in third["text"]

    # staff: the overview, the roster, the spreadsheet in the chat
    overview = await say(bot, STAFF, "/dangky")
    assert "Nuôi cá ao nước tĩnh (14/12): 2/2 chỗ, 1 chờ" in overview["text"]
    await press(bot, STAFF, overview, "sr:l:nuoi-ca-ao")
    roster = bot.sent_to(STAFF)[-1]
    assert "1. Nông Văn Một — 0912 345 101" in roster["text"] and "Lục Văn Ba" in roster["text"]
    await press(bot, STAFF, roster, "sr:x:nuoi-ca-ao")
    [document] = bot.calls_of("sendDocument")
    sheet = load_workbook(io.BytesIO(document.params["document"]))["Danh sách"]
    names = [row[1] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert names == ["Nông Văn Một", "Hà Thị Hai", "Lục Văn Ba"]

    async with Bot(bot.token, base_url=f"{bot.base_url}/bot") as sender:
        config = NotifySettings(_env_file=None, rate_per_s=200.0)
        notifier = Notifier(app, {"telegram": TelegramSender(sender)}, config)
        # the second person cancels from the chat: the third is promoted and told
        mine = await say(bot, SECOND, "đăng ký của tôi")
        [cancel] = [d for d in datas(mine) if d.startswith("rgx:")]
        await press(bot, SECOND, mine, cancel)
        assert "Đã hủy đăng ký" in bot.sent_to(SECOND)[-1]["text"]
        before = len(bot.sent_to(THIRD))
        await notifier.tick()
        told = await wait_sent(bot, THIRD, before)
        assert "Đã có chỗ cho bạn" in told["text"]
        # the eve of the first session: the reminder, to those with a seat only
        assert isinstance(app.clock, FixedClock)
        app.clock.when = dt.datetime(2026, 12, 13, 19, 0, tzinfo=TZ)
        counts = {uid: len(bot.sent_to(uid)) for uid in (FIRST, SECOND, THIRD)}
        await notifier.tick()
        for uid in (FIRST, THIRD):
            reminder = bot.sent_to(uid)[-1]
            assert len(bot.sent_to(uid)) == counts[uid] + 1
            assert "Ngày mai" in reminder["text"] and "Nuôi cá ao nước tĩnh" in reminder["text"]
        assert len(bot.sent_to(SECOND)) == counts[SECOND]
