"""Answer, clarify or fall back: calibrated thresholds on the candidates' scores.

Every candidate (an FAQ entry, a class, a topic listing, a library's hours, mobile-library
visits, a centre, small talk) gets a score in 0..1 that already includes the penalty for the
question's words it does not explain ("giờ mở cửa ngân hàng": *ngân hàng* is unexplained).

A question naming a service or errand outside the pack (cues.FOREIGN: *ngân hàng*, *bưu điện*,
*lái xe*...) that the candidate's own text does not mention, or a market-price question ("giá
vàng hôm nay"), keeps only ``engine.FOREIGN_KEEP`` (0.45) of each candidate's score.

Calibration on 575 labelled questions: the dev set, tests/packs/*/questions.csv (bim-son,
cao-lanh, quang-ngai, ha-giang, nghe-an) and tests/packs/bundled-questions.csv on ``content/``;
reproduce with ``tests.understanding_helpers.calibration()``. The top score of the 465 in-scope
questions answered correctly is at least 0.549 (5th percentile 0.703); the top score of the 110
out-of-scope look-alikes is at most 0.479, none at or above ``CLARIFY``. Look-alikes are
usually dominated by one candidate (0.479 against 0.163), so dominance never lifts a score below
``CLARIFY`` into an answer; above it, a lone suggestion ``DOMINANCE`` ahead is answered. The
thresholds sit in that gap:

- ``ANSWER`` = 0.55: at or above it (and clear of the runner-up by ``MARGIN``) we answer;
- ``SURE`` = 0.70: at or above it we answer even when the runner-up is close;
- ``DOMINANCE`` = 0.15: a single suggestion at or above ``CLARIFY`` this far ahead is answered;
- ``CLARIFY`` = 0.50: between it and an answer we offer the best (at most 3) as buttons;
- below ``CLARIFY``: fallback with the pack's contact.
"""

from __future__ import annotations

from dataclasses import dataclass

ANSWER = 0.55  # lowest correct-answer score seen on the labelled tables: 0.549 (a lone pick)
SURE = 0.70
MARGIN = 0.08
CLARIFY = 0.50  # highest out-of-scope top score seen on the labelled tables: 0.479
DOMINANCE = 0.15  # a lone suggestion this far ahead of the runner-up is answered
MAX_SUGGESTIONS = 3


@dataclass(frozen=True)
class Candidate:
    """One possible answer: what kind, which item(s), how sure."""

    kind: str
    ref: str
    score: float


@dataclass(frozen=True)
class Decision:
    """'answer' with the winner, 'clarify' with suggestions, or 'fallback'."""

    action: str
    best: Candidate | None
    suggestions: tuple[Candidate, ...] = ()


def decide(candidates: list[Candidate]) -> Decision:
    """Pick answer / clarify / fallback from scored candidates."""
    ranked = sorted(candidates, key=lambda c: -c.score)
    distinct: list[Candidate] = []
    seen: set[str] = set()
    for c in ranked:
        if c.ref not in seen:
            seen.add(c.ref)
            distinct.append(c)
    if not distinct or distinct[0].score < CLARIFY:
        return Decision("fallback", None)
    best = distinct[0]
    runner = distinct[1].score if len(distinct) > 1 else 0.0
    if best.score >= SURE or (best.score >= ANSWER and best.score - runner >= MARGIN):
        return Decision("answer", best)
    picks = tuple(c for c in distinct if c.score >= CLARIFY and c.ref)[:MAX_SUGGESTIONS]
    if len(picks) == 1 and (best.score >= ANSWER or best.score - runner >= DOMINANCE):
        return Decision("answer", best)
    return Decision("clarify", best, picks)
