"""Staff roles in the chat: who may do what (checked here, on the server, whatever way an action
arrived), the actor named in the audit, and ``/nhanvien`` (admins manage staff)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.messages import Reply
from db import staff as staff_db
from handlers.context import Ctx

StaffHandler = Callable[[Ctx], Awaitable[list[Reply]]]


def actor(ctx: Ctx) -> str:
    return ctx.incoming.user_key


def allowed(role: str | None, least: str) -> bool:
    """Whether ``role`` may do what needs ``least``."""
    return role == "admin" or (role == "editor" and least == "editor")


async def staff_members(ctx: Ctx) -> list[Reply]:
    """/nhanvien [them KÊNH:MÃ admin|editor | xoa KÊNH:MÃ] (admins only)."""
    if ctx.role != "admin":
        return [Reply("Chỉ quản trị viên được quản lý cán bộ.")]
    args = list(ctx.incoming.args)  # ids keep their case (Zalo's may have letters)
    if args:
        args[0] = args[0].lower()
    try:
        if len(args) >= 2 and args[0] in ("them", "thêm", "add"):
            role = args[2].lower() if len(args) > 2 else "editor"
            row = await staff_db.set_staff(ctx.session, args[1], role, by=actor(ctx), now=ctx.now)
            return [Reply(f"Đã thêm {row.channel}:{row.user_id} với vai trò {role}.")]
        if len(args) >= 2 and args[0] in ("xoa", "xóa", "remove"):
            if args[1] == actor(ctx):
                return [Reply("Bạn không thể tự xóa mình.")]
            removed = await staff_db.remove_staff(ctx.session, args[1], by=actor(ctx), now=ctx.now)
            return [Reply(f"Đã xóa {args[1]}." if removed else f"{args[1]} không phải cán bộ.")]
    except ValueError as exc:
        return [Reply(str(exc))]
    rows = await staff_db.list_staff(ctx.session)
    lines = ["Cán bộ:"] + [f"• {r.channel}:{r.user_id} ({r.role})" for r in rows]
    lines += [
        "",
        "Thêm: /nhanvien them telegram:123456 editor (hoặc admin)",
        "Xóa: /nhanvien xoa telegram:123456",
    ]
    return [Reply("\n".join(lines))]
