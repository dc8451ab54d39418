"""Private chats only: what a group gets, through the real PTB stack against the fake Bot API.

A citizen who subscribed in private and then types ``/start`` in a group keeps getting their
notices in private; an admin's staff commands in a group open nothing; ordinary chatter in a
group is neither answered nor logged; a command of ours gets one polite pointer to a private
chat, with no buttons.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.messages import Incoming, Reply
from bot.notify.digest import staff_recipients
from bot.notify.subscriptions import audience_filter, subscribers
from db.models import DialogRow, QuestionLogRow, UserRow
from db.models_notify import SubscriptionRow
from tests.fakes.telegram import FakeTelegram, bot_settings, polling_bot, running_app

UID = 4343
ADMIN = 9191
GROUP = -1001234567890
PRIVATE_ONLY = "tin nhắn riêng"


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch, clean_env: dict[str, str]) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server
        assert server.errors == [], "the bot made calls Telegram would refuse"


@pytest.fixture
async def app(fake: FakeTelegram, tmp_path: Path) -> AsyncIterator[App]:
    settings = bot_settings(fake, tmp_path, staff_ids=[f"telegram:{ADMIN}"])
    async with running_app(settings) as application, polling_bot(application, settings):
        yield application


async def say(fake: FakeTelegram, text: str, uid: int = UID) -> dict[str, Any]:
    before = len(fake.sent_to(uid))
    fake.user_text(uid, text)
    await fake.wait_for(lambda: len(fake.sent_to(uid)) > before)
    return fake.sent_to(uid)[-1]


async def in_group(fake: FakeTelegram, text: str, uid: int = UID) -> dict[str, Any]:
    """Say something in the group and wait for the bot's one message there."""
    before = len(fake.sent_to(GROUP))
    fake.group_text(uid, text, chat_id=GROUP)
    await fake.wait_for(lambda: len(fake.sent_to(GROUP)) > before)
    return fake.sent_to(GROUP)[-1]


async def settled(fake: FakeTelegram, uid: int = UID) -> None:
    """Let every update pushed so far be handled: a private round trip, then a little time."""
    await say(fake, "/help", uid)
    await asyncio.sleep(0.3)


async def test_start_in_a_group_does_not_move_a_citizens_notices(
    fake: FakeTelegram, app: App
) -> None:
    menu = await say(fake, "/thongbao")
    toggle = next(
        b["callback_data"]
        for row in menu["reply_markup"]["inline_keyboard"]
        for b in row
        if b["callback_data"].startswith("n:")
    )
    answered = len(fake.answers)
    fake.user_press(UID, menu["message_id"], toggle)
    await fake.wait_for(lambda: len(fake.answers) > answered)
    async with app.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(SubscriptionRow)) == 1

    reply = await in_group(fake, "/start")
    assert PRIVATE_ONLY in reply["text"]
    assert "reply_markup" not in reply  # no menu in front of the group
    await in_group(fake, f"/start@{fake.bot_username}")
    await settled(fake)

    async with app.sessions() as s:
        chats = (await s.scalars(select(UserRow.chat_id))).all()
        targets = await subscribers(s, audience_filter(["tin-hoc"], []))
    assert str(GROUP) not in chats
    assert [chat for _, _, chat in targets] == [str(UID)]
    assert len(fake.sent_to(GROUP)) == 2  # one short pointer per command, nothing else


async def test_group_chatter_is_neither_answered_nor_logged(fake: FakeTelegram, app: App) -> None:
    for text in ("thư viện tỉnh mấy giờ mở cửa", "chào cả nhà", "/khongphailenh"):
        fake.group_text(UID, text, chat_id=GROUP)
    fake.group_text(UID, "xe thư viện hôm nay ở đâu", chat_id=GROUP, chat_type="group")
    await settled(fake)
    assert fake.sent_to(GROUP) == []
    assert not fake.actions, "not even a typing indicator in the group"
    async with app.sessions() as s:
        logged = (await s.scalars(select(QuestionLogRow.text))).all()
        users = (await s.scalars(select(UserRow.user_id))).all()
    assert logged == []
    assert users == [str(UID)]  # known from the private /help only


