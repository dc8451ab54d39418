"""One's own sign-ups: listed by "đăng ký của tôi", cancelled with one tap (``rgx:<id>``)
before the class starts; a freed seat goes to the first person waiting, who is told."""

from __future__ import annotations

import datetime as dt
import re

from bot.messages import Button, Reply, short_label
from bot.notify.outbox import create_broadcast
from bot.notify.reminders import add_reminder
from bot.pack.models import Course
from bot.wording import slugify
from db import registrations as reg_db
from db import reminders as reminders_db
from db import users as users_db
from db.models_registrations import RegistrationRow
from handlers.context import Ctx
from handlers.registration_rules import confirmation, starts_at

# "đăng ký của tôi", "hủy đăng ký", "xem đăng ký lớp" (as slug words)
_MINE = re.compile(r"\bdang-ky-cua-(toi|minh|em|tui)\b|^(huy|xem)-(cac-)?dang-ky(-lop.*)?$")


def asks_for_my_sign_ups(text: str) -> bool:
    return bool(_MINE.search(slugify(text)))


async def my_sign_ups(ctx: Ctx) -> list[Reply]:
    """The person's sign-ups, each with a one-tap cancel."""
    rows = await reg_db.of_user(ctx.session, ctx.user.id)
    if not rows:
        return [Reply("Bạn chưa đăng ký lớp nào. Bấm «📝 Đăng ký» dưới một lớp học để ghi tên.")]
    lines = ["📝 Các lớp bạn đã đăng ký (bấm để hủy):"]
    buttons: list[tuple[Button, ...]] = []
    for row in rows:
        course = ctx.pack.course(row.course_id)
        title = course.title if course else row.course_id
        where = (
            "đã có chỗ"
            if row.status == "confirmed"
            else (f"danh sách chờ, vị trí {await reg_db.position(ctx.session, row)}")
        )
        lines.append(f"• «{title}» — {row.name}, {where}")
        buttons.append((Button(short_label(f"❌ Hủy: {title}", 40), f"rgx:{row.id}"),))
    return [Reply("\n".join(lines), buttons=tuple(buttons))]


async def tell_promoted(ctx: Ctx, course: Course, row: RegistrationRow) -> None:
    """The first person waiting got a seat: switch their reminder on and tell them."""
    await add_reminder(
        ctx.session,
        user_pk=row.user_pk,
        ref=f"course:{course.id}",
        pack=ctx.pack,
        now=ctx.now,
        via="registration",
    )
    user = await users_db.by_pk(ctx.session, row.user_pk)
    if user is None:
        return
    text = f"🎉 Đã có chỗ cho bạn trong lớp «{course.title}» (có người vừa hủy).\n" + confirmation(
        ctx, course, row
    )
    await create_broadcast(
        ctx.session,
        source=f"registration:promoted:{row.id}",
        kind="registration",
        title=course.title,
        text=text,
        recipients=[(user.id, user.channel, user.chat_id)],
        due_at=ctx.now,
        now=ctx.now,
    )


async def cancel_reminders(ctx: Ctx, user_pk: int, course_id: str) -> None:
    """A cancelled sign-up takes the class reminder with it."""
    await reminders_db.cancel_for(
        ctx.session, user_pk, f"course:{course_id}", reason="registration cancelled"
    )


async def cancel(ctx: Ctx, registration_id: int) -> list[Reply]:
    """``rgx:<id>``: cancel one's own sign-up before the class starts."""
    row = await ctx.session.get(RegistrationRow, registration_id)
    if row is None or row.user_pk != ctx.user.id or row.status not in reg_db.ACTIVE:
        return [Reply("Đăng ký này không còn (có thể đã được hủy trước đó).")]
    course = ctx.pack.course(row.course_id)
    if course is not None and ctx.now >= starts_at(course, ctx.now.tzinfo or dt.UTC):
        return [
            Reply(
                f"Lớp «{course.title}» đã bắt đầu nên không hủy qua trợ lý được. "
                f"Bạn báo trực tiếp giúp: {course.registration or ctx.pack.info.contact}."
            )
        ]
    cancelled, promoted = await reg_db.cancel(
        ctx.session,
        registration_id=registration_id,
        capacity=course.capacity if course else None,
        now=ctx.now,
        reason="cancelled by the person",
        user_pk=ctx.user.id,
    )
    if cancelled is None:
        return [Reply("Đăng ký này không còn (có thể đã được hủy trước đó).")]
    await cancel_reminders(ctx, ctx.user.id, cancelled.course_id)
    if promoted is not None and course is not None:
        await tell_promoted(ctx, course, promoted)
    title = course.title if course else cancelled.course_id
    return [Reply(f"Đã hủy đăng ký lớp «{title}».", notice="Đã hủy đăng ký")]


async def release_all(ctx: Ctx) -> None:
    """Before the person's data is erased: their seats in classes not yet started go to the
    people waiting (who are told); the sign-ups themselves are then erased with the rest."""
    for row in await reg_db.of_user(ctx.session, ctx.user.id):
        course = ctx.pack.course(row.course_id)
        if course is None or ctx.now >= starts_at(course, ctx.now.tzinfo or dt.UTC):
            continue
        _, promoted = await reg_db.cancel(
            ctx.session,
            registration_id=row.id,
            capacity=course.capacity,
            now=ctx.now,
            reason="data erased",
            user_pk=ctx.user.id,
        )
        if promoted is not None:
            await tell_promoted(ctx, course, promoted)
