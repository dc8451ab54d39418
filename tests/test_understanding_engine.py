"""Behaviour of the answering engine: labelled tables, date words, computed answers."""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.understanding import Engine
from bot.understanding.dates import parse_when
from bot.understanding.normalize import clean, tokenize
from bot.understanding.replies import money
from bot.wording import fold
from tests.understanding_helpers import (
    DEV_PACK,
    DEV_QUESTIONS,
    PACKS,
    engine_for,
    score,
)

NOW = dt.datetime(2026, 12, 2, 9, 0)
TABLES = [(DEV_PACK, DEV_QUESTIONS)] + [
    (p, p / "questions.csv") for p in sorted(PACKS.iterdir()) if (p / "questions.csv").is_file()
]


def dev() -> Engine:
    """The dev pack's engine."""
    return engine_for(str(DEV_PACK))


def bim() -> Engine:
    """The Bỉm Sơn test pack's engine."""
    return engine_for(str(PACKS / "bim-son"))


@pytest.mark.parametrize(("pack", "table"), TABLES, ids=[p.name for p, _ in TABLES])
def test_labelled_tables_reach_the_bar(pack: Path, table: Path) -> None:
    """Each table as a whole: single rows move as the scorer learns, the bar does not."""
    assert score(pack, table, verbose=True) >= 0.95


DEV_C = PACKS / "dev-c"
C_NOW = "2027-10-06T10:15"  # the clock of dev-pack-c (tests/packs/dev-c/README.md)


@pytest.mark.parametrize("table", ["questions-c", "computed-c"])
def test_central_vietnam_tables_reach_the_bar(table: str) -> None:
    """dev-pack-c, written as citizens of Central Vietnam type, at its own clock."""
    assert score(DEV_C, DEV_C / f"{table}.csv", verbose=True, now=C_NOW) >= 0.95


def test_after_today_is_the_days_after_today() -> None:
    """'sau bữa ni thì khi mô xe về Triệu Phong': not today's visit, the next one."""
    today = dt.date(2027, 10, 6)
    for words in ("sau hom nay", "tu mai tro di", "qua hom nay"):
        when = parse_when(f"khi nao xe ve {words}", today)
        assert when is not None and when.start == dt.date(2027, 10, 7), words
        assert when.end > when.start
    engine = engine_for(str(DEV_C))
    now = dt.datetime.fromisoformat(C_NOW)
    answer = engine.ask("sau bữa ni thì khi mô xe về Triệu Phong nữa", now)
    assert answer.kind == "mobile_stops"
    assert "20/10" in answer.text and "06/10" not in answer.text


@pytest.mark.parametrize(
    ("words", "today", "start", "end"),
    [
        ("thu bay tuan sau", dt.date(2026, 12, 6), dt.date(2026, 12, 12), dt.date(2026, 12, 12)),
        ("thu bay", dt.date(2026, 12, 6), dt.date(2026, 12, 12), dt.date(2026, 12, 12)),
        ("thu bay nay", dt.date(2026, 12, 5), dt.date(2026, 12, 5), dt.date(2026, 12, 5)),
        ("chu nhat tuan sau", dt.date(2026, 12, 2), dt.date(2026, 12, 13), dt.date(2026, 12, 13)),
        ("ngay mai", dt.date(2026, 12, 31), dt.date(2027, 1, 1), dt.date(2027, 1, 1)),
        ("hom nay", dt.date(2027, 2, 28), dt.date(2027, 2, 28), dt.date(2027, 2, 28)),
        ("thang nay", dt.date(2026, 11, 30), dt.date(2026, 11, 30), dt.date(2026, 11, 30)),
        ("thang sau", dt.date(2026, 12, 15), dt.date(2027, 1, 1), dt.date(2027, 1, 31)),
        ("tuan sau", dt.date(2026, 12, 31), dt.date(2027, 1, 4), dt.date(2027, 1, 10)),
        ("cuoi tuan", dt.date(2026, 12, 2), dt.date(2026, 12, 5), dt.date(2026, 12, 6)),
        ("cuoi tuan", dt.date(2026, 12, 6), dt.date(2026, 12, 6), dt.date(2026, 12, 6)),
        ("ngay_26_3", dt.date(2026, 12, 2), dt.date(2027, 3, 26), dt.date(2027, 3, 26)),
        ("ngay_1_1", dt.date(2026, 12, 31), dt.date(2027, 1, 1), dt.date(2027, 1, 1)),
        ("thang 1", dt.date(2026, 12, 2), dt.date(2027, 1, 1), dt.date(2027, 1, 31)),
    ],
)
def test_date_words(words: str, today: dt.date, start: dt.date, end: dt.date) -> None:
    when = parse_when(words, today)
    assert when is not None
    assert (when.start, when.end) == (start, end)


