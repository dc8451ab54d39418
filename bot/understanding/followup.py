"""Reading a message in the light of the last answer (issue: conversations).

"thế còn chủ nhật?" after a library's hours, "học phí bao nhiêu?" after a class, "cái thứ hai"
after a list, "vậy còn thư viện thiếu nhi?" after hours of another library, "không, ý tôi là …":
the message alone is vague, the last answer says what it is about. The engine answers the
message on its own first; :func:`resolve` then decides whether it is a follow-up and, if so,
answers it again *with* what it refers to: the item shown (its name and the kind of question
asked) or, when the message names a new item of the same kind, the kind of question and the date
words in force. A complete new question stands on its own; an out-of-scope one is not rescued by
the context.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import TYPE_CHECKING

from bot.understanding import clauses, cues
from bot.understanding.answer import Answer
from bot.understanding.context import Context
from bot.wording import fold

if TYPE_CHECKING:
    from bot.understanding.engine import Engine
    from bot.understanding.parsing import Parsed

# Words that mark a message as leaning on the last answer.
MARKERS = (
    "the con",
    "vay con",
    "con",
    "thi sao",
    "thi rang",
    "the nao",
    "roi sao",
    "nua",
    "khac",
    "do",
    "day",
    "kia",
    "luc do",
    "cai do",
    "lop do",
    "o do",
    "cho do",
    "rua",
    "vay",
)
# A vague message has at most this many content words of its own (after time and function words).
VAGUE_WORDS = 3
# A standalone answer the fitted model answers on its own (at or above its calibrated answer
# threshold, engine.model.answer), to a message that names its own item, is a change of subject.
# Ordinals into the list just shown ('cái thứ hai', 'lớp đầu tiên', 'cái cuối', 'số 2').
_ORDINAL_WORDS = {"nhat": 0, "mot": 0, "hai": 1, "ba": 2, "bon": 3, "tu": 3, "nam": 4, "sau": 5}
_ORDINAL_RE = re.compile(
    r"\b(?:cai|lop|cho|diem|so|muc|y|thu vien|chuyen|lan|tram|noi)\s+"
    r"(?:thu\s+(nhat|hai|ba|bon|tu|nam|sau|\d)|(dau tien|dau|cuoi cung|cuoi)|(\d))\b"
)
_BARE_NUMBER_RE = re.compile(r"^\s*(?:so\s+)?(\d)\s*$")
# Prefixes naming the kind of question asked, per answer kind.
INTENT = {
    "library_hours": "giờ mở cửa",
    "mobile_stops": "lịch xe thư viện lưu động",
    "courses": "lớp học",
    "course": "lớp học",
    "center": "trung tâm học tập cộng đồng",
}


def ordinal(folded: str, count: int) -> tuple[int, tuple[int, int]] | None:
    """(index into the list, span of the ordinal words) for 'cái thứ hai' / 'số 2' / '2'."""
    if count <= 0:
        return None
    m = _BARE_NUMBER_RE.match(folded)
    if m is not None:
        k = int(m.group(1)) - 1
        return (k, m.span()) if 0 <= k < count else None
    m = _ORDINAL_RE.search(folded)
    if m is None:
        return None
    word, end, digit = m.group(1), m.group(2), m.group(3)
    if end:
        k = count - 1 if end.startswith("cuoi") else 0
    elif digit or (word and word.isdecimal()):
        k = int(digit or word) - 1
    else:
        k = _ORDINAL_WORDS.get(word or "", -1)
    return (k, m.span()) if 0 <= k < count else None


def _refs(context: Context) -> list[str]:
    refs = [r for r in context.slots.get("refs", "").split("|") if r]
    if refs:
        return refs
    prefix = {
        "courses": "course:",
        "course": "course:",
        "mobile_stops": "stop:",
        "library_hours": "library:",
        "center": "center:",
        "faq": "faq:",
    }.get(context.kind)
    return [f"{prefix}{i}" for i in context.ids] if prefix else []


def _item_phrase(engine: Engine, ref: str, context: Context) -> str:
    """Words that name an item so the engine finds it again ('lớp Chằm nón lá')."""
    pack = engine.pack
    kind, _, item = ref.partition(":")
    if kind == "library" and (lib := pack.library(item)):
        return f"giờ mở cửa {lib.name}"
    if kind == "course" and (course := pack.course(item)):
        return f"lớp {course.title}"
    if kind == "topic" and (topic := pack.topic(item)):
        return f"lớp {topic.name}"
    if kind == "center" and (center := pack.center(item)):
        return center.name
    if kind == "stop" and (stop := pack.stop(item)):
        return f"lịch xe thư viện lưu động {stop.commune}"
    if kind == "faq" and (f := engine.faq_by_id.get(item)):
        return f.question
    if ref == "@libraries":
        return "thư viện nào mở cửa"
    if ref == "@mobile":
        stop_ref = context.slots.get("stop", "")
        stop = pack.stop(stop_ref.partition(":")[2]) if stop_ref else None
        return "lịch xe thư viện lưu động" + (f" {stop.commune}" if stop else "")
    if ref == "@courses":
        center_ref = context.slots.get("center", "")
        center = pack.center(center_ref.partition(":")[2]) if center_ref else None
        return "các lớp học" + (f" ở {center.name}" if center else "")
    return ""


def _subject(engine: Engine, context: Context, dated: bool = False) -> str:
    """The item the last answer was about (one item, or the list's own subject)."""
    ref = context.slots.get("ref", "")
    refs = _refs(context)
    if context.slots.get("focus"):
        return context.slots["focus"]
    if ref.startswith("@") and dated:
        return ref  # 'thế chủ nhật thì sao' after 'hôm nay có lớp chi': the same general question
    if context.kind in ("course", "courses", "center") and len(context.ids) == 1 and refs:
        return refs[0] if context.kind != "center" else ref or refs[0]
    if context.kind == "mobile_stops" and context.slots.get("stop"):
        return context.slots["stop"]
    if context.kind == "library_hours" and len(context.ids) == 1:
        return f"library:{context.ids[0]}"
    if context.kind == "center" and context.ids:
        return f"center:{context.ids[0]}"
    return ref


def _own_items(engine: Engine, q: Parsed) -> set[str]:
    """Kinds of item the message names itself ('library', 'center', 'stop')."""
    return {
        prefix.rstrip(":") for prefix in ("library:", "center:", "stop:") if engine.hits(q, prefix)
    }


def _own_words(engine: Engine, q: Parsed) -> int:
    """How many content words of its own a message has (not cue, time or function words)."""
    return sum(
        1 for i in q.content if q.folds[i] not in engine.cue_folds and engine.weight(q, i) > 0.5
    )


def resolve(
    engine: Engine, question: str, now: dt.datetime, context: Context, alone: Answer
) -> Answer | None:
    """The answer to ``question`` as a follow-up of ``context``, or None to keep ``alone``."""
    corrected = clauses.correction(question)
    text = corrected or question
    folded = fold(text)
    q = engine.parse(text, now.date())
    refs = _refs(context)
    # 'cái thứ hai học ở đâu': an item of the list shown, then the rest of the message about it.
    hit = ordinal(folded, len(refs)) if len(folded) == len(text) else None
    if hit is not None:
        k, (a, b) = hit
        rest = (text[:a] + " " + text[b:]).strip(" ,.?")
        chosen = refs[k]
        if not rest or not engine.parse(rest, now.date()).content:
            return engine.render_local(chosen, now)
        answer = engine.ask_alone(f"{_item_phrase(engine, chosen, context)} {rest}", now)
        return _prefer(engine, answer, chosen, now)
    # 'cái ở Tân Hội', 'lớp ở Cam Lộ mấy giờ': the one item of the list at the place named.
    placed = _by_place(engine, q, refs)
    if placed is not None:
        answer = engine.ask_alone(f"{_item_phrase(engine, placed, context)} {text}", now)
        return _prefer(engine, answer, placed, now)
    if alone.kind == "fallback" and (engine.foreign(q, []) or engine.price_asked(text)):
        return None  # 'bão số 7 chừ tới đâu': out of scope, whatever came before
    if alone.kind in ("greeting", "thanks", "help"):
        return None
    marked = bool(q.find(MARKERS)) or corrected is not None
    own_words = _own_words(engine, q)
    own = _own_items(engine, q)
    confident = alone.kind not in ("fallback", "clarify") and alone.score >= engine.model.answer
    family = {"library_hours": "library", "center": "center", "mobile_stops": "stop"}.get(
        context.kind
    )
    same_family = bool(family and family in own)
    if confident and own_words and not marked:
        return None  # a complete new question: a change of subject
    if alone.kind == "fallback" and own_words and not marked:
        return None  # words of its own the engine does not know: not a guess from context
    if confident and own_words and corrected is not None and not same_family:
        return None  # a correction that names what it means on its own
    if own_words > VAGUE_WORDS and not marked and alone.kind != "fallback":
        return None
    intent = INTENT.get(context.kind, "")
    when = context.slots.get("when", "")
    other = bool(q.find(("khac", "nua"))) and context.kind in ("course", "courses")
    exclude = {f"course:{i}" for i in context.ids} if other else set()
    subject = ""
    if same_family:
        # 'vậy còn thư viện thiếu nhi?': the same question about another item.
        has_when = q.when is not None or q.part is not None
        prefix = " ".join(x for x in (intent, "" if has_when else when) if x)
        answer = engine.ask_alone(f"{prefix} {text}", now)
    elif context.kind == "faq" and own_words:
        # 'còn gia đình thì sao' after 'công dân học tập': a sibling entry, not the same one.
        phrase = _item_phrase(engine, context.slots.get("ref", ""), context)
        previous = {context.slots.get("ref", "")}
        answer = engine.ask_alone(text, now, previous)
        if answer.kind in ("clarify", "fallback"):
            answer = engine.ask_alone(f"{text} {phrase}", now, previous)
    elif other and own & {"center", "stop"}:
        # 'còn lớp nào khác ở Mỹ Trà không': the classes at that place, without those shown.
        answer = engine.ask_alone(f"các lớp học ở {_place_name(engine, q)}", now, exclude)
        if answer.kind == "courses":
            answer = _without(engine, answer, context)
    else:
        dated = q.when is not None
        subject = _topic_of(engine, context) if other else _subject(engine, context, dated)
        phrase = _item_phrase(engine, subject, context) if subject else ""
        if not phrase:
            return None
        again = q.find(("sau", "nua", "tiep", "khac", "lan toi"))
        carry = context.slots.get("when", "")
        if carry and q.when is None and not again and context.kind == "mobile_stops":
            text = f"{text} {carry}"  # 'mấy giờ tới' of the visit on the day just asked
        answer = engine.ask_alone(f"{phrase} {text}", now, exclude)
        if other and answer.kind == "courses":
            answer = _without(engine, answer, context)
        elif subject and not other:
            answer = _prefer(engine, answer, subject, now)
    if answer.kind == "fallback":
        return None
    if answer.kind == "clarify" and alone.kind not in ("fallback", "clarify"):
        return None
    return answer


def _by_place(engine: Engine, q: Parsed, refs: list[str]) -> str | None:
    """The single class or visit of the list shown at the centre, commune or stop named."""
    if len(refs) < 2:
        return None
    places = {h.ref for prefix in ("center:", "stop:") for h in engine.hits(q, prefix)}
    if not places:
        return None
    communes = set()
    for ref in places:
        kind, _, item = ref.partition(":")
        center = engine.pack.center(item) if kind == "center" else None
        stop = engine.pack.stop(item) if kind == "stop" else None
        communes.add(fold((center.commune if center else stop.commune if stop else "") or ""))
    found = []
    for ref in refs:
        kind, _, item = ref.partition(":")
        if kind == "course" and (course := engine.pack.course(item)):
            center = engine.pack.center(course.center)
            if f"center:{course.center}" in places or (
                center and fold(center.commune or "") in communes
            ):
                found.append(ref)
        elif (
            kind == "stop"
            and (stop := engine.pack.stop(item))
            and (ref in places or fold(stop.commune) in communes)
        ):
            found.append(ref)
    return found[0] if len(found) == 1 else None


def _place_name(engine: Engine, q: Parsed) -> str:
    """The commune of the centre or stop a message names, as the pack writes it."""
    for prefix in ("center:", "stop:"):
        for hit in engine.hits(q, prefix):
            kind, _, item = hit.ref.partition(":")
            center = engine.pack.center(item) if kind == "center" else None
            stop = engine.pack.stop(item) if kind == "stop" else None
            commune = center.commune if center else stop.commune if stop else ""
            if commune:
                return commune
    return ""


def _topic_of(engine: Engine, context: Context) -> str:
    """The topic of the classes just shown ('còn lớp … nào khác')."""
    for i in context.ids:
        course = engine.pack.course(i)
        if course is not None:
            return f"topic:{course.topic}"
    return context.slots.get("ref", "")


def _prefer(engine: Engine, answer: Answer, ref: str, now: dt.datetime) -> Answer:
    """A list or a clarify that holds the item being talked about: that item's own answer."""
    item = ref.partition(":")[2]
    if (
        answer.kind in ("courses", "clarify")
        and item in answer.ids
        and ref.startswith(("course:", "library:", "center:"))
    ):
        return engine.render_local(ref, now)
    return answer


def _without(engine: Engine, answer: Answer, context: Context) -> Answer:
    """'còn lớp nào khác không': the list without the classes already shown."""
    shown = set(context.ids)
    keep = [i for i in answer.ids if i not in shown]
    if not keep or len(keep) == len(answer.ids):
        return answer
    lines = answer.text.split("\n")
    kept_lines = [
        line
        for line in lines
        if not any(
            (c := engine.pack.course(i)) is not None and line.startswith(f"- {c.title}")
            for i in shown
        )
    ]
    choices = tuple(c for c in answer.choices if c.ref.partition(":")[2] not in shown)
    kept = answer.context
    if kept is not None:
        slots = {k: v for k, v in kept.slots.items() if k != "focus"}
        slots["refs"] = "|".join(c.ref for c in choices)
        kept = dataclasses.replace(kept, ids=tuple(keep), slots=slots)
    return dataclasses.replace(
        answer, ids=tuple(keep), text="\n".join(kept_lines), choices=choices, context=kept
    )


__all__ = ["cues", "ordinal", "resolve"]
