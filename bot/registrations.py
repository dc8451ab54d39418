"""What staff see of class sign-ups: the overview, a roster (text and spreadsheet), demand.

Shared by the staff chat (``/dangky``, ``/thongke``) and the command line (``hoctap
registrations``, ``hoctap stats``). Names and phones appear only in a roster, which only staff
get; the overview, the digest and the demand figures are counts.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Font

from bot.pack.models import Course, Pack
from db.models_registrations import RegistrationRow

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_text(value: str) -> str:
    """A value a spreadsheet will never run: one starting like a formula gets a quote mark."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def seats(course: Course | None, confirmed: int, waiting: int) -> str:
    """'12/30 chỗ, 3 chờ' (or '12 người' without a capacity)."""
    if course is not None and course.capacity is not None:
        text = f"{confirmed}/{course.capacity} chỗ"
    else:
        text = f"{confirmed} người (không giới hạn chỗ)"
    return f"{text}, {waiting} chờ" if waiting else text


def listed_courses(pack: Pack, counts: dict[str, tuple[int, int]], today: dt.date) -> list[Course]:
    """Classes worth listing to staff: any with sign-ups, and those not over that have seats."""
    return [
        c
        for c in sorted(pack.courses, key=lambda c: (c.start_date, c.id))
        if c.id in counts or (c.end_date >= today and c.capacity is not None)
    ]


def overview_lines(pack: Pack, counts: dict[str, tuple[int, int]], today: dt.date) -> list[str]:
    """One line per class: title, dates, registered / capacity / waiting."""
    lines = []
    for course in listed_courses(pack, counts, today):
        confirmed, waiting = counts.get(course.id, (0, 0))
        lines.append(
            f"• {course.title} ({course.start_date:%d/%m}): {seats(course, confirmed, waiting)}"
        )
    return lines


def roster_text(course: Course, rows: Sequence[RegistrationRow], phone: dict[int, str]) -> str:
    """The roster as chat text: seats first, then the waiting list, in arrival order."""
    confirmed = [r for r in rows if r.status == "confirmed"]
    waiting = [r for r in rows if r.status == "waiting"]
    lines = [f"📋 {course.title}: {seats(course, len(confirmed), len(waiting))}"]
    lines += [f"{i}. {r.name} — {phone[r.id]}" for i, r in enumerate(confirmed, 1)]
    if waiting:
        lines.append("Danh sách chờ:")
        lines += [f"{i}. {r.name} — {phone[r.id]}" for i, r in enumerate(waiting, 1)]
    if not rows:
        lines.append("Chưa có ai đăng ký.")
    return "\n".join(lines)


HEADERS = ("STT", "Họ và tên", "Số điện thoại", "Trạng thái", "Vị trí chờ", "Đăng ký lúc")


def roster_workbook(
    course: Course, rows: Sequence[RegistrationRow], phone: dict[int, str], tz: dt.tzinfo
) -> bytes:
    """The roster as an .xlsx: one row per person, seats then the waiting list; every name
    and phone written as text (a name starting with = + - @ is never a formula)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Danh sách"
    sheet.append([cell_text(course.title)])
    sheet.append(HEADERS)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    waiting = 0
    for number, row in enumerate(rows, 1):
        waiting += row.status == "waiting"
        sheet.append(
            [
                number,
                cell_text(row.name),
                cell_text(phone[row.id]),
                "Có chỗ" if row.status == "confirmed" else "Chờ",
                waiting if row.status == "waiting" else None,
                row.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            ]
        )
    for column, width in zip("ABCDEF", (6, 30, 16, 12, 10, 18), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A3"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def demand_lines(pack: Pack, demand: Sequence[tuple[str, str, int]]) -> list[str]:
    """'• nuôi dê — Xã Đồng Phúc: 3 người' per topic and commune, most wanted first."""
    lines = []
    for topic, commune, people in demand:
        known = pack.topic(topic)
        name = known.name if known is not None else topic
        where = f" — {commune}" if commune else ""
        lines.append(f"• {name}{where}: {people} người")
    return lines
