"""Classes for the day and part of the day asked: sessions, not just date ranges.

"mai có lớp gì" on a Thursday lists the classes that meet on Friday (date range × weekdays), "tối
nay" those whose session starts in the evening, "hôm nay còn lớp gì" those still to come today.
A list that is filtered says by what; when nothing matches it says so first, then names the next
session (see ``Engine._courses_answer``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from bot.pack.days import WEEKDAYS, day_label
from bot.pack.models import Course, parse_range
from bot.understanding.dates import When
from bot.understanding.normalize import Token

# Parts of the day, by a session's start time.
PARTS: dict[str, tuple[dt.time, dt.time]] = {
    "sang": (dt.time(0, 0), dt.time(11, 0)),
    "trua": (dt.time(11, 0), dt.time(13, 30)),
    "chieu": (dt.time(12, 0), dt.time(17, 30)),
    "toi": (dt.time(17, 30), dt.time(23, 59)),
}
PART_NAMES = {"sang": "sáng", "trua": "trưa", "chieu": "chiều", "toi": "tối"}
_MARKED_PARTS = {"sáng": "sang", "trưa": "trua", "chiều": "chieu", "tối": "toi", "đêm": "toi"}
# Unmarked spellings that can only be the part of the day ('toi' alone may be tôi, 'sang' sang).
_PLAIN_PARTS = {
    ("buoi", "sang"): "sang",
    ("sang", "nay"): "sang",
    ("sang", "mai"): "sang",
    ("buoi", "trua"): "trua",
    ("trua", "nay"): "trua",
    ("chieu",): "chieu",
    ("buoi", "toi"): "toi",
    ("toi", "nay"): "toi",
    ("toi", "mai"): "toi",
    ("toi", "thu"): "toi",
    ("toi", "chu"): "toi",
}
LIST_LIMIT = 8


def part_of_day(tokens: Sequence[Token]) -> str | None:
    """'sang' / 'trua' / 'chieu' / 'toi' when the question names a part of the day."""
    for i, t in enumerate(tokens):
        if t.acc in _MARKED_PARTS:
            return _MARKED_PARTS[t.acc]
        if not t.marked:
            for size in (2, 1):
                key = tuple(x.fold for x in tokens[i : i + size])
                plain = all(not x.marked for x in tokens[i : i + size])
                if len(key) == size and key in _PLAIN_PARTS and plain:
                    return _PLAIN_PARTS[key]
    return None


def session_days(course: Course, start: dt.date, end: dt.date) -> list[dt.date]:
    """The days in [start, end] on which the class meets."""
    first, last = max(start, course.start_date), min(end, course.end_date)
    if first > last:
        return []
    days = {WEEKDAYS.index(d) for d in course.weekdays}
    out: list[dt.date] = []
    day = first
    while day <= last:
        if not days or day.weekday() in days:
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def _times(course: Course) -> tuple[dt.time, dt.time] | None:
    return parse_range(course.time) if course.time else None


def in_part(course: Course, part: str | None) -> bool:
    """Whether the class's session starts in that part of the day (any, when unknown)."""
    if part is None:
        return True
    times = _times(course)
    if times is None:
        return True
    low, high = PARTS[part]
    return low <= times[0] < high


def meeting(
    courses: Iterable[Course], when: When, now: dt.datetime
) -> list[tuple[Course, dt.date]]:
    """Classes with a session in the span (and part of the day) asked, with their first such
    day, soonest first; today's sessions already over are left out."""
    out: list[tuple[Course, dt.date]] = []
    today = now.date()
    for course in courses:
        if not in_part(course, when.part):
            continue
        for day in session_days(course, max(when.start, today), when.end):
            times = _times(course)
            if day == today and times is not None and times[1] <= now.time():
                continue
            out.append((course, day))
            break
    out.sort(key=lambda x: (x[1], _times(x[0]) or (dt.time(0), dt.time(0))))
    return out


def next_session(
    courses: Iterable[Course], after: dt.date, part: str | None = None
) -> tuple[Course, dt.date] | None:
    """The first session after a day (in that part of the day, when given), within a year."""
    best: tuple[Course, dt.date] | None = None
    for course in courses:
        if not in_part(course, part):
            continue
        days = session_days(course, after + dt.timedelta(days=1), after + dt.timedelta(days=366))
        if days and (best is None or days[0] < best[1]):
            best = (course, days[0])
    return best


def span_label(when: When, today: dt.date) -> str:
    """'Thứ Sáu 08/10', 'Tối nay (Thứ Tư 06/10)', 'Từ Thứ Bảy 09/10 đến Chủ nhật 10/10'."""
    part = f"{PART_NAMES[when.part]} " if when.part else ""
    if when.single or when.start == when.end:
        day = _cap(day_label(when.start, today))
        if when.start == today:
            return _cap(f"{part.strip() or 'hôm'} nay ({day})")
        return _cap(f"{part}{day}")
    start = _cap(day_label(when.start, today))
    end = _cap(day_label(max(when.start, when.end), today))
    return _cap(f"{part}từ {start} đến {end}")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def session_line(course: Course, day: dt.date, where: str, today: dt.date | None = None) -> str:
    """'- Nuôi tôm thẻ: Thứ Tư 06/10, 19:00-21:00, Xã Cửa Việt'."""
    parts = [_cap(day_label(day, today))]
    if course.time:
        parts.append(course.time)
    if where:
        parts.append(where)
    return f"- {course.title}: " + ", ".join(parts)
