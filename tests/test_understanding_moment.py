"""Answers right for the day and hour asked, across the pack, honest when there is none.

The exact examples of the issue, on the bundled pack, with the clock of the report: Thursday
03/12/2026 (so 'mai' is Friday 04/12 and 26/12 is a Saturday).
"""

from __future__ import annotations

import datetime as dt

from bot.pack import visits
from bot.pack.days import WEEKDAYS
from bot.pack.models import parse_range
from bot.understanding import Engine
from bot.understanding.schedule import session_days
from tests.understanding_helpers import BUNDLED_PACK, engine_for

THURSDAY = dt.datetime(2026, 12, 3, 10, 0)


def bundled() -> Engine:
    return engine_for(str(BUNDLED_PACK))


def meets(engine: Engine, course_id: str, day: dt.date) -> bool:
    course = engine.pack.course(course_id)
    assert course is not None
    return session_days(course, day, day) == [day]


def test_tomorrow_lists_only_classes_meeting_on_friday() -> None:
    e = bundled()
    answer = e.ask("mai có lớp gì k", THURSDAY)
    friday = dt.date(2026, 12, 4)
    assert answer.kind == "courses" and answer.ids
    assert all(meets(e, i, friday) for i in answer.ids)
    assert answer.text.startswith("Thứ Sáu 04/12 có")
    expected = {c.id for c in e.pack.courses if session_days(c, friday, friday)}
    assert set(answer.ids) == expected


def test_a_date_lists_only_classes_meeting_that_day() -> None:
    e = bundled()
    answer = e.ask("26/12 có lớp gì không", THURSDAY)
    saturday = dt.date(2026, 12, 26)
    assert answer.kind == "courses"
    assert set(answer.ids) == {c.id for c in e.pack.courses if session_days(c, saturday, saturday)}


def test_tonight_means_evening_sessions_of_today() -> None:
    e = bundled()
    answer = e.ask("hôm nay có lớp nào học buổi tối không", THURSDAY)
    today = THURSDAY.date()
    evening = {
        c.id
        for c in e.pack.courses
        if session_days(c, today, today) and c.time and parse_range(c.time)[0] >= dt.time(17, 30)
    }
    assert answer.kind == "courses" and set(answer.ids) == evening
    assert evening  # the bundled pack has one


def test_a_class_with_no_session_tonight_says_so() -> None:
    answer = bundled().ask("lớp xóa mù chữ ở Bằng Thành tối nay có học k", THURSDAY)
    assert "không có lớp nào học" in answer.text
    assert "Buổi học gần nhất" in answer.text


def test_opening_hours_are_answered_not_the_holiday_entry() -> None:
    e = bundled()
    for question in (
        "giờ mở cửa?",
        "bây giờ thư viện còn mở không",
        "trưa 12h thư viện tỉnh có mở ko",
    ):
        answer = e.ask(question, THURSDAY)
        assert answer.kind == "library_hours", question
    noon = e.ask("trưa 12h thư viện tỉnh có mở ko", THURSDAY)
    assert noon.text.startswith("Lúc 12:00 hôm nay: không mở cửa, mở lại lúc 13:30")


def test_weekend_lists_every_library_open() -> None:
    e = bundled()
    answer = e.ask("cuối tuần thư viện nào mở cửa", THURSDAY)
    sat, sun = dt.date(2026, 12, 5), dt.date(2026, 12, 6)
    open_days = {
        lib.id
        for lib in e.pack.libraries
        if any(WEEKDAYS[d.weekday()] in lib.hours for d in (sat, sun))
    }
    assert answer.kind == "library_hours" and set(answer.ids) == open_days
    assert len(open_days) >= 3


def test_the_vans_visit_over_is_flagged_and_the_next_named() -> None:
    e = bundled()
    late = dt.datetime(2026, 12, 3, 17, 24)
    answer = e.ask("xe thư viện hôm nay ở đâu", late)
    assert answer.kind == "mobile_stops"
    today = [v for v in visits.between(e.pack.stops, late.date(), late.date())]
    if today:
        assert "(đã xong)" in answer.text
    assert "Lần tới:" in answer.text


def test_next_van_visit_is_a_schedule_not_the_faq() -> None:
    answer = bundled().ask("xe thư viện lưu động lần tới đến đâu", THURSDAY)
    assert answer.kind == "mobile_stops"


def test_van_visits_over_are_not_upcoming_anywhere() -> None:
    e = bundled()
    evening = dt.datetime(2026, 12, 3, 18, 0)
    upcoming = visits.upcoming(e.pack.stops, evening, 14)
    assert all(not visits.is_over(v, evening) for v in upcoming)
    morning = [v for v in visits.between(e.pack.stops, evening.date(), evening.date())]
    assert all(v not in upcoming for v in morning)
    answer = e.ask("xe thư viện sắp tới ở đâu", evening)
    assert all(f"{v[0]:%d/%m}, {v[1].time}" not in answer.text for v in morning)


def test_no_such_class_is_said_first() -> None:
    e = bundled()
    for question, subject in (
        ("có lớp nuôi dê không", "nuôi dê"),
        ("tôi muốn học nghề sửa xe máy", "sửa xe máy"),
    ):
        answer = e.ask(question, THURSDAY)
        assert answer.text.startswith(f"Hiện chưa có lớp {subject}."), question


def test_a_centre_asked_where_gets_its_address() -> None:
    answer = bundled().ask("tthtcđ Bằng Lũng ở chỗ nào", THURSDAY)
    assert answer.kind == "center"
    assert "Địa chỉ:" in answer.text


def test_classes_at_a_place_include_the_one_at_its_centre() -> None:
    e = bundled()
    answer = e.ask("lớp học ở chợ mới", THURSDAY)
    at_centre = {
        c.id
        for c in e.pack.courses
        if (ce := e.pack.center(c.center))
        and "Chợ Mới" in ce.commune
        and c.end_date >= THURSDAY.date()
    }
    assert at_centre and at_centre <= set(answer.ids)


def test_one_day_event_reads_as_one_day() -> None:
    e = bundled()
    one_day = next(c for c in e.pack.courses if c.start_date == c.end_date)
    answer = e.render(f"course:{one_day.id}", THURSDAY)
    assert f"{one_day.start_date:%d/%m/%Y}–{one_day.end_date:%d/%m/%Y}" not in answer.text
    assert "Diễn ra" in answer.text


def test_dates_of_next_year_carry_the_year() -> None:
    e = bundled()
    december = dt.datetime(2026, 12, 30, 10, 0)
    answer = e.ask("thứ 2 tuần sau có lớp gì", december)  # Monday 04/01/2027
    assert answer.text.startswith("Thứ Hai 04/01/2027")


def test_a_where_question_is_not_answered_yes() -> None:
    e = bundled()
    for faq in e.pack.faq:
        if faq.answer.startswith("Có. "):
            answer = e.render(f"faq:{faq.id}", THURSDAY)
            assert answer.text.startswith("Có. ")  # the entry itself is unchanged
            break
    where = e.ask("thư viện có sách nói cho người khiếm thị ở đâu", THURSDAY)
    assert not where.text.startswith("Có.")
