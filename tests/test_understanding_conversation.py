"""The engine reads a message after the last answer (Context): follow-ups, lists, corrections.

On the dev pack (clock 2026-12-02 09:00, a Wednesday). The channels keep the context; here it
is passed by hand, turn by turn, as ``hoctap ask --conversation`` does.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest

from bot.understanding import Answer, Context, Engine
from tests.understanding_helpers import DEV_PACK, PACKS, engine_for, score

DIALOGUES = sorted(p for p in PACKS.iterdir() if (p / "dialogues.csv").is_file())


@pytest.mark.parametrize("pack", DIALOGUES, ids=lambda p: p.name)
def test_own_conversation_tables_reach_the_bar(pack: Path) -> None:
    """Conversations in each region's speech (Southern, Central, Northern), turn after turn."""
    assert score(pack, pack / "dialogues.csv", verbose=True) >= 0.9


def test_central_vietnam_conversations_reach_the_bar() -> None:
    """dev-pack-c's conversations, written by people who never saw the engine, at its clock."""
    dev_c = PACKS / "dev-c"
    assert score(dev_c, dev_c / "dialogues-c.csv", verbose=True, now="2027-10-06T10:15") >= 0.9


NOW = dt.datetime(2026, 12, 2, 9, 0)


def talk(*turns: str, engine: Engine | None = None) -> list[Answer]:
    """Answers to the turns of one conversation, each read after the last answer kept."""
    e = engine or engine_for(str(DEV_PACK))
    context: Context | None = None
    out = []
    for turn in turns:
        answer = e.ask(turn, NOW, context)
        out.append(answer)
        if answer.context is not None:
            context = answer.context
    return out


def test_a_new_day_for_the_same_library() -> None:
    first, second = talk("thư viện tỉnh mở cửa mấy giờ", "thế còn chủ nhật?")
    assert first.kind == second.kind == "library_hours"
    assert second.ids == first.ids
    assert "Chủ nhật" in second.text or "chủ nhật" in second.text


def test_the_same_question_about_another_library() -> None:
    e = engine_for(str(DEV_PACK))
    libs = e.pack.libraries
    first, second = talk(f"{libs[0].name} chủ nhật có mở không", f"vậy còn {libs[1].name}?")
    assert first.ids == (libs[0].id,)
    assert second.kind == "library_hours" and second.ids == (libs[1].id,)


def test_an_item_of_the_list_by_its_position() -> None:
    listing, second = talk("xe thư viện tuần sau đi những đâu", "cái thứ hai")
    assert listing.kind == "mobile_stops" and len(listing.ids) >= 2
    assert second.kind == "mobile_stops"
    assert second.ids[0] == listing.ids[1]


def test_an_attribute_of_the_class_just_shown() -> None:
    e = engine_for(str(DEV_PACK))
    course = next(c for c in e.pack.courses if c.fee > 0)
    first, second = talk(f"lớp {course.title}", "học phí bao nhiêu")
    assert course.id in first.ids
    assert second.kind == "course" and second.ids == (course.id,)
    assert f"{course.fee:,}".replace(",", ".") in second.text


def test_a_complete_new_question_does_not_inherit() -> None:
    first, second = talk("thư viện tỉnh mở cửa mấy giờ", "xe thư viện lưu động tuần sau đi đâu")
    assert first.kind == "library_hours"
    assert second.kind == "mobile_stops"


def test_out_of_scope_stays_out_of_scope_after_a_class() -> None:
    _, second = talk("có lớp tin học nào không", "giờ mở cửa ngân hàng nông nghiệp")
    assert second.kind == "fallback"


def test_a_correction_names_the_item_meant() -> None:
    e = engine_for(str(DEV_PACK))
    libs = e.pack.libraries
    _, second = talk(f"{libs[0].name} thứ bảy có mở không", f"không, ý tôi là {libs[1].name}")
    assert second.kind == "library_hours" and second.ids == (libs[1].id,)


def test_without_context_a_vague_follow_up_is_not_guessed() -> None:
    answer = engine_for(str(DEV_PACK)).ask("cái thứ hai", NOW)
    assert answer.kind in ("fallback", "clarify")


def test_context_round_trips_through_json() -> None:
    (first,) = talk("xe thư viện tuần sau đi những đâu")
    assert first.context is not None
    again = Context.from_json(first.context.to_json())
    assert again == first.context
    assert Context.from_json({"kind": 3}) is None
    assert Context.from_json("nonsense") is None


def test_context_expires_after_the_quiet_period() -> None:
    (first,) = talk("thư viện tỉnh mở cửa mấy giờ")
    assert first.context is not None
    quiet = dt.timedelta(minutes=30)
    assert not first.context.expired(NOW + dt.timedelta(minutes=29), quiet)
    assert first.context.expired(NOW + dt.timedelta(minutes=31), quiet)


def test_small_talk_and_fallback_keep_nothing() -> None:
    thanks, fallback = talk("cảm ơn nhiều nghe", "xổ số miền bắc hôm nay")
    assert thanks.kind == "thanks" and thanks.context is None
    assert fallback.kind == "fallback" and fallback.context is None


def test_an_exception_inside_is_logged_and_raised_under_tests(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    e = engine_for(str(DEV_PACK))

    def broken(*args: object, **kwargs: object) -> Answer:
        raise RuntimeError("boom")

    monkeypatch.setattr(e, "_read", broken)
    with pytest.raises(RuntimeError):
        e.ask("giờ mở cửa", NOW)
    monkeypatch.setattr(Engine, "raise_errors", False)
    with caplog.at_level(logging.ERROR, logger="bot.understanding.engine"):
        answer = e.ask("giờ mở cửa thư viện", NOW)
    assert answer.kind == "fallback"
    assert "giờ mở cửa thư viện" in caplog.text and "boom" in caplog.text
