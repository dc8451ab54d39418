"""Fit the engine's decision model on every labelled table, and measure it leave-one-pack-out.

    python -m tests.fitting            the leave-one-pack-out table (the honest figure)
    python -m tests.fitting --write    fit on every pack, write bot/understanding/data/model.json

Every question of every labelled table is asked once with a recorder on the engine
(``Engine.trace``); each candidate an intent offered is kept with its named features
(``bot/understanding/model.py``) and labelled *right* when its answer matches the row's
``expected`` by score.py's rule. A logistic regression (scikit-learn) is fitted on those rows; the
two thresholds are then calibrated on the same questions: ``answer`` where accuracy is highest
while at least ``OOS_FLOOR`` of the out-of-scope questions still fall back, ``clarify`` as low
as it goes while at most ``CHOICES_COST`` more of them get choices instead (the widest band of
choices that hardly ever turns a right fallback into a useless question back).

Leave-one-pack-out: for each pack, the model is fitted and calibrated on every *other* pack's
questions and the engine, with that model, is scored on the pack left out by score.py's rules
(kind and item, ``must`` facts, ``ids_not``). A pack's questions are all its tables: the
table written with it, the regional held-out rows and, for dev-c, the computed-answer table.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.understanding import Answer
from bot.understanding.model import FEATURES, MODEL_FILE, Model
from tests.understanding_helpers import BUNDLED_PACK, PACKS, engine_for, holds_facts, matches

HELD = Path(__file__).parent / "heldout"
DEV_NOW = "2026-12-02T09:00"
C_NOW = "2027-10-06T10:15"  # dev-c's clock (tests/packs/dev-c/README.md)
# ... and the threshold of choices lets at most this share more of them into the band between
# the two (an out-of-scope question there gets a question back with choices, not the contact).
CHOICES_COST = 0.01
# Out of scope, a wrong answer misleads where a fallback gives the contact: the answer threshold
# keeps at least this share of the out-of-scope questions falling back.
OOS_FLOOR = 0.98
C = 1.0  # inverse regularisation strength of the logistic regression (scikit-learn's default)


@dataclass(frozen=True)
class Table:
    pack: Path
    path: Path
    now: str


def tables() -> dict[str, list[Table]]:
    """Every labelled question table of the repository, by the pack it is about."""
    regional = HELD / "regional"
    out: dict[str, list[Table]] = {
        "dev": [Table(PACKS / "dev", PACKS / "dev-questions.csv", DEV_NOW)],
        "dev-c": [
            Table(PACKS / "dev-c", PACKS / "dev-c" / "questions-c.csv", C_NOW),
            Table(PACKS / "dev-c", PACKS / "dev-c" / "computed-c.csv", C_NOW),
        ],
        "content": [
            Table(BUNDLED_PACK, PACKS / "bundled-questions.csv", DEV_NOW),
            Table(BUNDLED_PACK, regional / "content" / "questions.csv", DEV_NOW),
        ],
    }
    for pack in sorted(HELD.iterdir()):
        # Packs written blind, each with its questions and, maybe, its own clock.
        if (pack / "questions.csv").is_file():
            clock = pack / "clock"
            now = clock.read_text(encoding="utf-8").strip() if clock.is_file() else DEV_NOW
            out[pack.name] = [Table(pack, pack / "questions.csv", now)]
    for pack in sorted(PACKS.iterdir()):
        if (pack / "questions.csv").is_file():
            out[pack.name] = [Table(pack, pack / "questions.csv", DEV_NOW)]
            if (regional / pack.name / "questions.csv").is_file():
                out[pack.name].append(Table(pack, regional / pack.name / "questions.csv", DEV_NOW))
    return out


@dataclass
class Question:
    """One labelled question and, per engine call it made, its candidates' features."""

    group: str
    table: Table
    cells: dict[str, str]
    calls: list[list[tuple[dict[str, float], bool]]]

    @property
    def out_of_scope(self) -> bool:
        return self.cells["expected"] == "fallback"


