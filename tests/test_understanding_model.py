"""The engine's decision model: reproducible from the labelled tables, honest on unseen packs."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.understanding.model import FEATURES, Model, from_json, shipped
from tests.fitting import Question, collect, fit, leave_one_pack_out, tables
from tests.understanding_helpers import DEV_PACK, engine_for

NOW = dt.datetime(2026, 12, 2, 9, 0)


@pytest.fixture(scope="module")
def questions() -> list[Question]:
    return collect(tables())


def test_the_shipped_model_is_the_fit_of_the_repositorys_tables(
    questions: list[Question],
) -> None:
    """data/model.json is what ``python -m tests.fitting --write`` writes today: refit it when
    the engine's features or the tables change."""
    fresh = fit(questions)
    model = shipped()
    assert model.fitted_on == fresh.fitted_on
    for name in FEATURES:
        assert model.weights[name] == pytest.approx(fresh.weights[name], abs=1e-3), name
    assert model.intercept == pytest.approx(fresh.intercept, abs=1e-3)
    assert (model.answer, model.clarify) == pytest.approx((fresh.answer, fresh.clarify))
    assert 0 < model.clarify <= model.answer < 1


def test_leave_one_pack_out_is_at_least_090_on_every_pack(questions: list[Question]) -> None:
    lines: list[str] = []
    figures = leave_one_pack_out(lines.append, questions=questions)
    assert set(figures) == set(tables())
    assert len(figures) >= 8
    low = {pack: round(f, 3) for pack, f in figures.items() if f < 0.90}
    assert not low, "\n".join(lines)


def test_the_model_decides_what_the_engine_does() -> None:
    engine = engine_for(str(DEV_PACK))
    sure = engine.ask("thư viện tỉnh mở cửa mấy giờ", NOW)
    assert sure.kind == "library_hours"
    assert shipped().answer <= sure.score <= 1.0
    # The same candidates, with a model that never trusts them: the contact, not a guess.
    engine.model = Model(shipped().weights, shipped().intercept, answer=1.01, clarify=1.01)
    try:
        assert engine.ask("thư viện tỉnh mở cửa mấy giờ", NOW).kind == "fallback"
    finally:
        engine.model = shipped()


def test_a_model_file_naming_an_unknown_feature_is_refused() -> None:
    text = shipped().to_json().replace('"evidence":', '"evidense":', 1)
    with pytest.raises(ValueError, match="evidense"):
        from_json(text)


def test_the_engine_logs_at_debug_why_it_answered_or_fell_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine = engine_for(str(DEV_PACK))
    with caplog.at_level("DEBUG", logger="bot.understanding.intents"):
        engine.ask("thư viện tỉnh mở cửa mấy giờ", NOW)
        engine.ask("giá vàng hôm nay bao nhiêu", NOW)
    lines = [r.getMessage() for r in caplog.records]
    assert any(line.startswith("answer library:") and " p=" in line for line in lines), lines
    assert any(line.startswith("fallback:") for line in lines), lines
    with caplog.at_level("INFO", logger="bot.understanding.intents"):
        caplog.clear()
        engine.ask("thư viện tỉnh mở cửa mấy giờ", NOW)
    assert not caplog.records  # nothing of a citizen's question at the default level
