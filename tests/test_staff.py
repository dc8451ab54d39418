"""Staff tools through ``dispatch``: roles, uploads with preview, rollback, the inbox, audit.

The authorization matrix: every staff action, tried by a citizen, an editor and an admin, by
command, by (forged) button data and by upload; a citizen reaches none and learns nothing.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.app import App, build_app
from bot.clock import FixedClock
from bot.messages import Document, Incoming, Reply
from bot.pack import load_pack
from bot.pack.xlsx import write_workbook
from bot.settings import load_settings
from db import staff as staff_db
from db.models import AuditRow, ContentVersion
from db.models_notify import BroadcastRow
from db.models_questions import StaffQuestionRow
from handlers import dispatch
from tests.conftest import DEV_PACK

NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
ADMIN, EDITOR, CITIZEN = "1", "2", "3"


@pytest.fixture
async def app(tmp_path: Path, clean_env: dict[str, str]) -> AsyncIterator[App]:
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 's.db'}",
        content_dir=DEV_PACK,
        staff_ids=[f"terminal:{ADMIN}"],
    )
    application = build_app(settings, clock=FixedClock(NOW))
    await application.prepare()
    async with application.sessions.begin() as s:
        await staff_db.set_staff(s, f"terminal:{EDITOR}", "editor", by="test", now=NOW)
    yield application
    await application.close()


def cmd(user: str, name: str, *args: str) -> Incoming:
    return Incoming("terminal", user, user, command=name, args=args)


def press(user: str, data: str) -> Incoming:
    return Incoming("terminal", user, user, button=data)


def text(user: str, value: str) -> Incoming:
    return Incoming("terminal", user, user, text=value)


def upload(user: str, name: str, data: bytes) -> Incoming:
    async def fetch() -> bytes:
        return data

    return Incoming("terminal", user, user, document=Document(name, None, len(data), fetch))


async def versions(app: App) -> int:
    async with app.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(ContentVersion)) or 0)


def workbook(change=None) -> bytes:  # type: ignore[no-untyped-def]
    pack, _ = load_pack(DEV_PACK)
    assert pack is not None
    data = write_workbook(pack)
    if change is None:
        return data
    wb = load_workbook(io.BytesIO(data))
    change(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


async def one(app: App, incoming: Incoming) -> Reply:
    replies = await dispatch(incoming, app)
    assert len(replies) >= 1
    return replies[0]


async def test_upload_with_errors_changes_nothing_and_lists_every_error(app: App) -> None:
    def bad(wb) -> None:  # type: ignore[no-untyped-def]
        wb["Lớp học"]["C2"] = "khong-co"
        wb["Lớp học"]["I3"] = "18:30-25:00"

    reply = await one(app, upload(EDITOR, "noi-dung.xlsx", workbook(bad)))
    assert "2 lỗi" in reply.text
    assert "sheet Lớp học, dòng 2, cột Chủ đề" in reply.text
    assert "sheet Lớp học, dòng 3, cột Giờ học" in reply.text
    assert await versions(app) == 1
    broken = await one(app, upload(EDITOR, "hong.xlsx", b"not a workbook"))
    assert "Không đọc được tệp" in broken.text and await versions(app) == 1


async def test_good_upload_previewed_applied_then_rolled_back(app: App) -> None:
    def better(wb) -> None:  # type: ignore[no-untyped-def]
        wb["Hỏi đáp"]["D2"] = "Mang căn cước đến quầy thủ thư; thẻ miễn phí từ năm 2027."

    preview = await one(app, upload(EDITOR, "moi.xlsx", workbook(better)))
    assert "hỏi đáp: sửa 1 (lam-the-ban-doc)" in preview.text
    assert [b.data for b in preview.flat_buttons] == ["st:ap", "st:cx"]
    assert await versions(app) == 1  # nothing until applied
    applied = await one(app, press(EDITOR, "st:ap"))
    assert "phiên bản 2" in applied.text and applied.edit
    answer = await one(app, text(CITIZEN, "làm thẻ thư viện cần gì"))
    assert "miễn phí từ năm 2027" in answer.text  # live at once

    listing = await one(app, cmd(EDITOR, "phienban"))
    assert "2 (đang dùng)" in listing.text and "terminal:2" in listing.text
    assert "st:rb:1" in [b.data for b in listing.flat_buttons]
    back = await one(app, press(EDITOR, "st:rb:1"))
    assert "Đã khôi phục phiên bản 1" in back.text
    again = await one(app, text(CITIZEN, "làm thẻ thư viện cần gì"))
    assert "miễn phí từ năm 2027" not in again.text
    async with app.sessions() as s:
        actions = (await s.scalars(select(AuditRow.action).order_by(AuditRow.id))).all()
    assert actions.count("content.apply") == 3  # first import, upload, rollback


async def test_cancelled_upload_changes_nothing(app: App) -> None:
    changed = workbook(lambda wb: wb["Hỏi đáp"].cell(2, 4, "Mới."))
    await one(app, upload(EDITOR, "moi.xlsx", changed))
    cancelled = await one(app, press(EDITOR, "st:cx"))
    assert "không có gì thay đổi" in cancelled.text
    stale = await one(app, press(EDITOR, "st:ap"))
    assert "Không còn tệp nào" in stale.text and await versions(app) == 1


async def test_unanswered_question_becomes_an_alternate_and_is_answered(app: App) -> None:
    question = "bên mình có cho thuê phòng họp không ạ"
    for user in ("c1", "c2"):
        await dispatch(text(user, question), app)
    inbox = await dispatch(cmd(EDITOR, "chuatraloi"), app)
    assert "2 lần" in inbox[0].text and question in inbox[0].text
    adds = [b for b in inbox[0].flat_buttons if b.data.startswith("st:alt:0:")]
    assert 1 <= len(adds) <= 3  # the likely FAQs are suggested
    done = await one(app, press(EDITOR, adds[0].data))
    assert "Đã thêm 1 cách hỏi" in done.text
    answer = await one(app, text("c3", question))
    assert answer.feedback_for is not None and answer.feedback_for.startswith("faq:")
    empty = await one(app, cmd(EDITOR, "chuatraloi"))
    assert "Không có câu hỏi nào" in empty.text


async def test_new_faq_written_in_chat(app: App) -> None:
    question = "thư viện tỉnh có chỗ gửi xe máy không"
    await dispatch(text("c1", question), app)
    await dispatch(cmd(EDITOR, "chuatraloi"), app)
    await one(app, press(EDITOR, "st:new:0"))
    done = await one(app, text(EDITOR, "Có, bãi gửi xe miễn phí ở cổng phụ."))
    assert "Đã thêm hỏi đáp" in done.text
    answer = await one(app, text("c2", "thu vien tinh co cho gui xe may ko"))
    assert "bãi gửi xe miễn phí" in answer.text


async def test_ignored_group_leaves_the_inbox(app: App) -> None:
    await dispatch(text("c1", "giá vé xem bóng đá"), app)
    await dispatch(cmd(EDITOR, "chuatraloi"), app)
    await one(app, press(EDITOR, "st:ign:0"))
    assert "Không có câu hỏi nào" in (await one(app, cmd(EDITOR, "chuatraloi"))).text


async def test_admin_manages_staff_and_editor_cannot(app: App) -> None:
    added = await one(app, cmd(ADMIN, "nhanvien", "them", "telegram:77", "editor"))
    assert "Đã thêm telegram:77" in added.text
    listing = await one(app, cmd(ADMIN, "nhanvien"))
    assert "telegram:77 (editor)" in listing.text
    refused = await one(app, cmd(EDITOR, "nhanvien", "them", "telegram:78", "admin"))
    helped = await one(app, cmd(CITIZEN, "help"))
    assert refused.text == helped.text
    bad = await one(app, cmd(ADMIN, "nhanvien", "them", "khong-hop-le"))
    assert "kênh:mã-người-dùng" in bad.text
    removed = await one(app, cmd(ADMIN, "nhanvien", "xoa", "telegram:77"))
    assert "Đã xóa" in removed.text


async def test_export_sends_a_workbook(app: App) -> None:
    reply = await one(app, cmd(EDITOR, "xuat"))
    assert reply.attachment is not None and reply.attachment.file_name.endswith(".xlsx")
    assert "Hỏi đáp" in load_workbook(io.BytesIO(reply.attachment.data)).sheetnames


async def test_statistics_with_chart(app: App) -> None:
    for q in ("xin chào", "thư viện tỉnh mở cửa mấy giờ", "giá vàng hôm nay"):
        await dispatch(text("c1", q), app)
    reply = await one(app, cmd(EDITOR, "thongke"))
    assert "Câu hỏi: 3" in reply.text
    assert reply.attachment is not None and reply.attachment.data.startswith(b"\x89PNG")


STAFF_COMMANDS = [
    "canbo",
    "nhanvien",
    "phienban",
    "xuat",
    "chuatraloi",
    "thongke",
    "huybo",
    "dangky",
    "cauhoi",
]
STAFF_BUTTONS = [
    "st:ap",
    "st:cx",
    "st:rb:1",
    "st:alt:0:0",
    "st:new:0",
    "st:ign:0",
    "sr:l:nuoi-ca-ao",
]
# questions citizens sent to staff (handlers/questions.py): claim, send, cancel, close, reasons,
# save as an alternate or a new FAQ
STAFF_BUTTONS += ["st:q:a:1", "st:q:s:1", "st:q:x:1", "st:q:c:1", "st:q:r:1:0", "st:q:r:1:t"]
STAFF_BUTTONS += ["st:q:f:1:0", "st:q:n:1"]


@pytest.mark.parametrize("name", STAFF_COMMANDS)
async def test_citizen_cannot_use_staff_commands(app: App, name: str) -> None:
    helped = await one(app, cmd(CITIZEN, "help"))
    reply = await one(app, cmd(CITIZEN, name, "them", "terminal:3", "admin"))
    assert reply.text == helped.text and reply.attachment is None
    async with app.sessions() as s:
        assert await staff_db.role_of(s, "terminal", CITIZEN) is None


@pytest.mark.parametrize("data", STAFF_BUTTONS)
async def test_citizen_forged_buttons_do_nothing(app: App, data: str) -> None:
    # An editor has a pending upload and an inbox: a citizen replaying their buttons gets help.
    await one(app, upload(EDITOR, "moi.xlsx", workbook(lambda wb: wb["Hỏi đáp"].cell(2, 4, "X."))))
    # another citizen's question #1 waits for staff, an editor has begun answering it
    await one(app, cmd("c9", "hoicanbo", "thư", "viện", "có", "cho", "mượn", "loa", "không"))
    await one(app, press("c9", "hq:ok"))
    await one(app, press(EDITOR, "st:q:a:1"))
    await one(app, text(EDITOR, "Có ạ."))
    helped = await one(app, cmd(CITIZEN, "help"))
    reply = await one(app, press(CITIZEN, data))
    assert reply.text == helped.text
    assert await versions(app) == 1
    async with app.sessions() as s:
        row = await s.get(StaffQuestionRow, 1)
        answers = await s.scalar(select(func.count()).where(BroadcastRow.kind == "answer"))
    assert row is not None and row.status == "open" and row.claimed_by == f"terminal:{EDITOR}"
    assert answers == 0


async def test_citizen_upload_is_refused_and_changes_nothing(app: App) -> None:
    reply = await one(app, upload(CITIZEN, "noi-dung.xlsx", workbook()))
    assert "chỉ đọc được tin nhắn chữ" in reply.text and await versions(app) == 1


@pytest.mark.parametrize(
    ("user", "name", "allowed"),
    [
        (u, n, u == ADMIN or (u == EDITOR and n != "nhanvien"))
        for u in (ADMIN, EDITOR)
        for n in STAFF_COMMANDS
    ],
)
async def test_staff_matrix_by_role(app: App, user: str, name: str, allowed: bool) -> None:
    helped = await one(app, cmd(CITIZEN, "help"))
    reply = await one(app, cmd(user, name))
    if allowed:
        assert reply.text != helped.text
    else:
        assert reply.text == helped.text or "Chỉ quản trị viên" in reply.text


@pytest.mark.parametrize(
    "key",
    ["foo:bar", "telegram:abc", "telegram:", "zalo:123", "telegram:-100123", "x:1", "a:b:c"],
)
async def test_staff_key_that_no_channel_could_send_is_refused_politely(
    app: App, key: str
) -> None:
    refused = await one(app, cmd(ADMIN, "nhanvien", "them", key))
    assert "ví dụ telegram:123456" in refused.text and "Đã thêm" not in refused.text
    async with app.sessions() as s:
        assert [r.user_id for r in await staff_db.list_staff(s)] == [EDITOR]


async def test_staff_keys_keep_the_case_of_their_id(app: App) -> None:
    added = await one(app, cmd(ADMIN, "nhanvien", "THEM", "Zalo_Bot:AbC123", "ADMIN"))
    assert "Đã thêm zalo_bot:AbC123 với vai trò admin" in added.text
    async with app.sessions() as s:
        assert await staff_db.role_of(s, "zalo_bot", "AbC123") == "admin"


async def test_control_characters_never_break_the_export(app: App) -> None:
    """Issue 12: a question with control characters adopted as a wording broke /xuat."""
    from db import content as content_db

    question = "bên mình\x07 có cho thuê\x00 phòng họp\x1b không ạ\x7f"
    await dispatch(text("c1", question), app)
    inbox = await dispatch(cmd(EDITOR, "chuatraloi"), app)
    add = next(b.data for b in inbox[0].flat_buttons if b.data.startswith("st:alt:0:"))
    assert "Đã thêm 1 cách hỏi" in (await one(app, press(EDITOR, add))).text
    assert app.live is not None
    adopted = [a for f in app.live.pack.faq for a in f.alternates if "phòng họp" in a]
    assert adopted == ["bên mình có cho thuê phòng họp không ạ"]

    # content that got a control character in before the fix still exports
    pack = app.live.pack
    first = pack.faq[0].model_copy(update={"alternates": ["giờ\x0b mở\x08 cửa"]})
    async with app.sessions.begin() as s:
        await content_db.apply_pack(
            s, pack.model_copy(update={"faq": [first, *pack.faq[1:]]}), now=NOW
        )
    await app.refresh(force=True)
    reply = await one(app, cmd(EDITOR, "xuat"))
    assert reply.attachment is not None
    book = load_workbook(io.BytesIO(reply.attachment.data))
    cells = [str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value]
    assert any("giờ mở cửa" in c for c in cells)
    assert any("cho thuê phòng họp" in c for c in cells)
