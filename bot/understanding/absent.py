"""A class asked for that does not exist ('lớp nuôi dê'): say so first, then the nearest."""

from __future__ import annotations

from bot.understanding import cues, replies
from bot.understanding.answer import Answer
from bot.understanding.base import EngineBase
from bot.understanding.parsing import Parsed
from bot.understanding.weights import (
    MISSING_WEIGHT,
)


class Absent(EngineBase):
    """Honest 'no such class' (mixed into :class:`Engine`)."""

    def _subject_missing(self, q: Parsed, ref: str) -> str | None:
        """'có lớp nuôi dê không' answered with fish classes: the words after the class word
        that no class of the answer has ('dê'), as typed, or None when all are covered."""
        starts = sorted(q.find(("lop", "khoa hoc", "hoc nghe")))
        if not starts:
            return None
        first = starts[-1] + 1
        while first < len(q.tokens) and q.folds[first] in ("hoc", "day", "ve"):
            first += 1  # 'lớp học tiếng Hàn', 'lớp dạy nấu ăn'
        subject: list[int] = []
        for i in range(first, min(first + 4, len(q.tokens))):
            if i not in q.content or q.folds[i] in cues.SUBJECT_STOPS:
                break
            subject.append(i)
        if not subject:
            return None
        # Missing from every class of the pack, not only from those answered: 'dê' when no
        # class of the pack is about goats ('lúa' is there when any class has it).
        words = self.course_words
        accents = self.course_accents
        missing = [
            i
            for i in subject
            if q.folds[i] not in words or (q.tokens[i].marked and q.tokens[i].acc not in accents)
        ]
        if not missing or all(self.weight(q, i) < MISSING_WEIGHT for i in missing):
            return None
        return " ".join(q.tokens[i].acc for i in subject)

    def _none_like(self, subject: str, answer: Answer) -> Answer:
        """Say first that there is no such class, then offer the nearest ones found."""
        head = f"Hiện chưa có lớp {subject}."
        body = answer.text
        if answer.kind in ("course", "courses") and answer.ids:
            body = (
                "Các lớp gần nhất với câu hỏi của bạn:\n" + body.split("\n", 1)[-1]
                if (answer.kind == "courses")
                else "Lớp gần nhất với câu hỏi của bạn:\n" + body
            )
        contact = replies.contact_line(self.pack)
        text = "\n".join(x for x in (head, body, contact) if x)
        return Answer(answer.kind, answer.ids, answer.score, text, answer.choices)
