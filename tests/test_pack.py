"""Pack validation: good packs pass; every kind of mistake is one clear line, all at once."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.pack import dump_pack, load_pack
from tests.conftest import BUNDLED_PACK, DEV_PACK


def _edit(folder: Path, name: str, change) -> None:  # type: ignore[no-untyped-def]
    path = folder / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _lines(folder: Path) -> list[str]:
    pack, problems = load_pack(folder)
    assert pack is None
    return [str(p) for p in problems]


def test_dev_pack_is_valid(dev_pack: Path) -> None:
    pack, problems = load_pack(dev_pack)
    assert problems == []
    assert pack is not None and len(pack.faq) == 15 and len(pack.stops) == 6


def test_bundled_pack_is_valid_and_rich_enough() -> None:
    pack, problems = load_pack(BUNDLED_PACK)
    assert problems == [], problems
    assert pack is not None
    assert len(pack.faq) >= 30 and all(f.alternates for f in pack.faq)
    assert len(pack.courses) >= 12 and len(pack.topics) >= 6
    assert len({c.center for c in pack.courses}) >= 3
    assert len(pack.libraries) >= 3 and any(lib.closures for lib in pack.libraries)
    assert len(pack.stops) >= 8 and len(pack.announcements) >= 3
    repeating = [s for s in pack.stops if s.weekly]
    assert repeating and max(s.weekly.until for s in repeating if s.weekly).year >= 2027


def _closed_for_a_holiday(pack, day: dt.date) -> list[str]:  # type: ignore[no-untyped-def]
    """The reasons, when every library is closed on ``day`` and one of them for a holiday."""
    from bot.pack.days import WEEKDAYS

    reasons = []
    for library in pack.libraries:
        closures = [c for c in library.closures if c.from_ <= day <= c.to]
        if not closures and WEEKDAYS[day.weekday()] in library.hours:
            return []  # this one is open
        reasons += [c.reason or "" for c in closures]
    return reasons


def test_the_bundled_van_does_not_run_when_every_library_is_closed_for_a_holiday() -> None:
    """Issue 20 item 11: the van was due at Thượng Minh on 01/01/2027, Tết Dương lịch."""
    pack, _ = load_pack(BUNDLED_PACK)
    assert pack is not None
    visits = [
        (day, stop.id)
        for stop in pack.stops
        for day in stop.visits(dt.date(2026, 1, 1), dt.date(2028, 12, 31))
    ]
    on_holidays = [
        (day, stop_id, reasons)
        for day, stop_id in visits
        if (reasons := _closed_for_a_holiday(pack, day))
        # Lunar new year: the van keeps the break it announces itself (mùng 1–3, checked below)
        and not any("Nguyên đán" in r for r in reasons)
    ]
    assert on_holidays == []
    assert not [v for v in visits if v[0] == dt.date(2027, 1, 1)]
    assert (dt.date(2026, 12, 31), "nvh-thuong-minh-2026-12-31") in visits  # moved, not lost
    tet = [v for v in visits if dt.date(2027, 2, 6) <= v[0] <= dt.date(2027, 2, 8)]
    assert tet == []
    said = [f.answer for f in pack.faq] + [a.body for a in pack.announcements]
    assert any("xe thư viện lưu động nghỉ từ 06/02 đến 08/02" in text for text in said)


def test_the_bundled_pack_gives_one_number_for_the_provincial_library() -> None:
    import re

    text = "\n".join(p.read_text(encoding="utf-8") for p in BUNDLED_PACK.glob("*.yaml"))
    assert set(re.findall(r"0209 3870 2\d\d", text)) == {"0209 3870 226"}
    pack, _ = load_pack(BUNDLED_PACK)
    assert pack is not None
    audio = next(f for f in pack.faq if "sách nói" in f.question.lower())
    assert "0209 3870 226" in audio.answer


CASES = [
    (
        "courses.yaml",
        lambda d: d[0].update(colour="red"),
        "courses.yaml: smartphone-nguoi-cao-tuoi: 'colour': tên trường lạ",
    ),
    (
        "courses.yaml",
        lambda d: d[1].update(topic="khong-co"),
        "courses.yaml: tin-hoc-van-phong: chủ đề (topic): không có chủ đề nào mang mã 'khong-co'",
    ),
    (
        "courses.yaml",
        lambda d: d[1].update(center="tt-ma"),
        "courses.yaml: tin-hoc-van-phong: nơi học (center): "
        "không có trung tâm nào mang mã 'tt-ma'",
    ),
    (
        "topics.yaml",
        lambda d: d[0].update(id="Tin Học"),
        "topics.yaml: Tin Học: mã (id): mã 'Tin Học'",
    ),
    (
        "courses.yaml",
        lambda d: d[2].update(end_date="2026-11-01"),
        "courses.yaml: trong-rau-huu-co: ngày kết thúc (end_date): ngày kết thúc 2026-11-01 trước",
    ),
    (
        "courses.yaml",
        lambda d: d[2].update(start_date="2026-13-01"),
        "courses.yaml: trong-rau-huu-co: ngày khai giảng (start_date): "
        "'2026-13-01' không có tháng 13",
    ),
    (
        "courses.yaml",
        lambda d: d[3].update(time="13:30-25:00"),
        "courses.yaml: trong-cam-quyt: giờ (time): giờ không tồn tại trong '13:30-25:00'",
    ),
    (
        "libraries.yaml",
        lambda d: d[0]["hours"].update(mon=["11:30-07:30"]),
        "libraries.yaml: thu-vien-tinh: khoảng giờ thứ 1 trong giờ mở cửa thứ Hai (hours: mon): "
        "giờ kết thúc phải sau giờ bắt đầu",
    ),
    (
        "libraries.yaml",
        lambda d: d[0]["hours"].update(mon=["7h30-11h"]),
        "libraries.yaml: thu-vien-tinh: khoảng giờ thứ 1 trong giờ mở cửa thứ Hai (hours: mon): "
        "khoảng giờ '7h30-11h' phải có dạng",
    ),
    (
        "libraries.yaml",
        lambda d: d[0]["hours"].update(mond=["07:30-11:30"]),
        "libraries.yaml: thu-vien-tinh: giờ mở cửa (hours): 'mond' không phải tên thứ; dùng mon",
    ),
    (
        "faq.yaml",
        lambda d: d[1].update(id=d[0]["id"]),
        "faq.yaml: lam-the-ban-doc: mã (id): 'lam-the-ban-doc' trùng mã",
    ),
    (
        "faq.yaml",
        lambda d: d[0].pop("answer"),
        "faq.yaml: lam-the-ban-doc: câu trả lời (answer): chưa điền",
    ),
    (
        "mobile_library.yaml",
        lambda d: d["stops"][3].pop("weekly"),
        "mobile_library.yaml: yen-lac-thu-bay: ngày (date): cần 'date' (xe đến một lần",
    ),
    (
        "mobile_library.yaml",
        lambda d: d["stops"][3]["weekly"].pop("until"),
        "mobile_library.yaml: yen-lac-thu-bay: lần cuối (until) của lịch lặp lại (weekly): "
        "chưa điền",
    ),
    (
        "announcements.yaml",
        lambda d: d[0].update(course="khong-co-lop"),
        "announcements.yaml: khai-giang-smartphone: lớp học (course): không có lớp học nào",
    ),
    (
        "announcements.yaml",
        lambda d: d[0].update(publish_at="ngày mai"),
        "announcements.yaml: khai-giang-smartphone: thời điểm gửi (publish_at): "
        "'ngày mai' không phải là ngày giờ",
    ),
    (
        "pack.yaml",
        lambda d: d.update(timezone="Asia/Hanoi_X"),
        "pack.yaml: pack: múi giờ (timezone): múi giờ",
    ),
]


@pytest.mark.parametrize(("file", "change", "expected"), CASES)
def test_each_mistake_is_one_clear_line(pack_copy: Path, file: str, change, expected: str) -> None:  # type: ignore[no-untyped-def]
    _edit(pack_copy, file, change)
    lines = _lines(pack_copy)
    assert any(line.startswith(expected) for line in lines), lines
    assert all(line.count(": ") >= 3 for line in lines)


def test_every_problem_is_reported_at_once(pack_copy: Path) -> None:
    for file, change, _ in CASES[:5]:
        _edit(pack_copy, file, change)
    _edit(pack_copy, "faq.yaml", lambda d: d[0].pop("answer"))
    lines = _lines(pack_copy)
    assert len(lines) >= 6
    assert len({line.split(": ")[0] for line in lines}) >= 3


def test_yaml_syntax_error_names_the_line(pack_copy: Path) -> None:
    (pack_copy / "faq.yaml").write_text("- id: a\n  question: [unclosed\n", encoding="utf-8")
    lines = _lines(pack_copy)
    assert lines[0].startswith("faq.yaml: -: -: lỗi cú pháp YAML ở dòng")


def test_wrong_shapes_and_unknown_files(pack_copy: Path) -> None:
    (pack_copy / "faq.yaml").write_text("question: not a list\n", encoding="utf-8")
    (pack_copy / "courses.yml").write_text("[]\n", encoding="utf-8")
    (pack_copy / "pack.yaml").unlink()
    lines = _lines(pack_copy)
    assert "faq.yaml: -: -: tệp phải là một danh sách các mục (- id: ...)" in lines
    assert any(line.startswith("courses.yml: -: -: tệp lạ") for line in lines)
    assert "pack.yaml: -: -: thiếu tệp pack.yaml (bắt buộc)" in lines


def test_not_utf8_and_missing_folder(pack_copy: Path, tmp_path: Path) -> None:
    (pack_copy / "faq.yaml").write_bytes("- id: a\n  question: Th\xec\n".encode("latin-1"))
    assert "faq.yaml: -: -: tệp không phải UTF-8" in _lines(pack_copy)
    assert _lines(tmp_path / "nope")[0].endswith("không phải là một thư mục")


def test_nfd_text_is_stored_nfc(pack_copy: Path) -> None:
    import unicodedata

    _edit(
        pack_copy,
        "topics.yaml",
        lambda d: d[0].update(name=unicodedata.normalize("NFD", "Tin học")),
    )
    pack, _ = load_pack(pack_copy)
    assert pack is not None and pack.topics[0].name == "Tin học"


def test_dump_then_load_is_lossless(dev_pack: Path, tmp_path: Path) -> None:
    pack, _ = load_pack(dev_pack)
    assert pack is not None
    dump_pack(pack, tmp_path / "out")
    again, problems = load_pack(tmp_path / "out")
    assert problems == [] and again == pack


def test_repeating_stop_expands_visits(dev_pack: Path) -> None:

    pack, _ = load_pack(dev_pack)
    assert pack is not None
    stop = pack.stop("yen-lac-thu-bay")
    assert stop is not None
    visits = stop.visits(dt.date(2026, 12, 1), dt.date(2027, 1, 31))
    assert visits[:3] == [dt.date(2026, 12, 12), dt.date(2026, 12, 26), dt.date(2027, 1, 9)]
    assert all((b - a).days == 14 for a, b in itertools.pairwise(visits))
    assert stop.visits(dt.date(2027, 7, 1), dt.date(2027, 12, 31)) == []


def test_weekly_first_off_its_weekday_starts_on_the_next_one(pack_copy: Path) -> None:

    # 2026-11-26 is a Thursday; the stop runs on Saturdays every two weeks from then on.
    _edit(
        pack_copy,
        "mobile_library.yaml",
        lambda d: d["stops"][3]["weekly"].update(first="2026-11-26"),
    )
    pack, problems = load_pack(pack_copy)
    assert problems == [] and pack is not None
    stop = pack.stop("yen-lac-thu-bay")
    assert stop is not None
    assert stop.visits(dt.date(2026, 11, 1), dt.date(2026, 12, 31)) == [
        dt.date(2026, 11, 28),
        dt.date(2026, 12, 12),
        dt.date(2026, 12, 26),
    ]


IMPOSSIBLE = [
    "2027-02-30",
    "2026-12-32",
    "2026-13-01",
    "2026-00-10",
    "07/12/2026",
    "31/02/2027",
    "2026-11-25T25:00",
    "2026-02-29T08:00",
    "2026-12-01T00:00",
    "9999-99-99",
    "0000-01-01",
    "2026-1-1",
    "2026-12-01 08:00",
]


def _mutations() -> st.SearchStrategy[tuple[str, int, str, object]]:
    values = st.one_of(
        st.none(),
        st.integers(-5, 10**12),
        st.floats(allow_nan=True),
        st.text(max_size=30),
        st.lists(st.text(max_size=5), max_size=3),
        st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
        st.sampled_from(["25:00-26:00", "2026-02-30", "x" * 300, "mon", "", "Đ", "-a", "a--b"]),
        # impossible dates and moments, as typed or as a spreadsheet gives them
        st.sampled_from(IMPOSSIBLE),
        st.dates(),
        st.datetimes(),
        # impossible numbers
        st.sampled_from([float("inf"), float("-inf"), 10**30, -(10**30), 1e308, 2**63, -1, 0]),
        st.builds(
            "{}-{}-{}".format, st.integers(-1, 10000), st.integers(-1, 99), st.integers(-1, 99)
        ),
    )
    files = st.sampled_from(
        [
            "topics.yaml",
            "centers.yaml",
            "courses.yaml",
            "libraries.yaml",
            "faq.yaml",
            "announcements.yaml",
        ]
    )
    keys = st.sampled_from(
        [
            "id",
            "name",
            "topic",
            "center",
            "start_date",
            "end_date",
            "time",
            "weekdays",
            "fee",
            "capacity",
            "hours",
            "closures",
            "alternates",
            "publish_at",
            "question",
            "answer",
            "location",
            "bogus",
            "course",
            "topics",
        ]
    )
    return st.tuples(files, st.integers(0, 5), keys, values)


@settings(max_examples=150, deadline=None)
@given(st.lists(_mutations(), min_size=1, max_size=4))
def test_mutated_packs_give_problems_never_exceptions(mutations: list) -> None:  # type: ignore[type-arg]
    from bot.pack.load import parse_pack, read_pack_files

    raw, problems = read_pack_files(DEV_PACK)
    assert problems == []
    for file, index, key, value in mutations:
        items = raw[file]
        if items:
            items[index % len(items)][key] = value
    pack, problems = parse_pack(raw)
    assert (pack is None) == bool(problems)
    assert all(str(p).count(": ") >= 3 for p in problems)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(["start_date", "end_date"]),
    st.integers(0, 10000),
    st.integers(0, 99),
    st.integers(0, 99),
    st.sampled_from(["{y:04d}-{m:02d}-{d:02d}", "{y}-{m}-{d}", "{d}/{m}/{y}"]),
)
def test_any_date_typed_into_a_yaml_file_gives_a_line_never_an_exception(
    tmp_path_factory: pytest.TempPathFactory, key: str, y: int, m: int, d: int, form: str
) -> None:
    """Written unquoted into the file, as staff type it: the YAML reader must not raise."""
    folder = tmp_path_factory.mktemp("pack")
    for path in DEV_PACK.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    typed = form.format(y=y, m=m, d=d)
    courses = folder / "courses.yaml"
    text = courses.read_text(encoding="utf-8")
    courses.write_text(text.replace(f"{key}: 2026-12-", f"{key}: {typed} #", 1), encoding="utf-8")
    pack, problems = load_pack(folder)
    assert (pack is None) == bool(problems)
    assert all(str(p).count(": ") >= 3 for p in problems)
    try:
        real = form != "{d}/{m}/{y}" and dt.date(y, m, d) is not None
    except ValueError:
        real = False
    if not real:  # the line names what was typed
        assert any(typed in str(p) for p in problems), problems


def test_numbers_too_big_for_the_database_are_refused(pack_copy: Path) -> None:
    _edit(pack_copy, "courses.yaml", lambda d: d[0].update(fee=10**30, capacity=2**63))
    _edit(pack_copy, "libraries.yaml", lambda d: d[0]["location"].update(lat=float("nan")))
    lines = _lines(pack_copy)
    assert any("học phí (fee): " in x and "quá lớn: tối đa 1000000000" in x for x in lines)
    assert any("số chỗ (capacity): " in x and "quá lớn" in x for x in lines)
    assert any("vĩ độ (lat) của tọa độ (location): nan: cần một số thật" in x for x in lines)


def test_publish_time_with_an_offset_becomes_pack_local(pack_copy: Path) -> None:

    _edit(pack_copy, "announcements.yaml", lambda d: d[0].update(publish_at="2026-11-25T01:00Z"))
    pack, problems = load_pack(pack_copy)
    assert problems == [] and pack is not None
    assert pack.announcements[0].publish_at == dt.datetime(2026, 11, 25, 8, 0)


def test_year_zero_names_what_was_typed(pack_copy: Path) -> None:
    """Python's own 'year 0 is out of range' named nothing; the line names the value."""
    path = pack_copy / "courses.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("start_date: 2026-12-", "start_date: 0000-01-01 #", 1), "utf-8")
    lines = _lines(pack_copy)
    assert any("'0000-01-01' không có năm 0" in line for line in lines), lines