def test_date_typed_by_people() -> None:
    e = dev()
    q = e.parse("thứ 7 tuần sau", dt.date(2026, 12, 6))
    assert q.when is not None and q.when.start == dt.date(2026, 12, 12)
    q = e.parse("ngày 26/3 có mở không", dt.date(2026, 12, 2))
    assert q.when is not None and q.when.start == dt.date(2027, 3, 26)
    assert e.parse("bây giờ có mở không", dt.date(2026, 12, 2)).when.now  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Khônggggg", "khong"),
        ("ĐỨC XUÂN", "duc xuan"),
        (unicodedata.normalize("NFD", "Thư viện"), "thu vien"),
        ("lưu động", "luu dong"),
    ],
)
def test_normalisation(text: str, folded: str) -> None:
    assert " ".join(t.fold for t in tokenize(text)) == folded
    assert fold(clean(text)).strip() == folded


@pytest.mark.parametrize(
    ("question", "kind", "first"),
    [
        ("thư viện tỉnh mấy h mở cửa", "library_hours", "thu-vien-tinh"),
        ("tv tinh t7 co mo k", "library_hours", "thu-vien-tinh"),
        ("thư viện ba bể hôm nay mở khônggggg", "library_hours", "thu-vien-ba-be"),
        (
            unicodedata.normalize("NFD", "giờ mở cửa thư viện tỉnh"),
            "library_hours",
            "thu-vien-tinh",
        ),
        ("sđt tthtcđ bằng vân", "center", "tthtcd-bang-van"),
        ("lop hok chu cho nguoi lon", "course", "xoa-mu-chu-ban-pieng"),
    ],
)
def test_typing_habits(question: str, kind: str, first: str) -> None:
    answer = dev().ask(question, NOW)
    assert answer.kind in ({kind, "courses"} if kind == "course" else {kind})
    assert first in answer.ids


def test_library_open_now_and_next_opening() -> None:
    e = dev()
    open_ = e.ask("thư viện tỉnh bây giờ có mở không", dt.datetime(2026, 12, 2, 9, 0))
    assert "Đang mở cửa" in open_.text
    noon = e.ask("thư viện tỉnh bây giờ có mở không", dt.datetime(2026, 12, 2, 12, 0))
    assert "đóng cửa" in noon.text and "13:30" in noon.text
    monday = e.ask("thư viện ba bể có mở không", dt.datetime(2026, 12, 7, 9, 0))
    assert "thứ Ba" in monday.text and "07:30" in monday.text


def test_timezone_aware_clock_is_converted() -> None:
    utc = dt.datetime(2026, 12, 2, 2, 0, tzinfo=ZoneInfo("UTC"))  # 09:00 in Hà Nội
    assert "Đang mở cửa" in dev().ask("thư viện tỉnh có đang mở không", utc).text


def test_closure_with_reason() -> None:
    answer = dev().ask("thư viện tỉnh ngày 15/2 có mở không", NOW)
    assert answer.kind == "library_hours"
    assert "15/02: nghỉ Tết Nguyên đán" in answer.text  # the reason once, not 'nghỉ (Nghỉ …)'


def test_mobile_repeating_visits_expanded() -> None:
    answer = dev().ask("xe thư viện có về chợ mới không", NOW)
    assert answer.kind == "mobile_stops" and answer.ids == ("cho-moi-thu-tu",)
    assert "09/12" in answer.text and "23/12" in answer.text


