"""Staff tools end to end through the real PTB stack and the fake Bot API.

An .xlsx upload with errors (nothing changes, every error listed), a good upload previewed
and applied, a rollback, an unanswered question turned into an alternate and then answered,
the statistics chart and the export sent as files, and a citizen unable to reach any staff
action by command, by forged button data, or by upload.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.app import App
from bot.pack import load_pack
from bot.pack.xlsx import write_workbook
from db import content as content_db
from tests.conftest import DEV_PACK
from tests.fakes.telegram import FakeTelegram, bot_settings, polling_bot, running_app

STAFF, CITIZEN = 5001, 6002


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
    settings = bot_settings(fake, tmp_path, staff_ids=[f"telegram:{STAFF}"])
    async with running_app(settings) as application, polling_bot(application, settings):
        yield application


async def last_to(fake: FakeTelegram, uid: int, count_before: int) -> dict[str, Any]:
    await fake.wait_for(lambda: len(fake.sent_to(uid)) > count_before)
    return fake.sent_to(uid)[-1]


async def say(fake: FakeTelegram, uid: int, text: str) -> dict[str, Any]:
    before = len(fake.sent_to(uid))
    fake.user_text(uid, text)
    return await last_to(fake, uid, before)


async def press(fake: FakeTelegram, message: dict[str, Any], data: str) -> dict[str, Any]:
    """Press a button; the result is the edited message or the next new one."""
    uid = message["chat"]["id"]
    before, edits = len(fake.sent_to(uid)), len(fake.edits)
    fake.user_press(uid, message["message_id"], data)
    await fake.wait_for(lambda: len(fake.sent_to(uid)) > before or len(fake.edits) > edits)
    if len(fake.edits) > edits:
        return fake.messages[(uid, message["message_id"])]
    return fake.sent_to(uid)[-1]


async def upload(fake: FakeTelegram, uid: int, name: str, data: bytes) -> dict[str, Any]:
    before = len(fake.sent_to(uid))
    fake.user_document(uid, name, data)
    return await last_to(fake, uid, before)


def workbook(change=None) -> bytes:  # type: ignore[no-untyped-def]
    pack, _ = load_pack(DEV_PACK)
    assert pack is not None
    wb = load_workbook(io.BytesIO(write_workbook(pack)))
    if change is not None:
        change(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def data_of(message: dict[str, Any]) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row]


async def live_version(app: App) -> int:
    async with app.sessions() as s:
        return int(await content_db.current_version(s) or 0)


async def test_upload_errors_then_apply_then_rollback(fake: FakeTelegram, app: App) -> None:
    def broken(wb) -> None:  # type: ignore[no-untyped-def]
        wb["Lớp học"]["C2"] = "khong-co"
        wb["Thư viện"]["H2"] = "25:00-26:00"

    errors = await upload(fake, STAFF, "sai.xlsx", workbook(broken))
    assert "2 lỗi" in errors["text"]
    assert "sheet Lớp học, dòng 2, cột Chủ đề" in errors["text"]
    assert "sheet Thư viện, dòng 2, cột Giờ mở cửa thứ Hai" in errors["text"]
    assert await live_version(app) == 1

    def better(wb) -> None:  # type: ignore[no-untyped-def]
        wb["Hỏi đáp"]["D2"] = "Chỉ cần căn cước; thẻ miễn phí từ năm 2027."

    preview = await upload(fake, STAFF, "dung.xlsx", workbook(better))
    assert "lam-the-ban-doc" in preview["text"] and data_of(preview) == ["st:ap", "st:cx"]
    applied = await press(fake, preview, "st:ap")
    assert "phiên bản 2" in applied["text"] and await live_version(app) == 2
    assert "miễn phí từ năm 2027" in (await say(fake, CITIZEN, "làm thẻ thư viện cần gì"))["text"]

    versions = await say(fake, STAFF, "/phienban")
    back = await press(fake, versions, "st:rb:1")
    assert "Đã khôi phục phiên bản 1" in back["text"]
    assert (
        "miễn phí từ năm 2027" not in (await say(fake, CITIZEN, "làm thẻ thư viện cần gì"))["text"]
    )


async def test_unanswered_question_becomes_an_alternate(fake: FakeTelegram, app: App) -> None:
    question = "bên mình có cho thuê phòng họp không ạ"
    first = await say(fake, CITIZEN, question)
    assert "0209 3870 001" in first["text"]  # not answered: the fallback with the contact
    inbox = await say(fake, STAFF, "/chuatraloi")
    assert question in inbox["text"]
    adds = [d for d in data_of(inbox) if d.startswith("st:alt:0:")]
    assert adds, "the bot suggests the likely FAQ"
    done = await press(fake, inbox, adds[0])
    assert "Đã thêm 1 cách hỏi" in done["text"]
    answered = await say(fake, CITIZEN, question)
    assert any(d.startswith("fb:") for d in data_of(answered))  # now an FAQ answer
    assert "0209 3870 001" not in answered["text"]


async def test_statistics_and_export_arrive_as_files(fake: FakeTelegram, app: App) -> None:
    await say(fake, CITIZEN, "thư viện tỉnh mấy giờ mở cửa")
    stats = await say(fake, STAFF, "/thongke")
    assert "Câu hỏi: 1" in stats["text"]
    photo = next(u for u in fake.uploads if u["kind"] == "photo")
    assert photo["chat_id"] == STAFF and photo["data"].startswith(b"\x89PNG")
    await say(fake, STAFF, "/xuat")
    document = next(u for u in fake.uploads if u["kind"] == "document")
    assert "Hỏi đáp" in load_workbook(io.BytesIO(document["data"])).sheetnames


async def test_a_citizen_reaches_no_staff_action(fake: FakeTelegram, app: App) -> None:
    helped = (await say(fake, CITIZEN, "/help"))["text"]
    for command in (
        "/phienban",
        "/chuatraloi",
        "/thongke",
        "/xuat",
        "/nhanvien them telegram:6002 admin",
    ):
        assert (await say(fake, CITIZEN, command))["text"] == helped
    refused = await upload(fake, CITIZEN, "noi-dung.xlsx", workbook())
    assert "chỉ đọc được tin nhắn chữ" in refused["text"]
    # Forged button data: the fake only lets users press buttons they were shown, so the
    # forged press is pushed as a raw callback query on the citizen's own help message.
    help_message = fake.sent_to(CITIZEN)[-1]
    for data in ("st:ap", "st:rb:1", "st:alt:0:0", "st:an:go"):
        before = len(fake.sent_to(CITIZEN))
        fake.push(
            {
                "callback_query": {
                    "id": f"forged-{data}",
                    "from": fake.user(CITIZEN),
                    "message": fake._public(help_message),
                    "chat_instance": "x",
                    "data": data,
                }
            }
        )
        reply = await last_to(fake, CITIZEN, before)
        assert reply["text"] == helped
    assert await live_version(app) == 1
    assert not [u for u in fake.uploads if u["chat_id"] == CITIZEN]
