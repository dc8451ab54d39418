"""General facts of how people write, each with the rows that show it (not tuned to a table)."""

from __future__ import annotations

import datetime as dt

import pytest

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
