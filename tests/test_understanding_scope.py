"""Out-of-scope look-alikes, van schedules, class filters and synonyms (general mechanisms)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.understanding import Engine
from tests.understanding_helpers import PACKS, engine_for, matches, score

NOW = dt.datetime(2026, 12, 2, 9, 0)
CONTENT = Path(__file__).parent.parent / "content"


def qn() -> Engine:
    """The Quảng Ngãi test pack's engine."""
    return engine_for(str(PACKS / "quang-ngai"))


@pytest.mark.parametrize(
    "question",
    [
        "giờ mở cửa bưu điện chủ nhật",
        "ngan hang nong nghiep mo cua thu 7 khong",
        "bệnh viện tỉnh ở đâu",
        "sđt công an xã",
        "học lái xe ô tô ở đâu",
        "giá vàng hôm nay",
        "gia toi hom nay bao nhieu 1 can",
        "giá cá ngừ hôm nay",
        "tàu ra đảo mấy giờ chạy",
        "xe buýt đi đức phổ mấy giờ",
        "nạp tiền điện thoại",
        "thời tiết ngày mai thế nào",
        "chợ trà bồng họp mấy giờ",
    ],
)
def test_foreign_services_fall_back(question: str) -> None:
    assert qn().ask(question, NOW).kind == "fallback"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # a foreign word the answer itself mentions is not foreign ('tàu cá' class, 'chợ cá' stop)
        ("an toàn trên tàu cá cho ngư dân", "course:an-toan-tau-ca"),
        ("xe thư viện có ra chợ cá Sa Huỳnh không", "mobile_stops:sa-huynh-thu-bay"),
        ("bán nông sản trên mạng", "course:ban-hang-online"),
        # the van with a date or a stop's place is its schedule, not the FAQ about it
        ("xe thư viện lưu động ngày mai đỗ ở đâu", "mobile_stops:tra-bong-2026-12-03"),
        ("xe thư viện có lên quảng trường Mỹ Khê không", "mobile_stops:my-khe-2027-01-16"),
        # a month lists the whole month
        ("lịch xe thư viện tháng này", "mobile_stops:tra-bong-2026-12-22"),
        # classes by commune ('ở xã X') and by date filter
        ("lớp học ở xã sơn hà", "courses:zalo-nguoi-lon"),
        ("các lớp miễn phí tháng 12", "courses"),
        # a library named with closure words: its hours and closures
        ("thư viện lý sơn nghỉ tết từ hôm nào đến hôm nào", "library_hours:tv-ly-son"),
        # synonyms: mù ~ khiếm thị, sách nghe ~ sách nói
        ("ông tôi bị mù có sách nghe được không", "faq:sach-chu-noi"),
        # help asked in other words
        ("bot giúp được những gì", "help"),
        ("bạn có thể làm gì", "help"),
    ],
)
def test_in_scope_paraphrases(question: str, expected: str) -> None:
    answer = qn().ask(question, NOW)
    assert matches(expected, answer), (answer.kind, answer.ids, answer.score)


def test_month_listing_is_not_cut_at_eight() -> None:
    answer = engine_for(str(CONTENT)).ask("lich xe thu vien luu dong thang nay", NOW)
    assert answer.kind == "mobile_stops"
    assert len(answer.ids) > 8


def test_unmarked_syllable_in_accented_question_is_literal() -> None:
    # 'may' (sew) typed without marks is not the question word 'mấy'.
    answer = engine_for(str(CONTENT)).ask("đăng ký học may công nghiệp thế nào", NOW)
    assert matches("course:may-cong-nghiep-cho-moi-k4", answer), (answer.kind, answer.ids)


def test_bundled_pack_blind_table() -> None:
    assert score(CONTENT, PACKS / "bundled-questions.csv") >= 0.92


