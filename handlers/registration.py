"""Signing up for a class in the chat: consent, name, phone, a seat or the waiting list.

The steps live in a ``reg`` dialog row (any instance takes the next message): a press of
"📝 Đăng ký" (``rg:<course>``) or a typed "đăng ký lớp nuôi cá" shows one consent line; "Đồng ý"
(``rgy``) asks the name, then the phone (Telegram's share-contact button, typed elsewhere),
checked as a Vietnamese number. The sign-up itself is :func:`db.registrations.register`; a seat
switches the class reminder on. "đăng ký của tôi" lists one's sign-ups, ``rgx:<id>`` cancels
one (before the class starts) and the first person waiting gets the seat and is told.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Callable

from bot.messages import Button, Reply, short_label
from bot.notify.reminders import add_reminder
from bot.notify.subscriptions import log_consent
from bot.pack.models import Course
from bot.wording import slugify
from db import registrations as reg_db
from db import staff as staff_db
from handlers import my_registrations
from handlers.context import Ctx
from handlers.dialogs import SignUp
from handlers.registration_rules import (
    clean_name,
    closed_text,
    closed_why,
    confirmation,
    course_button,
    phone_of,
    status_text,
)

DIALOG = "reg"
PURPOSE = "đăng ký lớp học (họ tên, số điện thoại)"
SHARE_PHONE = "📱 Gửi số điện thoại của tôi"
# Typed where a name is expected, what the engine answers this surely is a question.
ANSWERED = {"faq", "course", "courses", "center", "library_hours", "mobile_stops"}
QUESTION_SCORE = 0.8


# --- the steps -----------------------------------------------------------------------------


async def start(ctx: Ctx, course: Course) -> list[Reply]:
    """Check the class takes sign-ups and the person is not on it yet, then ask consent."""
    why = closed_why(course, ctx.now)
    if why is not None:
        return [Reply(closed_text(ctx, course, why))]
    existing = await reg_db.active_of(ctx.session, course.id, ctx.user.id)
    if existing is not None:
        position = await reg_db.position(ctx.session, existing)
        text = "Bạn đã đăng ký rồi, không cần đăng ký lại. " + status_text(
            course, existing, position
        )
        return [Reply(text + "\nGõ «đăng ký của tôi» để xem hoặc hủy.")]
    await _put(ctx, SignUp(course=course.id, step="consent"))
    days = ctx.app.settings.registration_retention_days
    lines = [f"📝 Đăng ký lớp «{course.title}»."]
    if course.capacity is not None:
        taken = await reg_db.confirmed_count(ctx.session, course.id)
        if taken >= course.capacity:
            lines.append(
                f"Lớp đã đủ {course.capacity} chỗ. Bạn vẫn có thể ghi tên vào danh sách chờ: "
                "khi có người hủy, trợ lý báo ngay cho bạn."
            )
    lines.append(
        "Để ghi tên, trợ lý lưu họ tên và số điện thoại của bạn, chỉ để trung tâm liên hệ về "
        f"lớp này; dữ liệu tự xóa {days} ngày sau khi lớp kết thúc, hoặc ngay khi bạn gõ "
        "/xoadulieu. Bạn có đồng ý không?"
    )
    buttons = ((Button("✅ Đồng ý", "rgy"), Button("Thôi", "rgn")),)
    return [Reply("\n".join(lines), buttons=buttons)]


async def _dialog_course(ctx: Ctx) -> tuple[SignUp, Course | None] | None:
    """The open sign-up (its data and class); one left quiet too long is forgotten. Only
    someone whose row says a sign-up is open costs a look-up."""
    since = ctx.user.signup_at
    if since is None:
        return None
    if ctx.now - since > ctx.app.settings.conversation_quiet:
        await _drop(ctx)
        return None
    dialog = await staff_db.get_dialog(
        ctx.session, ctx.incoming.channel, ctx.incoming.user_id, DIALOG
    )
    if dialog is None:
        await _drop(ctx)
        return None
    data = SignUp.from_data(dialog.data)
    return data, ctx.pack.course(data.course)


async def _put(ctx: Ctx, data: SignUp) -> None:
    channel, user_id = ctx.incoming.channel, ctx.incoming.user_id
    await staff_db.put_dialog(ctx.session, channel, user_id, DIALOG, data.to_data(), now=ctx.now)
    ctx.user.signup_at = ctx.now


async def _drop(ctx: Ctx) -> None:
    await staff_db.drop_dialogs(ctx.session, ctx.incoming.channel, ctx.incoming.user_id, DIALOG)
    if ctx.user.signup_at is not None:
        ctx.user.signup_at = None


def _ask_phone(ctx: Ctx) -> Reply:
    if ctx.incoming.channel == "telegram":
        text = (
            "Bấm nút «📱 Gửi số điện thoại của tôi» bên dưới, hoặc gõ số điện thoại "
            "(ví dụ 0912 345 678)."
        )
        return Reply(text, ask_contact=SHARE_PHONE)
    return Reply("Xin gõ số điện thoại để trung tâm liên hệ (ví dụ 0912 345 678).")


async def consent(ctx: Ctx, agreed: bool) -> list[Reply]:
    """``rgy`` / ``rgn``: go on to the name, or stop with nothing kept."""
    found = await _dialog_course(ctx)
    if found is None or found[1] is None:
        await _drop(ctx)
        text = "Yêu cầu đăng ký này đã hết hạn. Bạn bấm «📝 Đăng ký» dưới lớp học để bắt đầu lại."
        return [Reply(text)]
    data, course = found
    assert course is not None
    if not agreed:
        await _drop(ctx)
        return [Reply("Đã hủy, trợ lý không lưu gì cả.", edit=True)]
    await log_consent(
        ctx.session,
        user_pk=ctx.user.id,
        action="grant",
        purpose=PURPOSE,
        now=ctx.now,
        detail=f"course:{course.id}",
        via=ctx.incoming.channel,
    )
    await _put(ctx, dataclasses.replace(data, step="name"))
    return [Reply("Xin cho biết họ và tên người học (ví dụ: Nguyễn Thị Lan).")]


async def dialog_text(ctx: Ctx, text: str) -> list[Reply] | None:
    """Typed text that continues a sign-up (a name, then a phone); None when none is open."""
    found = await _dialog_course(ctx)
    if found is None:
        return None
    data, course = found
    if course is None:
        await _drop(ctx)
        return [Reply("Lớp này không còn trong danh sách, nên trợ lý đã dừng việc đăng ký.")]
    if data.step != "consent":
        if text.lower().strip(" .!") in ("thôi", "hủy", "huy", "thoi", "dừng", "dung"):
            await _drop(ctx)
            return [Reply("Đã dừng đăng ký, trợ lý không lưu gì cả.", remove_keyboard=True)]
        if text.strip().endswith("?") or _NOT_A_NAME.search(slugify(text)):
            await _drop(ctx)  # a question instead of a name: answered as a question
            return None
    return await TYPED_STEPS.get(data.step, _typed_phone)(ctx, data, text)


async def _typed_at_consent(ctx: Ctx, data: SignUp, text: str) -> list[Reply] | None:
    return [Reply("Bạn bấm «✅ Đồng ý» để tiếp tục đăng ký, hoặc «Thôi» để dừng.")]


async def _typed_name(ctx: Ctx, data: SignUp, text: str) -> list[Reply] | None:
    answer = ctx.live.engine.ask(text, ctx.now, None)
    if answer.kind in ANSWERED and answer.score >= QUESTION_SCORE:
        await _drop(ctx)  # 'giờ mở cửa thư viện' is a question, not a name
        return None
    name = clean_name(text)
    if name is None:
        return [
            Reply(
                "Tên này chưa đúng: xin gõ họ và tên bằng chữ (không có chữ số), ví dụ "
                "Nguyễn Thị Lan."
            )
        ]
    await _put(ctx, dataclasses.replace(data, step="phone", name=name))
    return [_ask_phone(ctx)]


async def _typed_phone(ctx: Ctx, data: SignUp, text: str) -> list[Reply] | None:
    return await phone(ctx, text)


# What typed text does at each step of a sign-up: {step: handler} (any other step: the phone).
TYPED_STEPS: dict[str, Callable[[Ctx, SignUp, str], Awaitable[list[Reply] | None]]] = {
    "consent": _typed_at_consent,
    "name": _typed_name,
    "phone": _typed_phone,
}


async def phone(ctx: Ctx, typed: str) -> list[Reply]:
    """The phone (typed or shared): checked, then the sign-up is made."""
    found = await _dialog_course(ctx)
    if found is None:
        text = "Cảm ơn bạn. Trợ lý chỉ dùng số điện thoại khi bạn đăng ký một lớp học."
        return [Reply(text, remove_keyboard=True)]
    data, course = found
    if data.step != "phone":
        return [Reply("Xin gõ họ và tên người học trước, rồi mới đến số điện thoại.")]
    number = phone_of(typed)
    if number is None:
        reply = _ask_phone(ctx)
        head = "Số điện thoại này chưa đúng: số Việt Nam có 10 chữ số, ví dụ 0912 345 678."
        return [Reply(f"{head}\n{reply.text}", ask_contact=reply.ask_contact)]
    if course is None:
        await _drop(ctx)
        return [Reply("Lớp này không còn trong danh sách.", remove_keyboard=True)]
    why = closed_why(course, ctx.now)
    if why is not None:
        await _drop(ctx)
        return [Reply(closed_text(ctx, course, why), remove_keyboard=True)]
    outcome = await reg_db.register(
        ctx.session,
        course_id=course.id,
        capacity=course.capacity,
        class_end=course.end_date,
        user_pk=ctx.user.id,
        name=data.name or "",
        phone=number,
        now=ctx.now,
    )
    await _drop(ctx)
    if outcome.status == "already":
        text = "Bạn đã đăng ký rồi. " + status_text(course, outcome.row, outcome.position)
        return [Reply(text, remove_keyboard=True)]
    if outcome.status == "waiting":
        text = (
            f"📝 Lớp «{course.title}» đã đủ chỗ. Bạn đã vào danh sách chờ, vị trí số "
            f"{outcome.position}. Khi có người hủy, trợ lý sẽ báo ngay cho bạn.\n"
            "Gõ «đăng ký của tôi» để xem hoặc hủy."
        )
        return [Reply(text, remove_keyboard=True)]
    await add_reminder(
        ctx.session,
        user_pk=ctx.user.id,
        ref=f"course:{course.id}",
        pack=ctx.pack,
        now=ctx.now,
        via=ctx.incoming.channel,
    )
    return [Reply(confirmation(ctx, course, outcome.row), remove_keyboard=True)]


# --- a sign-up typed as text ------------------------------------------------------------

# "đăng ký lớp nuôi cá", "cho tôi ghi tên lớp tin học", "em muốn đăng ký học lớp may"
_SIGN_UP = re.compile(
    r"^((cho|xin)-(toi|em|minh|chau)-|(toi|em|minh)-(muon|xin)-|muon-)?"
    r"(dang-ky|ghi-ten|ghi-danh)-(hoc-|tham-gia-|cho-(toi|em|minh)-)?(lop|khoa)-(?P<rest>.+)$"
)
_NOT_A_NAME = re.compile(r"\b(o-dau|the-nao|bao-gio|khi-nao|bao-nhieu|nhu-nao|co-khong)\b")
_QUESTION = re.compile(r"\b(o-dau|the-nao|bao-gio|khi-nao|nhu-nao|khong|chua|gi|sao)$")


def sign_up_subject(text: str) -> str | None:
    """What class a typed 'đăng ký lớp X' asks to sign up for (None: not that kind of text)."""
    slug = slugify(text)
    found = _SIGN_UP.match(slug)
    if found is None or text.strip().endswith("?") or _QUESTION.search(slug):
        return None
    return text


async def typed_sign_up(ctx: Ctx, text: str) -> list[Reply] | None:
    """'đăng ký lớp nuôi cá': the engine finds the class; one → consent, several → choose."""
    if sign_up_subject(text) is None:
        return None
    words = text.split()
    first = next((i for i, w in enumerate(words) if slugify(w) in ("lop", "khoa")), 0)
    answer = ctx.live.engine.ask(" ".join(words[first:]), ctx.now, None)
    ids = [i for i in dict.fromkeys(answer.ids) if ctx.pack.course(i)]
    if answer.kind not in ("course", "courses") or not ids:
        ids = [c.ref.split(":", 1)[1] for c in answer.choices if c.ref.startswith("course:")]
    courses = [c for c in (ctx.pack.course(i) for i in ids) if c is not None]
    # Of a topic's list, the one class whose title has every word typed ('lớp nuôi cá').
    asked = set(slugify(" ".join(words[first + 1 :])).split("-")) - {"hoc", ""}
    named = [
        c
        for c in courses
        if asked and asked <= set(slugify(" ".join([c.title, *c.keywords])).split("-"))
    ]
    courses = named if len(named) == 1 else courses
    if len(courses) == 1:
        return await start(ctx, courses[0])
    open_ = [c for c in courses if closed_why(c, ctx.now) is None]
    if not open_:
        return None  # nothing to sign up for: the ordinary answer says what there is
    rows = tuple((Button(short_label(f"📝 {c.title}"), course_button(c.id)),) for c in open_[:6])
    return [Reply("Bạn muốn đăng ký lớp nào?", buttons=rows)]


async def on_button(ctx: Ctx, data: str) -> list[Reply]:
    """Route ``rg:``/``rG:``, ``rgy``, ``rgn`` and ``rgx:`` presses."""
    head, _, rest = data.partition(":")
    if head in ("rg", "rG"):
        course = ctx.pack.course(rest)  # old hashed data (rG:) whose class is gone: none
        if course is None:
            return [Reply("Lớp này không còn trong danh sách.")]
        return await start(ctx, course)
    if head in ("rgy", "rgn"):
        return await consent(ctx, head == "rgy")
    if head == "rgx" and rest.isdecimal():
        return await my_registrations.cancel(ctx, int(rest))
    return [Reply("Nút này không còn dùng được.")]
