"""Helpers for the understanding tests: load packs, score labelled question tables.

Run ``python -m tests.understanding_helpers PACK_DIR QUESTIONS.csv [NOW] [-v]`` to print the
misses and the accuracy, like the development scorer behind ``scripts/eval.sh`` but on
:class:`Engine` directly.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bot.pack.load import load_pack
from bot.understanding import Answer, Engine

PACKS = Path(__file__).parent / "packs"
DEV_PACK = PACKS / "dev"
DEV_QUESTIONS = PACKS / "dev-questions.csv"
BUNDLED_PACK = Path(__file__).parent.parent / "content"
LIST_KINDS = {"courses", "mobile_stops"}
SAME = {"course": {"course", "courses"}, "courses": {"course", "courses"}}


def matches(expected: str, answer: Answer) -> bool:
    """The same rule as score.py's ``matches`` on an Answer."""
    for alt in expected.split("|"):
        want_kind, _, want_id = alt.partition(":")
        if answer.kind not in SAME.get(want_kind, {want_kind}):
            continue
        if not want_id:
            return True
        if answer.kind in LIST_KINDS and want_id in answer.ids:
            return True
        if answer.ids and answer.ids[0] == want_id:
            return True
    return False


@cache
def engine_for(folder: str) -> Engine:
    """Build (once per test session) the engine of a pack folder."""
    pack, problems = load_pack(folder)
    assert pack is not None, problems
    return Engine.build(pack)


@dataclass(frozen=True)
class Row:
    """One labelled question."""

    question: str
    expected: str
    now: str


def read_table(path: Path | str, default_now: str = "2026-12-02T09:00") -> list[Row]:
    """Rows of a question table; an optional ``now`` column overrides the clock."""
    with open(path, encoding="utf-8") as f:
        return [
            Row(r["question"], r["expected"], (r.get("now") or default_now).strip())
            for r in csv.DictReader(f)
        ]


def holds_facts(must: str, text: str) -> bool:
    """score.py's ``must`` rule: every ;-separated fact, in one of its |-spellings."""
    low = text.casefold()
    facts = [f for f in (must or "").split(";") if f.strip()]
    return all(any(alt.strip().casefold() in low for alt in f.split("|")) for f in facts)


def score(
    folder: Path | str, table: Path | str, verbose: bool = False, now: str = "2026-12-02T09:00"
) -> float:
    """Accuracy of the engine on a labelled table, by score.py's rules: the expected kind and
    item, the ``must`` facts, no ``ids_not`` item; a ``dialogue`` column is read as conversations
    (each turn after the last answer kept, as ``hoctap ask --conversation`` does)."""
    engine = engine_for(str(folder))
    with open(table, encoding="utf-8") as f:
        raw = list(csv.DictReader(f))
    rows = read_table(table, now)
    right = 0
    context = None
    dialogue = None
    for row, cells in zip(rows, raw, strict=True):
        if cells.get("dialogue") != dialogue:
            context, dialogue = None, cells.get("dialogue")
        answer = engine.ask(row.question, dt.datetime.fromisoformat(row.now), context)
        if "dialogue" in cells and answer.context is not None:
            context = answer.context
        banned = {i for i in (cells.get("ids_not") or "").split(";") if i}
        ok = (
            matches(row.expected, answer)
            and holds_facts(cells.get("must") or "", answer.text)
            and not banned & set(answer.ids)
        )
        right += ok
        if verbose and not ok:
            print(
                f"MISS {row.question!r}: want {row.expected}, got {answer.kind} "
                f"{list(answer.ids)} {answer.score}"
            )
    return right / len(rows)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "-v"]
    clock = args[2] if len(args) > 2 else "2026-12-02T09:00"
    print(f"accuracy {score(args[0], args[1], '-v' in sys.argv, clock):.3f}")
