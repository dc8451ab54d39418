"""Answer, clarify or fall back, on the fitted model's probability of each candidate.

Every candidate (an FAQ entry, a class, a topic listing, a library's hours, mobile-library
visits, a centre, small talk) carries its intent's *evidence* score and a few named features
(see ``model.py``). The model turns them into ``p``, the probability that this candidate is the
right answer; the thresholds were calibrated on the same labelled tables when it was fitted:

- ``model.answer``: the most probable candidate at or above it is answered;
- ``model.clarify``: between it and ``model.answer`` the likely ones (at most
  ``MAX_SUGGESTIONS``, each at or above ``model.clarify``) are offered as choices;
- below ``model.clarify``: fallback with the pack's contact.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from bot.understanding.model import Model, featurize, shipped

MAX_SUGGESTIONS = 3
# A question of at most TERSE words ('mượn', 'thẻ thư viện') that two items match within TIE
# of each other has nothing more to tell them apart: the person chooses.
TERSE = 2
TIE = 0.05
# The choices offered are the items with at least this share of the leader's evidence.
SUGGEST_SHARE = 0.85


@dataclass(frozen=True)
class Candidate:
    """One possible answer: what kind, which item(s), the intent's evidence, its features and
    (once decided) the model's probability that it is right."""

    kind: str
    ref: str
    score: float
    features: Mapping[str, float] = field(default_factory=dict, compare=False)
    p: float = 0.0


@dataclass(frozen=True)
class Decision:
    """'answer' with the winner, 'clarify' with suggestions, or 'fallback'."""

    action: str
    best: Candidate | None
    suggestions: tuple[Candidate, ...] = ()


def weigh(
    candidates: list[Candidate], model: Model | None = None
) -> list[tuple[Candidate, dict[str, float]]]:
    """Every candidate with its probability set, and its full feature vector."""
    model = model or shipped()
    vectors = featurize([(c.ref, c.score) for c in candidates], [c.features for c in candidates])
    return [
        (replace(c, p=model.probability(v)), v) for c, v in zip(candidates, vectors, strict=True)
    ]


def decide(candidates: list[Candidate], model: Model | None = None) -> Decision:
    """Pick answer / clarify / fallback from the candidates' probabilities."""
    model = model or shipped()
    weighed = [c for c, _ in weigh(candidates, model)]
    ranked = sorted(weighed, key=lambda c: -c.score)
    distinct: list[Candidate] = []
    seen: set[str] = set()
    for c in ranked:
        if c.ref not in seen:
            seen.add(c.ref)
            distinct.append(c)
    if not distinct or distinct[0].p < model.clarify:
        return Decision("fallback", None)
    best = distinct[0]
    runner = distinct[1].score if len(distinct) > 1 else 0.0
    terse = best.features.get("words", TERSE + 1) <= TERSE
    if best.p >= model.answer and not (terse and best.score - runner < TIE):
        return Decision("answer", best)
    floor = best.score * SUGGEST_SHARE
    picks = tuple(c for c in distinct if c.score >= floor and c.ref)[:MAX_SUGGESTIONS]
    if len(picks) < 2:
        # One unsure reading is no choice: 'mua mật ong bạc hà' is not the bee-keeping class.
        return Decision("fallback", None)
    return Decision("clarify", best, picks)
