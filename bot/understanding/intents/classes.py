"""Classes and topics by their words, and the list of classes for a general question."""

from __future__ import annotations

from bot.understanding import cues
from bot.understanding.base import EngineBase
from bot.understanding.intents.asked import NONE, Asked
from bot.understanding.weights import ERRAND_KEEP

# A class found without any class word in the question keeps this share of its score: more
# when the question has much of the class's own words ('nuôi tôm thẻ chân trắng').
NO_CLASS_WORD_KEEP = 0.85
NO_CLASS_WORD_WEAK_KEEP = 0.6
OTHER_CENTER_KEEP = 0.8  # a class of another centre than the one named
# A class wins over its topic's list only when its score is this much above the list's.
MORE_SPECIFIC = 0.04
LIST_DATED = 0.92  # 'lớp nào ở Cam Lộ', 'tuần sau có lớp gì': the list is the answer
LIST_PLAIN = 0.8  # 'có những lớp gì': the list, or an FAQ about classes


def offer(
    engine: EngineBase,
    a: Asked,
    scores: dict[str, tuple[float, float]],
    neutral: frozenset[int],
) -> None:
    q, now = a.q, a.now
    today = now.date()
    pack = engine.pack
    center_ids = a.center_ids
    errand = bool(q.find(cues.OPENING) or q.find(cues.WHERE) or a.book_pos)
    free_only = bool(q.find(("mien phi",)))
    adjusted = a.adjusted
    for ref, (score, d) in scores.items():
        if ref.startswith("faq:"):
            continue
        if not a.course_pos:
            score *= NO_CLASS_WORD_KEEP if d >= 0.5 else NO_CLASS_WORD_WEAK_KEEP
            if errand:
                # Opening hours or an address without a class word: a place, not a class.
                score *= ERRAND_KEEP
        course = pack.course(ref[7:]) if ref.startswith("course:") else None
        if course is not None and center_ids and course.center not in center_ids:
            score *= OTHER_CENTER_KEEP
        adjusted[ref] = score
    topics = sorted((r for r in adjusted if r.startswith("topic:")), key=lambda r: -adjusted[r])
    listed: set[str] = set()
    if topics:
        ref = topics[0]
        courses = [c for c in pack.courses if c.topic == ref[6:]]
        if courses:
            topic = pack.topic(ref[6:])
            heading = f"Các lớp {topic.name}" if topic else "Các lớp"
            answer = engine._courses_answer(courses, today, heading, free_only, center_ids, q, now)
            a.offer("courses", ref, adjusted[ref], answer, cover=scores[ref][1])
            listed = {
                f"course:{c.id}"
                for c in courses
                if adjusted.get(f"course:{c.id}", 0.0) < adjusted[ref] + MORE_SPECIFIC
            }
    for ref, score in adjusted.items():
        if ref.startswith("course:") and ref not in listed:
            a.offer("course", ref, score, cover=scores[ref][1])
    # A general question about classes ("lớp nào sắp khai giảng", "lớp miễn phí ở X").
    # 'lớp ở Cam Lộ mấy giờ', 'lớp nào học ngày nào': asking words do not make it specific.
    asking = a.hours_pos | a.when_ask | q.find(cues.SCHEDULE) | q.find(cues.DETAILS)
    rest = [i for i in q.content if i not in neutral and i not in asking]
    contact = bool(q.find(("so dien thoai", "dien thoai", "dia chi", "lien he")))
    dated = q.when is not None and not q.when.now
    if a.course_pos and pack.courses and not rest:
        a.offer(
            "courses",
            "@courses",
            LIST_DATED if (center_ids or dated) and not contact else LIST_PLAIN,
            engine._courses_answer(
                engine._filtered(q, center_ids, free_only, today)
                if q.when is None and q.part is None
                else pack.courses,
                today,
                "Các lớp học",
                free_only,
                center_ids,
                q,
                now,
            ),
            NONE,
        )
