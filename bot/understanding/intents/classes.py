"""Classes and topics by their words, and the list of classes for a general question."""

from __future__ import annotations

from bot.understanding import cues, replies
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
# Two runs of one class ('… (khóa 1)', '… (khóa 2)'): titles sharing this much of their words.
SAME_CLASS = 0.7
# A run that has ended gives way to a later run scoring at most this much less, unless the
# question names what tells the ended one apart ('khóa 1') or asks about the past.
LATER_RUN_MARGIN = 0.15
TIE_BREAK = 0.01
# A class the question names: among the best matched, at most this far below the first.
NAMED_MARGIN = 0.1
NAMED_LEAST = 0.5


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
    _later_runs(engine, a, adjusted)
    topics = sorted((r for r in adjusted if r.startswith("topic:")), key=lambda r: -adjusted[r])
    listed: set[str] = set()
    if topics:
        ref = topics[0]
        courses = [c for c in pack.courses if c.topic == ref[6:]]
        if courses:
            topic = pack.topic(ref[6:])
            heading = f"Các lớp {topic.name}" if topic else "Các lớp"
            # The classes the question's words match best stay in the list even when they have
            # ended ('lớp bánh bột lọc còn học không': it is listed, marked as over).
            named = _named(adjusted)
            answer = engine._courses_answer(
                courses, today, heading, free_only, center_ids, q, now, named
            )
            a.offer("courses", ref, adjusted[ref], answer, cover=scores[ref][1])
            # An ended class the list leaves out stays a candidate of its own.
            left_out = {
                c.id
                for c in courses
                if c.id not in answer.ids and replies.status(c, today) == "finished"
            }
            listed = {
                f"course:{c.id}"
                for c in courses
                if c.id not in left_out
                and adjusted.get(f"course:{c.id}", 0.0) < adjusted[ref] + MORE_SPECIFIC
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


def _later_runs(engine: EngineBase, a: Asked, adjusted: dict[str, float]) -> None:
    """'lớp tin học văn phòng còn mở không' when khóa 1 has ended and khóa 2 is coming: the
    run that is not over is meant. The ended run keeps its place when the question names a word
    of its title the later one lacks ('khóa 1'), or speaks of the past ('khóa trước')."""
    q = a.q
    today = a.now.date()
    if q.find(cues.PAST):
        return
    asked = {q.folds[i] for i in q.content}
    pack = engine.pack
    ranked = [r for r in adjusted if r.startswith("course:")]
    for ended_ref in ranked:
        ended = pack.course(ended_ref[7:])
        if ended is None or replies.status(ended, today) != "finished":
            continue
        ended_words = engine.title_words[ended.id]
        for later_ref in ranked:
            later = pack.course(later_ref[7:])
            if later is None or later.id == ended.id or later.topic != ended.topic:
                continue
            if replies.status(later, today) == "finished" or later.start_date < ended.start_date:
                continue
            later_words = engine.title_words[later.id]
            shared = len(ended_words & later_words) / max(1, len(ended_words | later_words))
            if shared < SAME_CLASS or asked & (ended_words - later_words):
                continue
            high, low = adjusted[ended_ref], adjusted[later_ref]
            if 0 <= high - low <= LATER_RUN_MARGIN:
                adjusted[later_ref] = high
                adjusted[ended_ref] = min(low, high - TIE_BREAK)


def _named(adjusted: dict[str, float]) -> frozenset[str]:
    """Ids of the classes the question's words match best (within ``NAMED_MARGIN``)."""
    courses = {r[7:]: v for r, v in adjusted.items() if r.startswith("course:")}
    best = max(courses.values(), default=0.0)
    if best < NAMED_LEAST:
        return frozenset()
    return frozenset(c for c, v in courses.items() if v >= best - NAMED_MARGIN)
