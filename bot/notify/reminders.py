"""Reminders a citizen asks for, and when each one is due.

A class is reminded the evening before its first session; a van stop the evening before and the
morning of the visit. Every due time is moved out of the quiet hours. The item is described in a
``snapshot`` so that a later content version can be compared against it (see ``changes``).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from bot.pack import Pack
from bot.pack.days import WEEKDAYS, full_date, weekday_name
from bot.pack.models import Course, Stop
from bot.settings import NotifySettings
from bot.wording import with_commune
from db import notify as notify_db
from db.models_notify import ReminderRow
from db.subscriptions import PURPOSES, clear_unreachable, log_consent

if TYPE_CHECKING:
    from db.session import AsyncSession


def first_session(course: Course) -> dt.date | None:
    """The date of a class's first session (its first listed weekday from ``start_date``)."""
    day = course.start_date
    while day <= course.end_date:
        if not course.weekdays or WEEKDAYS[day.weekday()] in course.weekdays:
            return day
        day += dt.timedelta(days=1)
    return None


def next_visit(stop: Stop, today: dt.date) -> dt.date | None:
    """The stop's next visit on or after ``today``."""
    visits = stop.visits(today, today + dt.timedelta(days=400))
    return visits[0] if visits else None


def start_time(time_range: str | None) -> dt.time:
    """The start of 'HH:MM-HH:MM' (midnight when absent)."""
    return dt.time.fromisoformat(time_range.split("-")[0]) if time_range else dt.time(0, 0)


def describe(pack: Pack, ref: str, target: dt.date | None) -> dict[str, Any] | None:
    """What a citizen was told about the item, as display strings (None if it is gone)."""
    kind, _, item_id = ref.partition(":")
    if kind == "course":
        course = pack.course(item_id)
        if course is None:
            return None
        center = pack.center(course.center)
        days = [weekday_name(d, capital=True) for d in course.weekdays]
        return {
            "title": course.title,
            "date": full_date(target) if target else "",
            "dates": f"{course.start_date:%d/%m/%Y} – {course.end_date:%d/%m/%Y}",
            "time": course.time or "",
            "weekdays": ", ".join(days),
            "place": f"{center.name}, {center.address}" if center else course.center,
        }
    if kind == "stop":
        stop = pack.stop(item_id)
        if stop is None:
            return None
        return {
            "title": f"Xe thư viện: {stop.place}",
            "date": full_date(target) if target else "",
            "time": stop.time,
            "place": f"{stop.place} ({stop.commune})",
        }
    return None


def target_of(
    pack: Pack, ref: str, today: dt.date, previous: dt.date | None = None
) -> dt.date | None:
    """The date a reminder is about: the first session, or the (kept or next) van visit."""
    kind, _, item_id = ref.partition(":")
    if kind == "course":
        course = pack.course(item_id)
        first = first_session(course) if course else None
        return first if first is not None and first >= today else None
    if kind == "stop":
        stop = pack.stop(item_id)
        if stop is None:
            return None
        if previous is not None and previous >= today and stop.visits(previous, previous):
            return previous
        return next_visit(stop, today)
    return None


def event_start(pack: Pack, ref: str, target: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """When the class session or the visit begins."""
    kind, _, item_id = ref.partition(":")
    time_range: str | None = None
    if kind == "course":
        course = pack.course(item_id)
        time_range = course.time if course else None
    elif kind == "stop":
        stop = pack.stop(item_id)
        time_range = stop.time if stop else None
    return dt.datetime.combine(target, start_time(time_range), tzinfo=tz)


def slots(
    ref: str, target: dt.date, cfg: NotifySettings, tz: dt.tzinfo
) -> list[tuple[str, dt.datetime]]:
    """(slot name, due time) of a reminder, moved out of quiet hours."""
    eve_at = cfg.course_remind_at if ref.startswith("course:") else cfg.van_eve_at
    out = [("eve", dt.datetime.combine(target - dt.timedelta(days=1), eve_at, tzinfo=tz))]
    if ref.startswith("stop:"):
        out.append(("morning", dt.datetime.combine(target, cfg.van_morning_at, tzinfo=tz)))
    return [(name, cfg.out_of_quiet(due)) for name, due in out]


def reminder_text(pack: Pack, ref: str, target: dt.date, slot: str) -> str:
    """The reminder message, from the live content."""
    info = describe(pack, ref, target) or {}
    when = "Hôm nay" if slot == "morning" else "Ngày mai"
    if ref.startswith("course:"):
        return (
            f"⏰ Nhắc lịch: {when} ({info.get('date')}) là buổi học đầu tiên của lớp "
            f"«{info.get('title')}».\nGiờ học: {info.get('time') or 'xem thông báo của lớp'}\n"
            f"Địa điểm: {info.get('place')}"
        )
    stop = pack.stop(ref.partition(":")[2])
    place = with_commune(stop.place, stop.commune) if stop else info.get("place")
    return (
        f"⏰ Nhắc lịch: {when} ({info.get('date')}) xe thư viện lưu động đến "
        f"{place}, {info.get('time')}."
    )


async def add_reminder(
    session: AsyncSession,
    *,
    user_pk: int,
    ref: str,
    pack: Pack,
    now: dt.datetime,
    via: str,
) -> tuple[ReminderRow | None, bool]:
    """Record a reminder the user asked for: (row, created); (None, False) if nothing is ahead."""
    target = target_of(pack, ref, now.date())
    if target is None:
        return None, False
    existing = await notify_db.active_reminder(session, user_pk, ref, target)
    if existing is not None:
        return existing, False
    row = ReminderRow(
        user_pk=user_pk,
        ref=ref,
        target_date=target,
        snapshot=describe(pack, ref, target) or {},
        created_at=now,
        status="active",
    )
    session.add(row)
    await log_consent(
        session,
        user_pk=user_pk,
        action="grant",
        purpose=PURPOSES["reminder"],
        now=now,
        detail=f"{ref} {target.isoformat()}",
        via=via,
    )
    await clear_unreachable(session, user_pk)
    await session.flush()
    return row, True


async def cancel_reminder(
    session: AsyncSession, *, user_pk: int, reminder_id: int, now: dt.datetime, via: str
) -> ReminderRow | None:
    """Cancel one of the user's own active reminders (one tap)."""
    row = await notify_db.get_reminder(session, reminder_id)
    if row is None or row.user_pk != user_pk or row.status != "active":
        return None
    row.status = "cancelled"
    row.reason = "cancelled by the user"
    await log_consent(
        session,
        user_pk=user_pk,
        action="withdraw",
        purpose=PURPOSES["reminder"],
        now=now,
        detail=f"{row.ref} {row.target_date.isoformat()}",
        via=via,
    )
    return row
