"""The rules of signing up for a class, shared by the citizen and staff sides: when a class
takes sign-ups, what is a Vietnamese phone number and a name, and what people are told."""

from __future__ import annotations

import datetime as dt

import phonenumbers

from bot.messages import Button
from bot.notify.reminders import first_session, start_time
from bot.pack.days import full_date
from bot.pack.models import Course
from bot.wording import slugify
from db.models_registrations import RegistrationRow
from handlers.context import Ctx, short_data

SIGN_UP = "📝 Đăng ký"
NAME_MAX = 80


# --- the rules of a class's sign-up ------------------------------------------------------------


def needs_no_sign_up(course: Course) -> bool:
    """The class says people just come ('Không cần đăng ký, mời bà con đến dự')."""
    return "khong-can-dang-ky" in slugify(course.registration or "")


def starts_at(course: Course, tz: dt.tzinfo) -> dt.datetime:
    """When the first session begins."""
    day = first_session(course) or course.start_date
    return dt.datetime.combine(day, start_time(course.time), tzinfo=tz)


def closed_why(course: Course, now: dt.datetime) -> str | None:
    """Why the class takes no sign-up now (None: it does)."""
    tz = now.tzinfo or dt.UTC
    if needs_no_sign_up(course):
        return "free"
    if now.date() > course.end_date:
        return "finished"
    if now >= starts_at(course, tz):
        return "started"
    if course.registration_closes is not None and now.date() > course.registration_closes:
        return "closed"
    return None


def course_button(course_id: str) -> str:
    """``rg:<id>``, or its ``h:`` digest for an id too long for the 64 bytes."""
    return short_data(f"rg:{course_id}")


def signup_rows(ctx: Ctx, ref: str) -> list[tuple[Button, ...]]:
    """'📝 Đăng ký' under one class that takes sign-ups now (beside its own way to register)."""
    kind, _, item_id = ref.partition(":")
    course = ctx.pack.course(item_id) if kind == "course" else None
    if course is None or closed_why(course, ctx.now) is not None:
        return []
    return [(Button(SIGN_UP, course_button(course.id)),)]


def phone_of(text: str) -> str | None:
    """A Vietnamese phone number as E.164 (+84…), or None when it is not one."""
    try:
        number = phonenumbers.parse(text.strip(), "VN")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 84 or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def shown_phone(e164: str) -> str:
    """'+84912345678' as people write it: '0912 345 678'."""
    number = phonenumbers.parse(e164, "VN")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def clean_name(text: str) -> str | None:
    """A person's name as typed, tidied; None when it cannot be one."""
    name = " ".join(text.split())
    if not 2 <= len(name) <= NAME_MAX or any(c.isdigit() for c in name):
        return None
    if not any(c.isalpha() for c in name):
        return None
    return name


def place_of(ctx: Ctx, course: Course) -> str:
    center = ctx.pack.center(course.center)
    return f"{center.name}, {center.address}" if center else course.center


def closed_text(ctx: Ctx, course: Course, why: str) -> str:
    title = course.title
    if why == "free":
        return f"Lớp «{title}» không cần đăng ký trước: {course.registration}."
    if why == "finished":
        return (
            f"Lớp «{title}» đã kết thúc ngày {course.end_date:%d/%m/%Y}, không nhận đăng ký nữa."
        )
    if why == "started":
        return (
            f"Lớp «{title}» đã khai giảng nên không nhận đăng ký qua trợ lý nữa. "
            f"Bạn có thể hỏi trực tiếp: {course.registration or ctx.pack.info.contact}."
        )
    closes = course.registration_closes
    day = f"{closes:%d/%m/%Y}" if closes else ""
    return (
        f"Lớp «{title}» đã hết hạn đăng ký (ngày {day}). "
        f"Bạn có thể hỏi trực tiếp: {course.registration or ctx.pack.info.contact}."
    )


def status_text(course: Course, row: RegistrationRow, position: int) -> str:
    if row.status == "confirmed":
        return f"Bạn đã có chỗ trong lớp «{course.title}»."
    return f"Bạn đang ở vị trí số {position} trong danh sách chờ của lớp «{course.title}»."


def confirmation(ctx: Ctx, course: Course, row: RegistrationRow | None) -> str:
    """What a person with a seat is told: dates, place, what to bring, the reminder. Sent
    later (``row`` None), it names no one: an outbox row keeps no name or phone."""
    first = first_session(course) or course.start_date
    who = f" cho {row.name} ({shown_phone(row.phone)})" if row is not None else ""
    lines = [
        f"✅ Đã đăng ký lớp «{course.title}»{who}.",
        f"Thời gian: {course.start_date:%d/%m/%Y} – {course.end_date:%d/%m/%Y}"
        + (f", {course.time}" if course.time else ""),
        f"Buổi đầu tiên: {full_date(first)}",
        f"Địa điểm: {place_of(ctx, course)}",
    ]
    if course.description:
        lines.append(f"Nội dung: {course.description}")
    if course.registration:
        lines.append(f"Cần mang theo, lưu ý của lớp: {course.registration}")
    else:
        lines.append("Cần mang theo: lớp không ghi yêu cầu riêng; nếu cần, trung tâm sẽ gọi bạn.")
    lines.append(
        "⏰ Trợ lý sẽ nhắc bạn tối hôm trước buổi đầu (gõ «nhắc của tôi» để tắt). "
        "Gõ «đăng ký của tôi» để xem hoặc hủy đăng ký."
    )
    return "\n".join(lines)