def _rows(table: Table) -> list[dict[str, str]]:
    with open(table.path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _clock(table: Table, cells: dict[str, str]) -> dt.datetime:
    return dt.datetime.fromisoformat((cells.get("now") or table.now).strip())


def collect(groups: dict[str, list[Table]]) -> list[Question]:
    """Ask every question once, recording each candidate's features and whether it is right."""
    out: list[Question] = []
    for group, group_tables in groups.items():
        for table in group_tables:
            engine = engine_for(str(table.pack))
            for cells in _rows(table):
                engine.trace = []
                try:
                    engine.ask(cells["question"], _clock(table, cells))
                    trace = engine.trace
                finally:
                    engine.trace = None
                calls = []
                for weighed, resolve in trace:
                    rendered: dict[str, Answer] = {}
                    rows = []
                    for cand, features in weighed:
                        right = False
                        if cells["expected"] not in ("fallback", "clarify") and cand.ref:
                            if cand.ref not in rendered:
                                rendered[cand.ref] = resolve(cand.ref)
                            right = matches(cells["expected"], rendered[cand.ref])
                        rows.append((features, right))
                    calls.append(rows)
                out.append(Question(group, table, cells, calls))
    return out


def fit(questions: Iterable[Question]) -> Model:
    """A logistic regression on every candidate, and thresholds calibrated on the questions."""
    from sklearn.linear_model import LogisticRegression

    questions = list(questions)
    # One row per engine call: its leading candidate (the most evidence), right or not. The
    # model answers "is the leading candidate the answer?", which is what decide() asks of it.
    tops = [max(c, key=lambda fr: fr[0]["evidence"]) for q in questions for c in q.calls if c]
    xs = [[f.get(name, 0.0) for name in FEATURES] for f, _ in tops]
    ys = [int(r) for _, r in tops]
    lr = LogisticRegression(C=C, max_iter=5000)
    lr.fit(xs, ys)
    weights = dict(zip(FEATURES, (float(w) for w in lr.coef_[0]), strict=True))
    model = Model(weights, float(lr.intercept_[0]), 0.5, 0.5)
    answer, clarify = calibrate(model, questions)
    counts: dict[str, int] = {}
    for q in questions:
        counts[q.group] = counts.get(q.group, 0) + 1
    return Model(weights, model.intercept, answer, clarify, dict(sorted(counts.items())))


def _tops(model: Model, questions: list[Question]) -> list[tuple[float, bool, bool]]:
    """Per question: the most probable candidate's probability, whether it is right, and
    whether the question is out of scope (the best over the engine's calls, as the readings
    of a long message pick the surest)."""
    out = []
    for q in questions:
        best_p, best_right = 0.0, False
        for call in q.calls:
            if not call:
                continue
            features, right = max(call, key=lambda fr: fr[0]["evidence"])
            p = model.probability(features)
            if p > best_p:
                best_p, best_right = p, right
        out.append((best_p, best_right, q.out_of_scope))
    return out


def calibrate(model: Model, questions: list[Question]) -> tuple[float, float]:
    """``answer``: the threshold with the most questions right (answered right, or out of
    scope and fallen back) among those keeping ``OOS_FLOOR`` of the out-of-scope questions
    falling back; ``clarify``: the lowest threshold below it letting at most ``CHOICES_COST``
    more of them into the band of choices."""
    tops = _tops(model, questions)
    grid = [i / 100 for i in range(5, 96)]

    def right(answer: float, clarify: float) -> int:
        return sum((p >= answer and ok) or (oos and p < clarify) for p, ok, oos in tops)

    out = [p for p, _, oos in tops if oos]

    def kept(threshold: float, floor: float = OOS_FLOOR) -> bool:
        """Out-of-scope questions fall back at least ``floor`` of the time."""
        return sum(p < threshold for p in out) >= floor * len(out)

    safe = [a for a in grid if kept(a)] or grid[-1:]
    # The middle of the best plateau: a threshold at its edge would flip with one more row.
    top = max(right(a, a) for a in safe)
    plateau = [a for a in safe if right(a, a) == top]
    best = plateau[len(plateau) // 2]
    falling = sum(p < best for p in out) / max(1, len(out))
    clarify = min((c for c in grid if c <= best and kept(c, falling - CHOICES_COST)), default=best)
    return best, clarify


def score(
    tables_: Iterable[Table], model: Model, verbose: bool = False
) -> tuple[int, int, int, int]:
    """(right, asked, out-of-scope right, out-of-scope asked) of the engine with ``model``."""
    right = asked = oos_right = oos = 0
    for table in tables_:
        engine = engine_for(str(table.pack))
        previous, engine.model = engine.model, model
        try:
            for cells in _rows(table):
                answer = engine.ask(cells["question"], _clock(table, cells))
                banned = {i for i in (cells.get("ids_not") or "").split(";") if i}
                ok = (
                    matches(cells["expected"], answer)
                    and holds_facts(cells.get("must") or "", answer.text)
                    and not banned & set(answer.ids)
                )
                right += ok
                asked += 1
                if cells["expected"] == "fallback":
                    oos += 1
                    oos_right += ok
                if verbose and not ok:
                    print(
                        f"  MISS {cells['question']!r}: want {cells['expected']}, "
                        f"got {answer.kind} {list(answer.ids)} {answer.score}"
                    )
        finally:
            engine.model = previous
    return right, asked, oos_right, oos


def leave_one_pack_out(
    report: Callable[[str], None] = print,
    verbose: bool = False,
    questions: list[Question] | None = None,
) -> dict[str, float]:
    """Fit on every other pack, score the one left out; the accuracy of each pack."""
    groups = tables()
    if questions is None:
        questions = collect(groups)
    figures: dict[str, float] = {}
    total = [0, 0]
    for group in groups:
        model = fit(q for q in questions if q.group != group)
        right, asked, oos_right, oos = score(groups[group], model, verbose)
        figures[group] = right / asked
        total[0] += right
        total[1] += asked
        report(
            f"{group:16s} {right / asked:.3f} ({right}/{asked})  out of scope {oos_right}/{oos}"
            f"  answer≥{model.answer:.2f} clarify≥{model.clarify:.2f}"
        )
    report(f"{'all':16s} {total[0] / total[1]:.3f} ({total[0]}/{total[1]})")
    return figures


def main(argv: list[str]) -> int:
    if "--write" in argv:
        model = fit(collect(tables()))
        MODEL_FILE.write_text(model.to_json(), encoding="utf-8")
        print(f"wrote {MODEL_FILE}: answer≥{model.answer:.2f} clarify≥{model.clarify:.2f}")
        for name in FEATURES:
            print(f"  {name:18s} {model.weights[name]:+.3f}")
        print(f"  {'intercept':18s} {model.intercept:+.3f}")
        return 0
    print("leave-one-pack-out: fitted on every other pack, scored on this one")
    leave_one_pack_out(verbose="-v" in argv)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
