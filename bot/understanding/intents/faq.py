"""FAQ entries, found by their words (the pack's questions, alternates, tags, answer opening)."""

from __future__ import annotations

import heapq
from operator import itemgetter

from bot.understanding import cues
from bot.understanding.base import EngineBase
from bot.understanding.intents.asked import Asked
from bot.understanding.weights import (
    FAQ_OFFERS,
    HOURS_FAQ_KEEP,
    WHICH_CLASS_FAQ_KEEP,
)

LEAST = 0.2  # an entry sharing less than this with the question is not offered
SCHEDULE_FAQ_KEEP = 0.9  # a date with a class, hours or van word asks for a schedule


def offer(engine: EngineBase, a: Asked, scores: dict[str, tuple[float, float]]) -> None:
    q = a.q
    offers = [
        (ref, score)
        for ref, (score, _) in scores.items()
        if score >= LEAST and ref.startswith("faq:")
    ]
    if len(offers) > FAQ_OFFERS:
        # decide() looks at the best few only; the rest would be sorted for nothing.
        keep = {ref for ref, _ in heapq.nlargest(FAQ_OFFERS, offers, key=itemgetter(1))}
        offers = [item for item in offers if item[0] in keep]
    # A date with a class, hours or van word asks for a schedule, not a policy entry.
    dated = q.when is not None and not q.when.now
    keep_share = 1.0
    if dated and (a.course_pos or a.hours_pos or a.mobile_strong):
        keep_share = SCHEDULE_FAQ_KEEP
    if a.mobile_strong and q.find(("lich", "lich trinh")):
        keep_share = SCHEDULE_FAQ_KEEP  # 'lịch xe thư viện': the timetable, not what the van is
    if (
        a.hours_pos
        and all(
            q.folds[i] in engine.cue_folds or q.folds[i] in engine.all_library_words
            for i in q.content
        )
        and not q.find(cues.CLOSURE)
    ):
        # Only opening hours and a library asked: the computed hours, not a policy entry.
        keep_share = min(keep_share, HOURS_FAQ_KEEP)
    if which_class(q.folds):
        # 'có lớp xóa mù chữ nào không': the classes themselves, not the entry about them.
        keep_share = min(keep_share, WHICH_CLASS_FAQ_KEEP)
    for ref, score in offers:
        a.offer("faq", ref, score * keep_share, cover=scores[ref][1])


# 'nào' after these asks how or when, not which: 'thế nào', 'ngày nào', 'khi nào', 'buổi nào'.
NOT_WHICH = frozenset(
    {"the", "ra", "sao", "ngay", "buoi", "khi", "luc", "gio", "hom", "tuan", "thang", "thu"}
)


def which_class(folds: tuple[str, ...]) -> bool:
    """'có lớp X nào', 'những lớp', 'các lớp' ask which classes (not 'thế nào' of 'đặt lịch
    thế nào', nor 'lớp đó học ngày nào', which asks when one class meets)."""
    for i, f in enumerate(folds):
        if f == "lop":
            if i > 0 and folds[i - 1] in ("nhung", "cac"):
                return True
            for j in range(i + 1, min(i + 5, len(folds))):
                if folds[j] == "nao" and folds[j - 1] not in NOT_WHICH:
                    return True
    return False
