"""Staff tools in the chat: the shared part (help, ``/huybo``, the command table, the staff
button table, staff dialogs' typed text). The features live beside it: roles
(:mod:`handlers.staff_roles`), content versions and uploads (:mod:`handlers.staff_content`),
the unanswered inbox (:mod:`handlers.staff_inbox`), statistics (:mod:`handlers.staff_stats`),
announcements (:mod:`handlers.announce`) and questions to staff (:mod:`handlers.questions`).

Every action checks the sender's role, on the server, whatever way it arrived (command,
button data, upload). A citizen who reaches any of it gets the ordinary help, no hint.
Button data of staff actions starts with ``st:``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.messages import Reply
from db import staff as staff_db
from handlers import announce, questions, staff_content, staff_inbox, upload_apply
from handlers.context import Ctx
from handlers.staff_content import upload
from handlers.staff_roles import StaffHandler, actor, allowed, staff_members
from handlers.staff_stats import statistics

__all__ = ["COMMANDS", "StaffHandler", "actor", "allowed", "button", "dialog_text", "upload"]


async def staff_help(ctx: Ctx) -> list[Reply]:
    """/canbo: what staff can do."""
    lines = [
        "Công cụ cho cán bộ:",
        "• Gửi tệp Excel (.xlsx) hoặc .zip bộ nội dung để cập nhật (xem trước rồi mới áp dụng)",
        "• /xuat: tải nội dung hiện tại dạng Excel",
        "• /phienban: các phiên bản nội dung, khôi phục",
        "• /chuatraloi: câu hỏi bot chưa trả lời được",
        "• /cauhoi: câu hỏi người dân gửi cán bộ, trả lời ngay trong chat",
        "• /thongke: thống kê 30 ngày, kèm biểu đồ; /dangky: người đăng ký các lớp, danh sách",
        "• /thongbaomoi: soạn và lên lịch một thông báo; /guitin: tiến độ gửi, hủy",
        "• /huybo: hủy thao tác đang dở",
    ]
    if ctx.role == "admin":
        lines.append("• /nhanvien: quản lý cán bộ (chỉ quản trị)")
    return [Reply("\n".join(lines))]


async def cancel(ctx: Ctx) -> list[Reply]:
    """/huybo: drop any unfinished staff dialog."""
    await staff_db.drop_dialogs(ctx.session, ctx.incoming.channel, ctx.incoming.user_id)
    return [Reply("Đã hủy thao tác đang dở.")]


COMMANDS: dict[str, tuple[str, StaffHandler]] = {
    # command: (least role, handler)
    "canbo": ("editor", staff_help),
    "nhanvien": ("admin", staff_members),
    "phienban": ("editor", staff_content.versions),
    "xuat": ("editor", staff_content.export),
    "chuatraloi": ("editor", staff_inbox.inbox),
    "cauhoi": ("editor", questions.open_list),
    "thongke": ("editor", statistics),
    "thongbaomoi": ("editor", announce.start),
    "guitin": ("editor", announce.progress),
    "huybo": ("editor", cancel),
}

StaffAction = Callable[[Ctx, list[str]], Awaitable[list[Reply]]]


def _stale() -> list[Reply]:
    return [Reply("Nút này không còn dùng được.")]


def _numbers(args: list[str]) -> list[int]:
    return [int(a) for a in args if a.isdecimal()]


async def _apply(ctx: Ctx, args: list[str]) -> list[Reply]:
    return await upload_apply.apply_upload(ctx)


async def _cancel_upload(ctx: Ctx, args: list[str]) -> list[Reply]:
    return await staff_content.cancel_upload(ctx)


async def _rollback(ctx: Ctx, args: list[str]) -> list[Reply]:
    numbers = _numbers(args)
    return await staff_content.rollback(ctx, numbers[0]) if numbers else _stale()


async def _add_alternate(ctx: Ctx, args: list[str]) -> list[Reply]:
    numbers = _numbers(args)
    if len(numbers) != 2:
        return _stale()
    return await staff_inbox.add_alternate(ctx, numbers[0], numbers[1])


async def _new_faq(ctx: Ctx, args: list[str]) -> list[Reply]:
    numbers = _numbers(args)
    return await staff_inbox.start_new_faq(ctx, numbers[0]) if numbers else _stale()


async def _ignore(ctx: Ctx, args: list[str]) -> list[Reply]:
    numbers = _numbers(args)
    return await staff_inbox.ignore(ctx, numbers[0]) if numbers else _stale()


# What a pressed ``st:<action>:<args…>`` button does, by readable action name.
ACTIONS: dict[str, StaffAction] = {
    "announce": announce.button,  # the announcement being written, /guitin's cancel
    "question": questions.button,  # a citizen's question to staff
    "apply": _apply,  # the previewed upload
    "cancel": _cancel_upload,  # the previewed upload
    "rollback": _rollback,  # /phienban
    "add_alternate": _add_alternate,  # /chuatraloi
    "new_faq": _new_faq,  # /chuatraloi
    "ignore": _ignore,  # /chuatraloi
}
# On the wire the actions keep their short codes: button data is at most 64 bytes, and buttons
# already sent sit under messages in people's chats (unchanged data keeps them working).
ACTION_CODES: dict[str, str] = {
    "an": "announce",
    "q": "question",
    "ap": "apply",
    "cx": "cancel",
    "rb": "rollback",
    "alt": "add_alternate",
    "new": "new_faq",
    "ign": "ignore",
}


async def button(ctx: Ctx, data: str) -> list[Reply] | None:
    """A pressed ``st:`` button; None when the sender may not press it (the caller shows help)."""
    if not allowed(ctx.role, "editor"):
        return None
    parts = data.split(":")[1:]
    code, args = parts[0] if parts else "", parts[1:]
    action = ACTIONS.get(ACTION_CODES.get(code, ""))
    return await action(ctx, args) if action is not None else _stale()


async def dialog_text(ctx: Ctx, text: str) -> list[Reply] | None:
    """Typed text that continues a staff dialog, or None when there is none."""
    for continues in (questions.dialog_text, announce.dialog_text, staff_inbox.dialog_text):
        replies = await continues(ctx, text)
        if replies is not None:
            return replies
    return None
