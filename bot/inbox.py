"""Group similar unanswered questions so staff deal with each phrasing once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from bot.messages import one_line
from bot.understanding.normalize import clean
from bot.wording import fold

if TYPE_CHECKING:
    from bot.pack.models import Pack
    from bot.understanding import Engine

SIMILAR = 80.0  # token_set_ratio on folded text; near-identical phrasings of one question


@dataclass(frozen=True)
class Group:
    """Questions that say the same thing: the most common phrasing first."""

    texts: tuple[str, ...]
    row_ids: tuple[int, ...]

    @property
    def text(self) -> str:
        return self.texts[0]

    @property
    def count(self) -> int:
        return len(self.row_ids)


def _key(text: str) -> str:
    return " ".join(fold(clean(text)).split())


def group_questions(rows: Sequence[tuple[int, str]]) -> list[Group]:
    """Greedy clustering of (row id, text); groups ordered by size, then first seen."""
    clusters: list[tuple[str, list[tuple[int, str]]]] = []
    for row_id, text in rows:
        key = _key(text)
        if not key:
            continue
        for head, members in clusters:
            if fuzz.token_set_ratio(key, head) >= SIMILAR:
                members.append((row_id, text))
                break
        else:
            clusters.append((key, [(row_id, text)]))
    groups = []
    for _, members in clusters:
        counts: dict[str, int] = {}
        for _, text in members:
            shown = one_line(text)
            counts[shown] = counts.get(shown, 0) + 1
        texts = tuple(sorted(counts, key=lambda t: -counts[t]))
        groups.append(Group(texts=texts, row_ids=tuple(r for r, _ in members)))
    return sorted(groups, key=lambda g: -g.count)


def faq_suggestions(engine: Engine, pack: Pack, question: str, now: dt.datetime) -> list[str]:
    """Up to three FAQ ids the question most likely belongs to.

    The engine's own picks come first (its answer or clarify list); the rest are the FAQs whose
    question or alternates are closest in wording, so staff always have something to choose.
    """
    answer = engine.ask(question, now)
    picks = [i for i in answer.ids if answer.kind in ("faq", "clarify") and pack.faq_entry(i)]
    texts = [(f.id, t) for f in pack.faq for t in (f.question, *f.alternates)]
    scored = process.extract(
        fold(question), [fold(t) for _, t in texts], scorer=fuzz.token_set_ratio, limit=12
    )
    for _, _, index in scored:
        faq_id = texts[index][0]
        if faq_id not in picks:
            picks.append(faq_id)
    return picks[:3]
