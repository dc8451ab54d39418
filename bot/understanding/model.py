"""The fitted model that turns every candidate's named features into a probability of being
the right answer, and the thresholds calibrated on it (``data/model.json``).

Each intent offers candidates with an *evidence* score (its own formula: how much of the
question the item explains, see ``intents.py`` and ``scoring.py``) and a few named features of
the question and the item. One logistic regression, fitted on every labelled question table of
the repository (``python -m tests.fitting --write``), weighs them into ``P(this candidate is
the right answer)``; ``decide()`` answers, offers choices or falls back on that probability.
``python -m tests.fitting --lopo`` prints the leave-one-pack-out accuracy: the model fitted on
every other pack, scored on the one left out.

The features, each with its reason:

- ``evidence``: the intent's score of the item (0..1), after its penalties (a service the item
  does not mention, a market price, a place's word asked of a class...);
- ``evidence_sq``: the same squared: a strong match counts more than linearly;
- ``gap``: evidence minus the best *other* item's: a lone winner is surer than one of a pair;
- ``runner_up``: the best other item's evidence: a close second means two readings;
- ``doc_cover``: for a text item, how much of the item's own words the question has (a long
  FAQ matched by one word of it is weak);
- ``foreign``: the question names a service outside the pack ('ngân hàng', 'biển số');
- ``price``: the question asks a market price ('giá vàng hôm nay');
- ``dated``: the question names a day or time ('chủ nhật', 'bữa ni');
- ``long``: the question is long (a story; more words left unexplained by any item);
- ``own_cue``: the question has a cue word of this kind of answer ('mở cửa' for hours, 'xe
  thư viện' for the van, 'lớp' for classes, 'trung tâm' for centres);
- ``other_cue``: it has one of another kind and none of this one ('cột cờ Lũng Cú mở cửa mấy
  giờ' asks hours: a class that shares the place's name is not the answer);
- ``kind_*``: what the item is (an FAQ entry, a class, a list of classes, a library's hours,
  the van's visits, a centre, small talk): each kind's evidence means a little differently.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

MODEL_FILE = Path(__file__).parent / "data" / "model.json"

KINDS = ("faq", "course", "courses", "library_hours", "mobile_stops", "center", "small_talk")
SMALL_TALK = frozenset({"greeting", "thanks", "help"})
FEATURES = (
    "evidence",
    "evidence_sq",
    "gap",
    "runner_up",
    "doc_cover",
    "foreign",
    "price",
    "dated",
    "long",
    "own_cue",
    "other_cue",
    *(f"kind_{k}" for k in KINDS),
)
LONG_WORDS = 14  # content words from which a message reads as a story


@dataclass(frozen=True)
class Model:
    """Weights of the named features, the intercept, and the calibrated thresholds."""

    weights: Mapping[str, float]
    intercept: float
    answer: float  # answer the most probable candidate at or above this probability
    clarify: float  # between this and ``answer``: offer the likely ones as choices
    fitted_on: Mapping[str, int] = field(default_factory=dict)

    def probability(self, features: Mapping[str, float]) -> float:
        z = self.intercept + sum(self.weights.get(k, 0.0) * v for k, v in features.items())
        if z < -30:
            return 0.0
        return 1.0 / (1.0 + math.exp(-z))

    def to_json(self) -> str:
        data = {
            "features": list(FEATURES),
            "weights": {k: round(self.weights.get(k, 0.0), 6) for k in FEATURES},
            "intercept": round(self.intercept, 6),
            "answer": round(self.answer, 4),
            "clarify": round(self.clarify, 4),
            "fitted_on": dict(self.fitted_on),
        }
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def from_json(text: str) -> Model:
    data = json.loads(text)
    unknown = set(data["weights"]) - set(FEATURES)
    if unknown:
        raise ValueError(f"model.json names features the engine does not compute: {unknown}")
    return Model(
        weights=data["weights"],
        intercept=data["intercept"],
        answer=data["answer"],
        clarify=data["clarify"],
        fitted_on=data.get("fitted_on", {}),
    )


@cache
def shipped() -> Model:
    """The model fitted on the repository's labelled tables (``data/model.json``)."""
    return from_json(MODEL_FILE.read_text(encoding="utf-8"))


def kind_features(kind: str) -> dict[str, float]:
    name = "small_talk" if kind in SMALL_TALK else kind
    return {f"kind_{k}": 1.0 if k == name else 0.0 for k in KINDS}


def featurize(
    evidence: Sequence[tuple[str, float]], extras: Sequence[Mapping[str, float]]
) -> list[dict[str, float]]:
    """The features of each candidate ``(ref, evidence)`` with its own ``extras``; ``gap`` and
    ``runner_up`` compare it with the best candidate for another item."""
    best: dict[str, float] = {}
    for ref, score in evidence:
        best[ref] = max(best.get(ref, 0.0), score)
    top = sorted(best.items(), key=lambda kv: -kv[1])[:2]
    out = []
    for (ref, score), extra in zip(evidence, extras, strict=True):
        other = next((s for r, s in top if r != ref), 0.0)
        features = {
            "evidence": score,
            "evidence_sq": score * score,
            "gap": score - other,
            "runner_up": other,
        }
        features.update(extra)
        out.append(features)
    return out
