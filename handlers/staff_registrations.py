"""Class sign-ups, the staff side: ``/dangky``, a class's roster (chat and spreadsheet),
cancelling a person's sign-up, and demand in ``/thongke``.

Every action checks the role here, whatever way it arrived; a citizen gets the ordinary help.
Button data: ``sr:l:<course>`` roster, ``sr:x:<course>`` spreadsheet, ``sr:c:<id>`` cancel
(asks first), ``sr:cy:<id>`` cancel confirmed. Data too long for 64 bytes travels as an ``h:``
digest (older data hashed the id: ``sr:L:``/``sr:X:``, resolved alike).
"""

from __future__ import annotations

from bot import registrations as views
from bot.messages import Attachment, Button, Reply, short_label
from bot.notify.outbox import create_broadcast
from bot.pack.models import Course
from db import registrations as reg_db
from db import staff as staff_db
from db import users as users_db
from db.models_registrations import RegistrationRow
from handlers import my_registrations
from handlers.context import Ctx, short_data
from handlers.registration_rules import shown_phone
from handlers.staff_roles import StaffHandler, actor, allowed
from handlers.staff_stats import statistics as general_statistics


def _course_data(code: str, course_id: str) -> str:
    return short_data(f"sr:{code}:{course_id}")


def phones(rows: list[RegistrationRow]) -> dict[int, str]:
    return {r.id: shown_phone(r.phone) for r in rows}


async def overview(ctx: Ctx) -> list[Reply]:
    """/dangky: every class with sign-ups or seats: registered / capacity / waiting."""
    counts = await reg_db.counts(ctx.session)
    courses = views.listed_courses(ctx.pack, counts, ctx.now.date())
    if not courses:
        return [Reply("Chưa có lớp nào nhận đăng ký qua trợ lý.")]
    lines = ["📝 Đăng ký lớp học qua trợ lý (bấm một lớp để xem danh sách):"]
    lines += views.overview_lines(ctx.pack, counts, ctx.now.date())
    buttons = tuple(
        (Button(short_label(f"📋 {c.title}"), _course_data("l", c.id)),) for c in courses[:20]
    )
    return [Reply("\n".join(lines), buttons=buttons)]


async def roster(ctx: Ctx, course: Course) -> list[Reply]:
    """A class's roster in the chat, with the spreadsheet and a cancel button per person."""
    rows = await reg_db.roster(ctx.session, course.id)
    text = views.roster_text(course, rows, phones(rows))
    buttons: list[tuple[Button, ...]] = [(Button("📥 Tải Excel", _course_data("x", course.id)),)]
    buttons += [(Button(short_label(f"❌ Hủy: {r.name}", 40), f"sr:c:{r.id}"),) for r in rows[:30]]
    return [Reply(text, buttons=tuple(buttons))]


async def spreadsheet(ctx: Ctx, course: Course) -> list[Reply]:
    rows = await reg_db.roster(ctx.session, course.id)
    data = views.roster_workbook(course, rows, phones(rows), ctx.app.tz)
    await staff_db.audit(
        ctx.session,
        actor=actor(ctx),
        action="registrations.export",
        detail={"course": course.id, "rows": len(rows)},
        now=ctx.now,
    )
    attachment = Attachment(f"dang-ky-{course.id}.xlsx", data)
    return [
        Reply(
            f"📥 Danh sách đăng ký lớp «{course.title}» ({len(rows)} người).",
            attachment=attachment,
        )
    ]


async def cancel(ctx: Ctx, registration_id: int, *, confirmed: bool) -> list[Reply]:
    """Staff cancel one person's sign-up; the person is told, the first waiting moves up."""
    row = await ctx.session.get(RegistrationRow, registration_id)
    if row is None or row.status not in reg_db.ACTIVE:
        return [Reply("Đăng ký này không còn.")]
    course = ctx.pack.course(row.course_id)
    title = course.title if course else row.course_id
    if not confirmed:
        text = f"Hủy đăng ký của {row.name} ở lớp «{title}»? Người đó sẽ được báo."
        buttons = ((Button("Hủy đăng ký", f"sr:cy:{row.id}"), Button("Thôi", "sr:n")),)
        return [Reply(text, buttons=buttons)]
    cancelled, promoted = await reg_db.cancel(
        ctx.session,
        registration_id=registration_id,
        capacity=course.capacity if course else None,
        now=ctx.now,
        reason="cancelled by staff",
    )
    if cancelled is None:
        return [Reply("Đăng ký này không còn.")]
    await my_registrations.cancel_reminders(ctx, cancelled.user_pk, cancelled.course_id)
    user = await users_db.by_pk(ctx.session, cancelled.user_pk)
    if user is not None:
        text = (
            f"Đăng ký lớp «{title}» của bạn đã được trung tâm hủy. Nếu có nhầm lẫn, xin liên hệ: "
            f"{(course.registration if course else None) or ctx.pack.info.contact}."
        )
        await create_broadcast(
            ctx.session,
            source=f"registration:cancelled:{cancelled.id}",
            kind="registration",
            title=title,
            text=text,
            recipients=[(user.id, user.channel, user.chat_id)],
            due_at=ctx.now,
            now=ctx.now,
        )
    if promoted is not None and course is not None:
        await my_registrations.tell_promoted(ctx, course, promoted)
    await staff_db.audit(
        ctx.session,
        actor=actor(ctx),
        action="registrations.cancel",
        detail={"course": cancelled.course_id, "registration": cancelled.id},
        now=ctx.now,
    )
    return [Reply(f"Đã hủy đăng ký của {cancelled.name} ở lớp «{title}»; người đó sẽ được báo.")]


async def button(ctx: Ctx, data: str) -> list[Reply] | None:
    """A pressed ``sr:`` button; None when the sender is not staff (the caller shows help)."""
    if not allowed(ctx.role, "editor"):
        return None
    _, code, value = [*data.split(":", 2), "", ""][:3]
    if code in ("l", "L", "x", "X"):
        course = ctx.pack.course(value)  # old hashed data (sr:L:) whose class is gone: none
        if course is None:
            return [Reply("Lớp này không còn trong nội dung.")]
        return await (roster(ctx, course) if code in "lL" else spreadsheet(ctx, course))
    if code in ("c", "cy") and value.isdecimal():
        return await cancel(ctx, int(value), confirmed=code == "cy")
    if code == "n":
        return [Reply("Đã thôi, không thay đổi gì.", edit=True)]
    return [Reply("Nút này không còn dùng được.")]


async def statistics(ctx: Ctx) -> list[Reply]:
    """/thongke: the 30-day figures, then sign-ups and demand for classes not offered."""
    replies = await general_statistics(ctx)
    counts = await reg_db.counts(ctx.session)
    demand = await reg_db.demand_counts(ctx.session)
    lines = []
    if counts:
        confirmed = sum(c for c, _ in counts.values())
        waiting = sum(w for _, w in counts.values())
        lines.append(
            f"📝 Đăng ký qua trợ lý: {confirmed} người có chỗ, {waiting} người chờ (/dangky)."
        )
    if demand:
        lines.append("🙋 Người dân chờ mở lớp (Báo tôi khi có lớp):")
        lines += views.demand_lines(ctx.pack, demand)
    if lines:
        replies.append(Reply("\n".join(lines)))
    return replies


COMMANDS: dict[str, tuple[str, StaffHandler]] = {
    "dangky": ("editor", overview),
    "thongke": ("editor", statistics),
}
