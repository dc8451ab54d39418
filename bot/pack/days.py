"""The week, once: the content's weekday codes, their Vietnamese (and English) names, and the
one way a date is written for a person.

Every reply, notice and staff message that names a day comes through here, so the van's next
visit reads the same in a free-text answer, the menu, a reminder and a roster.
"""

from __future__ import annotations

import datetime as dt

# The content's weekday codes (``weekdays: [mon, wed]``, ``hours: {sat: …}``), Monday first,
# in the order of ``date.weekday()``.
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Mid-sentence Vietnamese: 'vào thứ Bảy', but 'Chủ nhật' is a name and keeps its capital.
NAMES_VI: tuple[str, ...] = (
    "thứ Hai",
    "thứ Ba",
    "thứ Tư",
    "thứ Năm",
    "thứ Sáu",
    "thứ Bảy",
    "Chủ nhật",
)
NAMES_EN: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Short Vietnamese, as on a notice board: 'T2–T6, T7'.
SHORT_VI: tuple[str, ...] = ("T2", "T3", "T4", "T5", "T6", "T7", "CN")


def index(day: dt.date | str) -> int:
    """0 (Monday) .. 6 (Sunday) of a date or a content code ('sat' -> 5)."""
    return day.weekday() if isinstance(day, dt.date) else WEEKDAYS.index(day)


def weekday_name(day: dt.date | str, *, lang: str = "vi", capital: bool = False) -> str:
    """'thứ Bảy' ('Thứ Bảy' with ``capital``, 'Sat' in English) of a date or a content code."""
    if lang == "en":
        return NAMES_EN[index(day)]
    name = NAMES_VI[index(day)]
    return name[:1].upper() + name[1:] if capital else name


def short_name(day: dt.date | str) -> str:
    """'T7' for Saturday, 'CN' for Sunday."""
    return SHORT_VI[index(day)]


def day_label(
    day: dt.date,
    today: dt.date | None = None,
    *,
    lang: str = "vi",
    capital: bool = False,
    year: bool = False,
) -> str:
    """'thứ Bảy 12/12': the weekday and the date. The year is added with ``year``, or when
    ``today`` is given and falls in another year ('thứ Hai 04/01/2027')."""
    label = f"{weekday_name(day, lang=lang, capital=capital)} {day:%d/%m}"
    if year or (today is not None and day.year != today.year):
        label += f"/{day.year}"
    return label


def full_date(day: dt.date) -> str:
    """'Thứ Năm 03/12/2026': a date standing alone in a notice or a staff list."""
    return day_label(day, capital=True, year=True)
