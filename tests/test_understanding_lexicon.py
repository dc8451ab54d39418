"""The general lexicon (bot/understanding/data/*.yaml), row by row, and how it reads messages."""

from __future__ import annotations

import pytest

from bot.understanding.lexicon import Entry, Lexicon, builtin
from bot.understanding.normalize import tokenize

LEX = Lexicon.build()
ENTRIES = builtin()


def _read(text: str, lexicon: Lexicon = LEX) -> str:
    return " ".join(t.acc for t in lexicon.apply(tokenize(text)))


def _first(short: str) -> Entry:
    return next(e for e in ENTRIES if e.short == short)


@pytest.mark.parametrize(
    "entry",
    # A key defined twice keeps its first meaning; test the one that is in force.
    list({e.short: e for e in reversed(ENTRIES)}.values()),
    ids=lambda e: e.short,
)
def test_every_entry_reads_as_its_meaning(entry: Entry) -> None:
    first = _first(entry.short)
    assert _read(entry.short) == _read(first.means) or _read(entry.short) == " ".join(
        t.acc for t in tokenize(first.means)
    )


@pytest.mark.parametrize(
    "short",
    sorted(
        {e.short for e in ENTRIES if e.accent_only and any(t.marked for t in tokenize(e.short))}
    ),
)
def test_accent_only_words_leave_the_unmarked_form_alone(short: str) -> None:
    plain = " ".join(t.fold for t in tokenize(short))
    if any(e.short == plain for e in ENTRIES):
        return  # the unmarked spelling is an entry of its own
    assert _read(plain) == plain


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        # Central
        ("xe thư viện chừ đang ở mô rứa", "xe thư viện bây giờ đang ở đâu vậy"),
        ("bữa ni có lớp chi học không", "hôm nay có lớp gì học không"),
        ("răng rứa", "sao vậy"),
        ("khi mô xe về", "khi nào xe về"),
        ("mạ con đi học được không", "mẹ con đi học được không"),
        # Southern
        ("tui hổng biết", "tôi không biết"),
        ("chừng nào xe ghé", "khi nào xe đến"),
        ("xài wifi có tốn tiền không", "dùng internet có mất tiền không"),
        ("bữa nay thư viện mở hông z", "hôm nay thư viện mở không vậy"),
        # Northern and everywhere
        ("bọn trẻ đọc sách", "thiếu nhi đọc sách"),
        ("e lỡ làm rớt cái thẻ thư viện", "em lỡ mất cái thẻ bạn đọc"),
        ("cấp tiền học cho cháu", "học bổng cho cháu"),
        ("xin giữ thêm ít bữa", "xin gia hạn vài ngày"),
        ("thằng cu nhà tui", "thiếu nhi nhà tôi"),
        ("lớp cho ông bà", "lớp cho người cao tuổi"),
        ("class English free weekend", "lớp tiếng anh miễn phí cuối tuần"),
    ],
)
def test_regional_and_everyday_words(typed: str, read: str) -> None:
    assert _read(typed) == read


def test_unmarked_words_that_mean_something_else_are_kept() -> None:
    # mo = mở (open), rang = rằng, chu = chữ: only the marked dialect forms are rewritten.
    assert _read("thu vien mo cua") == "thu vien mo cua"
    assert _read("rang sua") == "rang sua"
    assert _read("mu chu") == "mù chữ"
    assert _read("đi bể bơi") == "đi bể bơi"


def test_a_place_name_of_the_pack_wins_over_a_regional_word() -> None:
    plain = Lexicon.build()
    named = Lexicon.build(names=["Xã Na Rì"])
    assert _read("lop hoc o xa na ri", plain).endswith("vậy")
    assert _read("lop hoc o xa na ri", named).endswith("na ri")
    # Abbreviations are meant inside names too ('tv tỉnh').
    assert _read("tv tinh", Lexicon.build(names=["tv tỉnh"])) == "thư viện tinh"


def test_the_packs_own_lexicon_overrides_the_general_one() -> None:
    lex = Lexicon.build({"ri": "rì rào"})
    assert _read("ri", lex) == "rì rào"
