"""General facts of how people write, each with the rows that show it (not tuned to a table)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.pack.load import load_pack
from bot.understanding import Engine
from bot.understanding.answers import _in_part
from bot.understanding.clauses import readings
from bot.understanding.lexicon import with_ages
from bot.understanding.normalize import tokenize
from tests.understanding_helpers import DEV_PACK, PACKS, engine_for

NOW = dt.datetime(2026, 12, 2, 9, 0)


@pytest.mark.parametrize(
    ("text", "added"),
    [
        ("con tui 8 tuoi lam the duoc ko", "thiếu nhi"),
        ("bé nhà mình mới 4 tuổi", "thiếu nhi"),
        ("ông nội tui 78 tuổi mắt mờ", "người cao tuổi"),
        ("mẹ em hơn 40 tuổi chưa biết chữ", ""),
        ("lớp dành cho người trên 60 tuổi", "người cao tuổi"),
    ],
)
def test_an_age_says_who_is_meant(text: str, added: str) -> None:
    plain = [t.acc for t in tokenize(text)]
    read = [t.acc for t in with_ages(tokenize(text))]
    extra = read[: len(read)]
    for word in plain:
        extra.remove(word)
    assert " ".join(extra) == added
    if added:  # right after the age
        at = [t.fold for t in tokenize(text)].index("tuoi") + 1
        assert " ".join(read[at : at + len(added.split())]) == added


def test_the_asking_clause_of_a_short_message_is_read_alone() -> None:
    """'tối nay thư viện có mở hông, tan ca tui mới ghé được': the first clause asks."""
    parts = readings("tối nay thư viện tỉnh có mở hông, tan ca tui mới ghé được")
    assert parts == [
        "tối nay thư viện tỉnh có mở hông, tan ca tui mới ghé được",
        "tối nay thư viện tỉnh có mở hông",
    ]
    # Every clause asks, or none does: nothing to choose.
    assert readings("thư viện ở đâu, mấy giờ mở cửa") == ["thư viện ở đâu, mấy giờ mở cửa"]
    assert readings("cảm ơn nhiều, mình sẽ ghé") == ["cảm ơn nhiều, mình sẽ ghé"]
    answer = engine_for(str(DEV_PACK)).ask(
        "tối nay thư viện tỉnh có mở không, tan ca tui mới ghé được", NOW
    )
    assert answer.kind == "library_hours"


@pytest.mark.parametrize(
    "question",
    [
        "lỡ làm mất cuốn sách mượn của thư viện rồi, giờ tính sao",
        "giờ phải làm sao khi mất sách",
    ],
)
def test_gio_before_a_verb_is_now_not_opening_hours(question: str) -> None:
    answer = engine_for(str(DEV_PACK)).ask(question, NOW)
    assert answer.kind != "library_hours", answer.text


@pytest.mark.parametrize(
    "question",
    [
        "mua mat ong bac ha that o dau",
        "sầu riêng Ri6 bán cho thương lái giá bao nhiêu",
        "giá lúa thương lái mua bao nhiêu",
    ],
)
def test_buying_and_traders_prices_are_errands_of_the_market(question: str) -> None:
    engine = engine_for(str(PACKS / "ha-giang"))
    assert engine.price_asked(question)


def test_dance_and_season_are_not_buying() -> None:
    engine = engine_for(str(PACKS / "ha-giang"))
    assert not engine.price_asked("lop mua o dau")
    assert not engine.price_asked("lớp múa ở đâu")
    assert not engine.price_asked("mùa lũ thư viện có mở không")


def test_the_vans_name_is_not_a_library_the_pack_lacks() -> None:
    """'xe thư viện xuống chùa X': 'xuống' after 'xe thư viện' is where it goes, not the name
    of another library (as 'thư viện quốc gia' is)."""
    engine = engine_for(str(DEV_PACK))
    stop = engine.pack.stops[0]
    answer = engine.ask(f"xe thư viện xuống {stop.place} lần tới là bữa nào", NOW)
    assert answer.kind == "mobile_stops"
    assert stop.id in answer.ids


@pytest.mark.parametrize("place", ["trường nào", "ấp nào", "chợ nào"])
def test_the_van_asked_which_place_it_goes_to(place: str) -> None:
    answer = engine_for(str(DEV_PACK)).ask(f"thứ bảy này xe thư viện về {place}", NOW)
    assert answer.kind == "mobile_stops"


def test_new_classes_next_week() -> None:
    answer = engine_for(str(DEV_PACK)).ask("tuần sau có lớp nào mới khai giảng không", NOW)
    assert answer.kind in ("courses", "course")


@pytest.mark.parametrize("text", ["¹:H", "con 8¹ tuổi", "² giờ chiều", "lớp ³ giờ", "٣ giờ"])
def test_digits_of_other_scripts_never_crash(text: str) -> None:
    """'¹' is a digit to str.isdigit() but not to int(): numbers are read with isdecimal()."""
    answer = engine_for(str(DEV_PACK)).ask(text, NOW)
    assert answer.kind


def test_fog_is_weather_not_the_blind_readers() -> None:
    """'sương mù' is the weather: the 'mù' of blind readers must not read it as a library
    service ('đèo Mã Pì Lèng hôm nay có sương mù không')."""
    engine = engine_for(str(PACKS / "ha-giang"))
    assert engine.ask("đèo Mã Pì Lèng hôm nay có sương mù không", NOW).kind == "fallback"
    assert "sương mù" in " ".join(t.acc for t in engine.analyze("trời có sương mù không"))


@pytest.mark.parametrize(
    "question",
    [
        "thu vien ben yen lac thu bay co lam viec ko",  # where it is
        "in tai lieu o thu vien het bao nhieu",  # 'hết' (cost) right after 'thư viện'
        "thư viện tỉnh chiều nay mở không",
    ],
)
def test_a_word_after_thu_vien_that_names_no_library(question: str) -> None:
    """'thư viện bên Yến Lạc', 'thư viện hết bao nhiêu': prepositions, verbs and time words
    after 'thư viện' do not name a library the pack lacks (as 'thư viện quốc gia' does)."""
    engine = engine_for(str(DEV_PACK))
    assert engine.ask(question, NOW).kind != "fallback"
    assert engine.ask("thư viện quốc gia mở cửa mấy giờ", NOW).kind == "fallback"


def test_pass_is_the_wifi_password() -> None:
    engine = engine_for(str(DEV_PACK))
    assert "mật khẩu" in " ".join(t.acc for t in engine.analyze("wifi thu vien pass la gi"))
    assert engine.ask("wifi thu vien pass la j v ad", NOW).kind == "faq"


@pytest.mark.parametrize(
    "question",
    [
        "co nhung lop nao hoc buoi toi sau gio tan ca ko ad",
        "đi làm ca ngày, có lớp nào học buổi tối không",
        "tan làm rồi thì có lớp nào học tối không",
    ],
)
def test_the_end_of_a_shift_says_when_not_what(question: str) -> None:
    """Shift workers say when they are free ('sau giờ tan ca', 'ca ngày'): time, not subject."""
    engine = engine_for(str(DEV_PACK))
    q = engine.parse(question, NOW.date())
    assert {q.folds[i] for i in q.content} <= {"lop", "hoc", "nao", "roi"}
    assert engine.ask(question, NOW).kind == "courses"


def test_the_particle_before_whom_it_is_said_to() -> None:
    """'ở đâu vay ad': 'vay' is still the particle vậy when 'ad' follows it, not a loan."""
    engine = engine_for(str(DEV_PACK))
    q = engine.parse("xe thu vien bay gio dang o dau vay ad", NOW.date())
    assert "vay" not in {q.folds[i] for i in q.content}
    assert engine.ask("xe thu vien bay gio dang o dau vay ad", NOW).kind == "mobile_stops"
    loan = engine.parse("muon vay von lam ao ca", NOW.date())
    assert "vay" in {loan.folds[i] for i in loan.content}


def test_thanks_with_praise() -> None:
    answer = engine_for(str(DEV_PACK)).ask("Dạ cảm ơn bot nhiều nha, thông tin hữu ích quá", NOW)
    assert answer.kind == "thanks"


def test_wages_are_not_ours() -> None:
    answer = engine_for(str(DEV_PACK)).ask("tang ca chu nhat duoc tinh luong bao nhieu", NOW)
    assert answer.kind == "fallback"


def _with_second_run(pack_copy: Path) -> Engine:
    """The dev pack with a second run of its smartphone class, starting in January."""
    courses = pack_copy / "courses.yaml"
    text = courses.read_text(encoding="utf-8")
    first = text.split("\n- id: ", 1)[0]
    second = (
        first.replace("id: smartphone-nguoi-cao-tuoi", "id: smartphone-nguoi-cao-tuoi-k2")
        .replace("cho người cao tuổi", "cho người cao tuổi (khóa 2)")
        .replace("start_date: 2026-12-01", "start_date: 2027-01-11")
        .replace("end_date: 2026-12-18", "end_date: 2027-01-29")
    )
    courses.write_text(text.rstrip("\n") + "\n" + second.rstrip("\n") + "\n", encoding="utf-8")
    pack, problems = load_pack(pack_copy)
    assert pack is not None, problems
    return Engine.build(pack)


def test_a_later_run_replaces_an_ended_one(pack_copy: Path) -> None:
    """After khóa 1 has ended, 'lớp điện thoại cho người già còn mở không' means khóa 2; the
    ended run still answers when the question names what sets it apart, or the past."""
    engine = _with_second_run(pack_copy)
    after = dt.datetime(2026, 12, 28, 9, 0)  # khóa 1 ended on 18/12, khóa 2 starts 11/01
    asked = engine.ask("lớp dạy người cao tuổi dùng điện thoại thông minh còn mở không", after)
    assert asked.ids[:1] == ("smartphone-nguoi-cao-tuoi-k2",)
    before = dt.datetime(2026, 12, 2, 9, 0)  # both to come or running: no preference made
    assert engine.ask("lớp điện thoại thông minh cho người cao tuổi khóa 2", before).ids[:1] == (
        "smartphone-nguoi-cao-tuoi-k2",
    )


def test_a_list_leaves_out_ended_classes_unless_named() -> None:
    """'các lớp tin học': the classes one can still join; an ended class the question names
    stays in the list (marked as over)."""
    engine = engine_for(str(DEV_PACK))
    late = dt.datetime(2026, 12, 28, 9, 0)  # the smartphone class ended on 18/12
    listed = engine.ask("các lớp tin học", late)
    assert "smartphone-nguoi-cao-tuoi" not in listed.ids
    assert "tin-hoc-van-phong" in listed.ids
    named = engine.ask("lớp điện thoại thông minh cho người cao tuổi còn học không", late)
    assert "smartphone-nguoi-cao-tuoi" in named.ids


def test_a_visit_reaching_into_a_part_of_the_day_is_there_then() -> None:
    """A van visit counts for every part of the day it overlaps, not only the one it starts
    in: at 16:30-19:00 the van is there 'tối mai' too."""
    assert _in_part("16:30-19:00", "toi")
    assert _in_part("16:30-19:00", "chieu")
    assert not _in_part("16:30-19:00", "sang")
    assert not _in_part("07:00-10:30", "chieu")


def test_coming_to_a_library_on_a_day_asks_if_it_is_open() -> None:
    """'thứ 4 tuần sau dẫn con lên thư viện tỉnh được không': whether it is open that day."""
    engine = engine_for(str(DEV_PACK))
    answer = engine.ask("tuan sau dan con len thu vien tinh thu 4 dc ko", NOW)
    assert (answer.kind, answer.ids[:1]) == ("library_hours", ("thu-vien-tinh",))
    # Without a day it is not an hours question.
    assert engine.ask("dan con len thu vien tinh dc ko", NOW).kind != "library_hours"


def test_a_car_driving_licence_is_a_driving_schools_errand() -> None:
    """'học lái xe ô tô hạng B ở đâu rẻ': driving schools, not a class of ours (a forklift or
    road-safety class mentions 'lái xe' without making it one)."""
    answer = engine_for(str(DEV_PACK)).ask("lop hoc lai xe o to hang B o dau re", NOW)
    assert answer.kind == "fallback"