async def test_staff_commands_in_a_group_open_nothing(fake: FakeTelegram, app: App) -> None:
    await say(fake, "thư viện tỉnh mấy giờ mở cửa, cho hỏi số 0912 345 678")  # a citizen
    await say(fake, "có lớp dạy đan lát không", uid=UID + 1)
    for command in ("/chuatraloi", "/thongbaomoi", "/canbo", "/thongke", "/xuat", "/nhanvien"):
        reply = await in_group(fake, command, uid=ADMIN)
        assert PRIVATE_ONLY in reply["text"]
        assert "reply_markup" not in reply
    texts = " ".join(m["text"] for m in fake.sent_to(GROUP))
    assert "đan lát" not in texts and "0912" not in texts
    assert not [c for c in fake.calls if c.method in ("sendDocument", "sendPhoto")]
    async with app.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(DialogRow)) == 0
        admin_rows = (await s.scalars(select(UserRow).where(UserRow.user_id == str(ADMIN)))).all()
    assert admin_rows == []  # the admin never wrote in private: no chat to send staff things

    staff = await say(fake, "/canbo", uid=ADMIN)  # in private the same admin is staff
    assert "/chuatraloi" in staff["text"]
    async with app.sessions() as s:
        digest_to = await staff_recipients(s, app.settings.staff_ids)
    assert [chat for _, _, chat in digest_to] == [str(ADMIN)]


async def test_buttons_pressed_in_a_group_do_nothing(fake: FakeTelegram, app: App) -> None:
    await say(fake, "/start")
    answered = len(fake.answers)
    for data in ("pv:erase", "m:courses", "st:cx", "n:all"):
        fake.group_press(UID, data, chat_id=GROUP)
    await fake.wait_for(lambda: len(fake.answers) >= answered + 4)  # spinners stopped
    await settled(fake)
    assert fake.sent_to(GROUP) == [] and fake.edits == []
    async with app.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(UserRow)) == 1  # not erased
        assert await s.scalar(select(func.count()).select_from(SubscriptionRow)) == 0


async def test_the_channel_reports_the_chat_type(fake: FakeTelegram, tmp_path: Path) -> None:
    seen: list[Incoming] = []

    async def record(incoming: Incoming, app: App) -> list[Reply]:
        seen.append(incoming)
        return []

    settings = bot_settings(fake, tmp_path)
    async with (
        running_app(settings) as application,
        polling_bot(application, settings, dispatch=record),
    ):
        fake.user_text(UID, "a")
        fake.group_text(UID, "b", chat_id=GROUP)
        fake.group_text(UID, "c", chat_id=-42, chat_type="group")
        await fake.wait_for(lambda: len(seen) == 3)
    kinds = {i.text: (i.chat_type, i.private, i.chat_id) for i in seen}
    assert kinds == {
        "a": ("private", True, str(UID)),
        "b": ("group", False, str(GROUP)),
        "c": ("group", False, "-42"),
    }


@pytest.mark.parametrize("staff_chat", [None, "telegram:-100555"])
async def test_the_digest_goes_to_staff_private_chats_or_the_one_staff_chat(
    fake: FakeTelegram, tmp_path: Path, staff_chat: str | None
) -> None:
    import datetime as dt

    from bot.notify.digest import make_digest
    from db.models_notify import DeliveryRow
    from handlers import dispatch

    settings = bot_settings(fake, tmp_path, staff_ids=[f"telegram:{ADMIN}"], staff_chat=staff_chat)
    async with running_app(settings) as application:
        admin = str(ADMIN)
        await dispatch(Incoming("telegram", admin, admin, command="start"), application)
        group = Incoming("telegram", admin, str(GROUP), command="start", chat_type="group")
        assert PRIVATE_ONLY in (await dispatch(group, application))[0].text
        assert await make_digest(application, dt.time(0, 0))
        async with application.sessions() as s:
            chats = (await s.scalars(select(DeliveryRow.chat_id))).all()
    assert chats == ([admin] if staff_chat is None else ["-100555"])


def test_staff_chat_setting_is_checked() -> None:
    from bot.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="HOCTAP_STAFF_CHAT"):
        load_settings(_env_file=None, staff_chat="-100555")
    assert load_settings(_env_file=None, staff_chat="telegram:-1").staff_chat == "telegram:-1"
