"""Date words in a question ('hôm nay', 'thứ 7 tuần sau', '26/3', 'tháng này') -> a date span."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

_DAY_WORDS: dict[str, int] = {"hai": 0, "ba": 1, "tu": 2, "nam": 3, "sau": 4, "bay": 5}


@dataclass(frozen=True)
class When:
    """The time a question is about: a span of days, or 'right now'."""

    start: dt.date
    end: dt.date
    now: bool = False
    words: tuple[str, ...] = ()  # folded syllables that expressed it
    part: str | None = None  # part of the day asked: 'sang', 'trua', 'chieu', 'toi'

    @property
    def single(self) -> bool:
        """True for one day."""
        return self.start == self.end


_NOW = re.compile(
    r"\b(bay gio|hien gio|hien tai|luc nay|dang mo|con mo|co dang mo|gio nay|ngay luc nay"
    r"|gio dang|hien dang|dang o dau)\b"
)
_TODAY = re.compile(r"\b(hom nay|bua nay|ngay nay|toi nay|sang nay|chieu nay|trua nay)\b")
_TOMORROW = re.compile(r"\b(ngay mai|sang mai|chieu mai|toi mai|trua mai|mai)\b")
_AFTER = re.compile(r"\b(ngay kia|ngay mot|hom kia)\b")
_YESTERDAY = re.compile(r"\b(hom qua)\b")
# 'sau hôm nay', 'sau bữa ni', 'từ mai trở đi': the days after today, not today itself.
_FROM_TOMORROW = re.compile(r"\b(?:sau|qua) (?:ngay )?hom nay\b|\btu (?:ngay )?mai tro di\b")
FROM_TOMORROW_DAYS = 30  # how far 'after today' looks ahead
_WEEKDAY = re.compile(
    r"\b(?:thu (hai|ba|tu|nam|sau|bay)|(chu nhat))\b( tuan (?:nay|sau|toi|truoc)| nay)?"
)
_WEEKEND = re.compile(r"\bcuoi tuan( nay| sau| toi)?\b")
_WEEK = re.compile(r"\btuan (nay|sau|toi|truoc)\b")
_MONTH_REL = re.compile(r"\bthang (nay|sau|toi)\b")
_MONTH_NUM = re.compile(r"\bthang (\d{1,2})\b")
_DATE_MARK = re.compile(r"\b(?:ngay |hom )?ngay_(\d{1,2})_(\d{1,2})(?:_(\d{2,4}))?\b")
_DATE_WORDS = re.compile(r"\bngay (\d{1,2}) thang (\d{1,2})(?: nam (\d{4}))?\b")
# 'ngày 15', 'còn ngày 23?': a day of this month, or of the next when it has passed.
_DAY_ONLY = re.compile(r"\bngay (\d{1,2})\b(?! (?:thang|gio|tieng|buoi|ngay|lan|cuon|quyen))")


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _explicit(today: dt.date, d: str, m: str, y: str | None) -> dt.date | None:
    year = int(y) if y else today.year
    if y and year < 100:
        year += 2000
    day = _safe_date(year, int(m), int(d))
    if day is not None and not y and (today - day).days > 60:
        day = _safe_date(year + 1, int(m), int(d))
    return day


def _month_span(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def parse_when(folded: str, today: dt.date) -> When | None:
    """Find the first date expression in a folded, lexicon-expanded question."""
    monday = today - dt.timedelta(days=today.weekday())
    if m := _DATE_MARK.search(folded) or _DATE_WORDS.search(folded):
        day = _explicit(today, m.group(1), m.group(2), m.group(3))
        if day is not None:
            return When(day, day, words=tuple(m.group(0).split()))
    if m := _DAY_ONLY.search(folded):
        n = int(m.group(1))
        day = _safe_date(today.year, today.month, n)
        if day is not None and day < today:
            year, month = (
                (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
            )
            day = _safe_date(year, month, n)
        if day is not None:
            return When(day, day, words=tuple(m.group(0).split()))
    if m := _WEEKDAY.search(folded):
        index = 6 if m.group(2) else _DAY_WORDS[m.group(1)]
        modifier = (m.group(3) or "").strip()
        if modifier in ("tuan sau", "tuan toi"):
            day = monday + dt.timedelta(days=7 + index)
        elif modifier == "tuan truoc":
            day = monday + dt.timedelta(days=index - 7)
        elif modifier == "tuan nay":  # 'thứ 7 này' is the coming one, handled below
            day = monday + dt.timedelta(days=index)
        else:
            day = today + dt.timedelta(days=(index - today.weekday()) % 7)
        return When(day, day, words=tuple(m.group(0).split()))
    if m := _FROM_TOMORROW.search(folded):
        start = today + dt.timedelta(days=1)
        end = today + dt.timedelta(days=FROM_TOMORROW_DAYS)
        return When(start, end, words=tuple(m.group(0).split()))
    if m := _WEEKEND.search(folded):
        offset = 7 if (m.group(1) or "").strip() in ("sau", "toi") else 0
        sat = monday + dt.timedelta(days=5 + offset)
        return When(max(sat, today), sat + dt.timedelta(days=1), words=tuple(m.group(0).split()))
    for pattern, delta in ((_AFTER, 2), (_YESTERDAY, -1), (_TOMORROW, 1)):
        # 'chiều mai còn mở không': the day named wins over 'còn mở' (open now).
        if m := pattern.search(folded):
            day = today + dt.timedelta(days=delta)
            return When(day, day, words=tuple(m.group(0).split()))
    if m := _NOW.search(folded):
        return When(today, today, now=True, words=tuple(m.group(0).split()))
    for pattern, delta in ((_TODAY, 0), (_AFTER, 2), (_YESTERDAY, -1), (_TOMORROW, 1)):
        if m := pattern.search(folded):
            day = today + dt.timedelta(days=delta)
            return When(day, day, words=tuple(m.group(0).split()))
    if m := _WEEK.search(folded):
        shift = {"nay": 0, "sau": 7, "toi": 7, "truoc": -7}[m.group(1)]
        start = monday + dt.timedelta(days=shift)
        return When(
            max(start, today) if shift == 0 else start,
            start + dt.timedelta(days=6),
            words=tuple(m.group(0).split()),
        )
    if m := _MONTH_REL.search(folded):
        if m.group(1) == "nay":
            start, end = _month_span(today.year, today.month)
            return When(today, end, words=tuple(m.group(0).split()))
        year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
        start, end = _month_span(year, month)
        return When(start, end, words=tuple(m.group(0).split()))
    if (m := _MONTH_NUM.search(folded)) and 1 <= int(m.group(1)) <= 12:
        month = int(m.group(1))
        year = today.year + (1 if month < today.month else 0)
        start, end = _month_span(year, month)
        return When(max(start, today), end, words=tuple(m.group(0).split()))
    return None