def test_mobile_tomorrow_across_year_end() -> None:
    answer = bim().ask("xe thư viện ngày mai ở đâu", dt.datetime(2027, 1, 1, 8, 0))
    assert answer.kind == "mobile_stops" and answer.ids[0] == "bac-son-2027-01-02"


def test_finished_course_says_so_and_points_to_next() -> None:
    answer = dev().render("course:chan-nuoi-ga", NOW)
    assert answer.kind == "course"
    assert "đã kết thúc" in answer.text and "Nuôi cá ao" in answer.text


def test_fee_wording() -> None:
    assert money(0) == "miễn phí"
    assert money(150000) == "150.000 đồng"
    assert "150.000 đồng" in dev().render("course:tin-hoc-van-phong", NOW).text


def test_topic_render_lists_the_classes_one_can_still_join() -> None:
    """The chicken class has ended by NOW: a topic's list shows the classes still open; the
    ended one answers when it is asked about by name, or about the past."""
    answer = dev().render("topic:chan-nuoi-thuy-san", NOW)
    assert answer.kind == "courses"
    assert answer.ids == ("nuoi-ca-ao",)
    assert [c.ref for c in answer.choices] == ["course:nuoi-ca-ao"]
    assert "chan-nuoi-ga" in dev().ask("lớp chăn nuôi gà còn học không", NOW).ids
    assert "chan-nuoi-ga" in dev().ask("các lớp chăn nuôi khóa trước", NOW).ids


@pytest.mark.parametrize("ref", ["", "faq:nope", "course:", "weird", "library:x:y"])
def test_unknown_ref_falls_back(ref: str) -> None:
    answer = dev().render(ref, NOW)
    assert answer.kind == "fallback" and answer.ids == ()
    assert "0209 3870 001" in answer.text


def test_render_each_kind() -> None:
    e = dev()
    assert e.render("faq:chung-chi", NOW).kind == "faq"
    assert e.render("center:tthtcd-duc-xuan", NOW).text.count("0209 3871 120") == 1
    assert e.render("library:phong-doc-yen-lac", NOW).kind == "library_hours"
    stop = e.render("stop:yen-lac-thu-bay", NOW)
    assert stop.kind == "mobile_stops" and "12/12" in stop.text


def test_pack_lexicon_applies() -> None:
    answer = bim().ask("tvtx mấy h đóng cửa", NOW)
    assert answer.kind == "library_hours" and answer.ids == ("tv-bim-son",)


def test_clarify_offers_buttons() -> None:
    answer = dev().ask("xe thư viện", NOW)
    if answer.kind == "clarify":
        assert 1 <= len(answer.choices) <= 3
        assert [c.ref.split(":", 1)[1] for c in answer.choices] == list(answer.ids)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_ask_never_raises(question: str) -> None:
    answer = dev().ask(question, NOW)
    assert answer.kind in {
        "faq",
        "course",
        "courses",
        "center",
        "library_hours",
        "mobile_stops",
        "clarify",
        "fallback",
        "greeting",
        "thanks",
        "help",
    }
    assert 0.0 <= answer.score <= 1.0


@pytest.mark.parametrize(
    "question",
    ["", " ", "\x00\x01", "😀" * 50, "a" * 5000, "東京の図書館", "ثلاثاء", "\u0301\u0300"],
)
def test_odd_inputs(question: str) -> None:
    answer = dev().ask(question, NOW)
    assert answer.kind == "fallback"


@pytest.mark.parametrize(
    ("question", "which"),
    [
        ("có lớp xóa mù chữ nào không", True),
        ("những lớp học miễn phí", True),
        ("lớp nào sắp khai giảng", True),
        ("lớp đó học ngày nào", False),  # when one class meets
        ("lớp dệt thổ cẩm học buổi nào", False),
        ("đăng ký lớp thế nào", False),
    ],
)
def test_which_classes_is_not_when_or_how(question: str, which: bool) -> None:
    from bot.understanding.intents.faq import which_class

    assert which_class(dev().parse(question, NOW.date()).folds) is which