def hg() -> Engine:
    """The Hà Giang pack's engine (was held out; now a development table)."""
    return engine_for(str(PACKS / "ha-giang"))


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # help asked of the assistant in other words ('cho' unmarked is not 'chợ' here)
        ("bạn giúp được gì cho tôi?", "help"),
        ("em giup gi duoc cho minh", "help"),
        ("bot hỗ trợ được những gì", "help"),
        # two letters swapped in a short syllable, read from its neighbour ('hco tap')
        ("trung tam hco tap yen minh o dau vay", "center:tthtcd-yen-minh"),
        # unmarked syllables read in context: 'cong dan hoc tap' as the FAQ has the pair
        ("dieu kien de dat cong dan hoc tap", "faq:cong-dan-hoc-tap"),
        # general library vocabulary: thẻ mượn sách ~ thẻ bạn đọc, dữ liệu ~ thông tin cá nhân
        ("em học lớp 8 muốn có thẻ mượn sách thì cần mang gì ạ", "faq:lam-the-thu-vien"),
        ("xoa het du lieu cua toi di", "faq:xoa-du-lieu"),
        ("đánh rơi mất thẻ bạn đọc rồi phải làm sao", "faq:cap-lai-the"),
        ("muốn nhận tin báo mỗi khi trung tâm mở lớp mới", "faq:nhan-thong-bao"),
        # books to read are the library's business, not a language class
        ("Có sách viết bằng tiếng Mông cho bà con đọc không?", "faq:sach-tieng-dan-toc"),
    ],
)
def test_general_vocabulary_and_typing(question: str, expected: str) -> None:
    answer = hg().ask(question, NOW)
    assert matches(expected, answer), (answer.kind, answer.ids, answer.score)


@pytest.mark.parametrize(
    "question",
    [
        # a place's short name after another noun names that place, not the library
        "gio mo cua cho phien dong van",
        "cột cờ Lũng Cú mở cửa mấy giờ",
        # a library the pack does not have, named explicitly
        "thu vien quoc gia ha noi mo cua may gio",
        # errands: a foreign phrase must be mentioned as a phrase ('đổi căn cước')
        "đổi căn cước công dân ở đâu",
        "sdt tram thu y xa yen minh",
        "mua mat ong bac ha that o dau",
    ],
)
def test_look_alike_places_fall_back(question: str) -> None:
    answer = hg().ask(question, NOW)
    assert answer.kind == "fallback", (answer.kind, answer.ids, answer.score)


def test_decide_answers_clarifies_or_falls_back_on_the_models_probability() -> None:
    from bot.understanding.decide import Candidate, decide
    from bot.understanding.model import Model

    # p = sigmoid(10 * evidence - 5): 0.55 -> 0.62, 0.45 -> 0.38, 0.52 -> 0.55.
    model = Model({"evidence": 10.0}, -5.0, answer=0.6, clarify=0.5)
    sure = decide([Candidate("faq", "faq:a", 0.55), Candidate("faq", "faq:b", 0.30)], model)
    assert (sure.action, sure.best and sure.best.ref) == ("answer", "faq:a")
    assert sure.best is not None and round(sure.best.p, 2) == 0.62
    close = decide([Candidate("faq", "faq:a", 0.52), Candidate("faq", "faq:b", 0.50)], model)
    assert close.action == "clarify"
    assert [c.ref for c in close.suggestions] == ["faq:a", "faq:b"]
    # One unsure reading is no choice to offer: the fallback, with the contact.
    lone = decide([Candidate("faq", "faq:a", 0.52), Candidate("faq", "faq:b", 0.20)], model)
    assert lone.action == "fallback"
    weak = decide([Candidate("faq", "faq:a", 0.45)], model)
    assert weak.action == "fallback"


def test_a_terse_question_two_items_match_alike_is_a_choice() -> None:
    """'mượn' alone matches the card, the loan period and the van nearly alike: ask which."""
    from bot.understanding.decide import Candidate, decide
    from bot.understanding.model import Model

    model = Model({"evidence": 10.0}, -5.0, answer=0.6, clarify=0.5)
    terse = {"words": 1.0}
    close = [Candidate("faq", "faq:a", 0.62, terse), Candidate("faq", "faq:b", 0.60, terse)]
    assert decide(close, model).action == "clarify"
    clear = [Candidate("faq", "faq:a", 0.70, terse), Candidate("faq", "faq:b", 0.60, terse)]
    assert decide(clear, model).action == "answer"
    longer = {"words": 5.0}  # more words: the model's own judgement
    said = [Candidate("faq", "faq:a", 0.62, longer), Candidate("faq", "faq:b", 0.60, longer)]
    assert decide(said, model).action == "answer"
