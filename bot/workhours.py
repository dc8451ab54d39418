"""Working hours: the main library's weekly hours (the first library of the pack), minus its
closures. Pure functions, no database: how many working hours lie between two moments (for
questions to staff that are overdue) and the hours in words (for the citizen's confirmation).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.pack.days import WEEKDAYS, short_name
from bot.pack.models import Library, Pack, parse_range

MAX_DAYS = 3660  # ten years: anything longer is overdue whatever the hours


def main_library(pack: Pack) -> Library | None:
    """The library whose hours are the staff's working hours: the pack's first."""
    return pack.libraries[0] if pack.libraries else None


def _closed(library: Library, day: dt.date) -> bool:
    return any(c.from_ <= day <= c.to for c in library.closures)


def working_hours(
    library: Library | None, start: dt.datetime, end: dt.datetime, tz: ZoneInfo
) -> float:
    """Hours of ``library``'s opening between ``start`` and ``end`` (clock hours without one)."""
    if end <= start:
        return 0.0
    if library is None or not any(library.hours.values()):
        return (end - start).total_seconds() / 3600
    seconds = 0.0
    day, last = start.astimezone(tz).date(), end.astimezone(tz).date()
    for _ in range(MAX_DAYS):
        if day > last:
            break
        if not _closed(library, day):
            for value in library.hours.get(WEEKDAYS[day.weekday()], []):  # type: ignore[call-overload]
                opens, closes = parse_range(value)
                lo = max(dt.datetime.combine(day, opens, tzinfo=tz), start)
                hi = min(dt.datetime.combine(day, closes, tzinfo=tz), end)
                if hi > lo:
                    seconds += (hi - lo).total_seconds()
        day += dt.timedelta(days=1)
    return seconds / 3600


def hours_text(library: Library | None) -> str:
    """'T2–T6 07:30–11:30, 13:30–17:00; T7, CN 08:00–11:30' (empty without hours)."""
    if library is None:
        return ""
    groups: list[tuple[list[str], tuple[str, ...]]] = []
    for day in WEEKDAYS:
        ranges = tuple(library.hours.get(day, []))  # type: ignore[call-overload]
        if not ranges:
            continue
        if (
            groups
            and groups[-1][1] == ranges
            and WEEKDAYS.index(groups[-1][0][-1]) + 1 == (WEEKDAYS.index(day))
        ):
            groups[-1][0].append(day)
        else:
            groups.append(([day], ranges))
    parts = []
    for days, ranges in groups:
        if len(days) > 2:
            label = f"{short_name(days[0])}–{short_name(days[-1])}"
        else:
            label = ", ".join(short_name(d) for d in days)
        parts.append(f"{label} {', '.join(r.replace('-', '–') for r in ranges)}")
    return "; ".join(parts)
