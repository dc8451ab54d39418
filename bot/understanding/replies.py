"""Reply texts computed from pack data and the clock: short, plain Vietnamese."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.pack.days import NAMES_VI, WEEKDAYS, day_label, index, weekday_name
from bot.pack.models import Center, Closure, Course, Library, Pack, Stop, parse_range
from bot.understanding.dates import When
from bot.wording import closed, with_commune

LOOKAHEAD_DAYS = 60


def money(fee: int) -> str:
    """0 -> 'miễn phí', 150000 -> '150.000 đồng'."""
    return "miễn phí" if fee == 0 else f"{fee:,}".replace(",", ".") + " đồng"


def dmy(day: dt.date) -> str:
    """'05/01/2027'."""
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def status(course: Course, today: dt.date) -> str:
    """'upcoming', 'ongoing' or 'finished'."""
    if course.end_date < today:
        return "finished"
    return "ongoing" if course.start_date <= today else "upcoming"


def course_order(courses: Sequence[Course], today: dt.date) -> list[Course]:
    """Upcoming and ongoing classes first, sorted by start; finished ones last, newest first."""
    live = sorted(
        (c for c in courses if status(c, today) != "finished"), key=lambda c: c.start_date
    )
    done = sorted(
        (c for c in courses if status(c, today) == "finished"),
        key=lambda c: c.end_date,
        reverse=True,
    )
    return live + done


def _days(weekdays: Sequence[str]) -> str:
    names = [NAMES_VI[index(d)] for d in weekdays]
    return ", ".join(names)


def course_line(pack: Pack, course: Course, today: dt.date) -> str:
    """One line for a list of classes."""
    center = pack.center(course.center)
    where = f", {center.commune}" if center else ""
    state = {"finished": " (đã kết thúc)", "ongoing": " (đang học)", "upcoming": ""}[
        status(course, today)
    ]
    dates = span(course.start_date, course.end_date)
    return f"- {course.title}: {dates}{where}, {money(course.fee)}{state}"


def span(start: dt.date, end: dt.date) -> str:
    """'Thứ Bảy 19/12/2026' for one day; '14/09–16/12/2027' within a year; else full dates."""
    if start == end:
        label = day_label(start)
        return f"{label[:1].upper()}{label[1:]}/{start.year}"
    if start.year == end.year:
        return f"{start.day:02d}/{start.month:02d}–{dmy(end)}"
    return f"{dmy(start)}–{dmy(end)}"


def course_text(pack: Pack, course: Course, today: dt.date) -> str:
    """Details of one class: time, place, fee, registration, finished or not."""
    center = pack.center(course.center)
    lines = [course.title]
    state = status(course, today)
    if state == "finished":
        lines.append(f"Lớp này đã kết thúc ngày {dmy(course.end_date)}.")
    elif state == "ongoing":
        lines.append(f"Lớp đang học, từ {dmy(course.start_date)} đến {dmy(course.end_date)}.")
    elif course.start_date == course.end_date:
        lines.append(f"Diễn ra {span(course.start_date, course.end_date)}.")
    else:
        lines.append(f"Khai giảng {dmy(course.start_date)}, kết thúc {dmy(course.end_date)}.")
    if course.weekdays or course.time:
        when = _days(course.weekdays)
        lines.append("Lịch học: " + ", ".join(x for x in (when, course.time) if x) + ".")
    if center:
        lines.append(f"Địa điểm: {center.name} – {center.address}.")
    if course.start_date == course.end_date:
        # a one-off talk has no tuition: say whether it costs anything
        lines.append("Miễn phí." if course.fee == 0 else f"Phí tham dự: {money(course.fee)}.")
    else:
        lines.append(f"Học phí: {money(course.fee)}.")
    if course.description:
        lines.append(course.description)
    if state != "finished" and course.registration:
        registration = course.registration.strip()
        starts = registration.split(" ", 2)[:2]
        said = [w.casefold() for w in starts] == ["đăng", "ký"]
        lines.append(registration if said else f"Đăng ký: {registration}")
    if state == "finished":
        nxt = [
            c
            for c in course_order([c for c in pack.courses if c.topic == course.topic], today)
            if status(c, today) != "finished" and c.id != course.id
        ]
        if nxt:
            lines.append(
                f"Lớp tiếp theo cùng chủ đề: {nxt[0].title}, từ {dmy(nxt[0].start_date)}."
            )
    return "\n".join(lines)


def courses_text(pack: Pack, courses: Sequence[Course], today: dt.date, heading: str) -> str:
    """A short list of classes under a heading."""
    if not courses:
        return f"{heading}: hiện chưa có lớp nào."
    return heading + ":\n" + "\n".join(course_line(pack, c, today) for c in courses)


def center_text(center: Center) -> str:
    """Address and phone of a learning centre."""
    lines = [center.name, f"Địa chỉ: {with_commune(center.address, center.commune)}."]
    if center.phone:
        lines.append(f"Điện thoại: {center.phone}.")
    return "\n".join(lines)


def closure_on(library: Library, day: dt.date) -> Closure | None:
    """The closure covering a day, if any."""
    return next((c for c in library.closures if c.from_ <= day <= c.to), None)


def ranges_on(library: Library, day: dt.date) -> list[tuple[dt.time, dt.time]]:
    """Opening ranges on a day (empty when closed or on a closure)."""
    if closure_on(library, day):
        return []
    return [parse_range(r) for r in library.hours.get(WEEKDAYS[day.weekday()], [])]  # type: ignore[call-overload]


def fmt_ranges(ranges: Sequence[tuple[dt.time, dt.time]]) -> str:
    """'07:30-11:30, 13:30-17:00'."""
    return ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in ranges)


def moment_label(moment: dt.datetime, today: dt.date) -> str:
    """'lúc 14:00 hôm nay' / 'lúc 07:30 thứ Năm 07/10'."""
    if moment.date() == today:
        return f"lúc {moment:%H:%M} hôm nay"
    return f"lúc {moment:%H:%M} {day_label(moment.date(), today)}"


def is_open(library: Library, now: dt.datetime) -> bool:
    """Open at this local moment."""
    return any(a <= now.time() < b for a, b in ranges_on(library, now.date()))


def next_opening(library: Library, now: dt.datetime) -> dt.datetime | None:
    """The next moment the library opens after ``now`` (local), within the look-ahead."""
    for offset in range(LOOKAHEAD_DAYS + 1):
        day = now.date() + dt.timedelta(days=offset)
        for a, _ in ranges_on(library, day):
            moment = dt.datetime.combine(day, a)
            if moment > now:
                return moment
    return None


def _day_hours(library: Library, day: dt.date) -> str:
    closure = closure_on(library, day)
    if closure:
        return f"{day_label(day)}: {closed(closure.reason)}"
    ranges = ranges_on(library, day)
    return f"{day_label(day)}: " + (fmt_ranges(ranges) if ranges else "không mở cửa")


def week_summary(library: Library) -> str:
    """'thứ Hai–thứ Sáu 07:30-11:30, 13:30-17:00; thứ Bảy ...' grouped by identical hours."""
    groups: list[tuple[list[int], list[str]]] = []
    for i, day in enumerate(WEEKDAYS):
        ranges = library.hours.get(day, [])  # type: ignore[call-overload]
        if not ranges:
            continue
        if groups and groups[-1][1] == ranges and groups[-1][0][-1] == i - 1:
            groups[-1][0].append(i)
        else:
            groups.append(([i], list(ranges)))
    parts = []
    for days, ranges in groups:
        name = NAMES_VI[days[0]] + (f"–{NAMES_VI[days[-1]]}" if len(days) > 1 else "")
        parts.append(f"{name}: {', '.join(ranges)}")
    closed = [NAMES_VI[i] for i, d in enumerate(WEEKDAYS) if d not in library.hours]
    text = "; ".join(parts) if parts else "chưa có giờ mở cửa"
    if closed:
        text += f"; nghỉ {', '.join(closed)}"
    return text


def library_text(library: Library, now: dt.datetime, when: When | None, closures: bool) -> str:
    """Hours for the asked day(s), open-now status and next opening, upcoming closures."""
    lines = [library.name]
    today = now.date()
    if when is not None and not when.now and (when.end - when.start).days <= 13:
        day = when.start
        while day <= when.end:
            lines.append(_day_hours(library, day))
            day += dt.timedelta(days=1)
    else:
        if is_open(library, now):
            lines.append(f"Đang mở cửa (hôm nay {fmt_ranges(ranges_on(library, today))}).")
        else:
            nxt = next_opening(library, now)
            if nxt is None:
                lines.append("Hiện đang đóng cửa.")
            elif nxt.date() == today:
                lines.append(f"Hiện đang đóng cửa, mở lại lúc {nxt:%H:%M} hôm nay.")
            else:
                lines.append(
                    f"Hiện đang đóng cửa, mở lại lúc {nxt:%H:%M} {weekday_name(nxt.date())} "
                    f"{nxt.day:02d}/{nxt.month:02d}."
                )
        lines.append(f"Giờ mở cửa: {week_summary(library)}.")
    upcoming = [c for c in library.closures if c.to >= today]
    near = [c for c in upcoming if closures or (c.from_ - today).days <= 14]
    for c in near[:2]:
        reason = f" ({c.reason.strip().rstrip('.')})" if c.reason else ""
        dates = span(c.from_, c.to) if c.from_ == c.to else f"{dmy(c.from_)} đến hết {dmy(c.to)}"
        lines.append(f"Lịch nghỉ: {dates}{reason}.")
    if library.address:
        lines.append(f"Địa chỉ: {library.address}.")
    if library.phone:
        lines.append(f"Điện thoại: {library.phone}.")
    return "\n".join(lines)


def open_at_line(library: Library, moment: dt.datetime, today: dt.date) -> str:
    """'Lúc 12:00 hôm nay: đang nghỉ trưa, mở lại 13:30.' for a moment asked."""
    day = moment.date()
    when = "hôm nay" if day == today else day_label(day, today)
    head = f"Lúc {moment:%H:%M} {when}"
    closure = closure_on(library, day)
    if closure:
        return f"{head}: thư viện {closed(closure.reason)}."
    ranges = ranges_on(library, day)
    if any(a <= moment.time() < b for a, b in ranges):
        end = next(b for a, b in ranges if a <= moment.time() < b)
        return f"{head}: có mở cửa (đến {end:%H:%M})."
    later = [a for a, _ in ranges if a > moment.time()]
    if later:
        return f"{head}: không mở cửa, mở lại lúc {later[0]:%H:%M}."
    return f"{head}: không mở cửa."


def library_contact_text(library: Library, now: dt.datetime) -> str:
    """Where a library is and how to call it first, then whether it is open."""
    lines = [library.name]
    if library.address:
        lines.append(f"Địa chỉ: {library.address}.")
    if library.phone:
        lines.append(f"Điện thoại: {library.phone}.")
    if is_open(library, now):
        lines.append(f"Đang mở cửa (hôm nay {fmt_ranges(ranges_on(library, now.date()))}).")
    lines.append(f"Giờ mở cửa: {week_summary(library)}.")
    return "\n".join(lines)


def visits_text(
    heading: str, visits: Sequence[tuple[dt.date, Stop]], phone: str | None, empty: str
) -> str:
    """Mobile library visits, one per line."""
    if not visits:
        lines = [empty]
    else:
        lines = [heading + ":"]
        for day, stop in visits:
            lines.append(
                f"- {day_label(day)}, {stop.time}: {with_commune(stop.place, stop.commune)}"
            )
    if phone:
        lines.append(f"Liên hệ xe: {phone}.")
    return "\n".join(lines)


def contact_line(pack: Pack) -> str:
    """'Cần hỗ trợ thêm: …' from the pack's contact, or nothing."""
    contact = getattr(pack.info, "contact", None)
    return f"Cần hỗ trợ thêm: {contact}." if contact else ""


def help_text(pack: Pack) -> str:
    """What the bot can answer."""
    return (
        f"Mình là {pack.info.name}. Bạn có thể hỏi: các lớp học ở trung tâm học tập cộng đồng "
        "(ví dụ: 'có lớp tin học nào không'), giờ mở cửa thư viện ('thư viện mấy giờ mở cửa'), "
        "lịch xe thư viện lưu động ('xe thư viện ngày mai đi đâu'), địa chỉ trung tâm và các "
        "câu hỏi thường gặp."
    )


def greeting_text(pack: Pack) -> str:
    """Reply to a greeting."""
    return (
        f"Xin chào! Mình là {pack.info.name}. Bạn muốn hỏi về lớp học, thư viện hay xe thư viện?"
    )


THANKS_TEXT = "Không có gì ạ! Bạn cần hỏi thêm gì cứ nhắn cho mình nhé."


def fallback_text(pack: Pack) -> str:
    """Nothing good enough: say so and give the contact."""
    return (
        "Xin lỗi, mình chưa có thông tin để trả lời câu hỏi này. Mình trả lời được về lớp học, "
        f"giờ mở cửa thư viện, lịch xe thư viện lưu động. Cần hỗ trợ thêm: {pack.info.contact}."
    )
