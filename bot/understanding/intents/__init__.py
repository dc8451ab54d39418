"""Every intent offers candidates for a question; the model decides; the answer is rendered.

One module per intent, each reading the question once read (:class:`asked.Asked`) and offering
candidates with their evidence and features:

- ``small_talk``: greetings, thanks, what the assistant can do;
- ``libraries``: a library's address and phone, its opening hours (computed from the data);
- ``van``: the mobile library's visits;
- ``centers``: a learning centre's address and phone;
- ``faq``: the pack's FAQ entries by their words;
- ``classes``: classes, topics' lists of classes, the list for a general question.

Then ``decide()`` (the fitted model, ``model.py``) answers, offers choices or falls back, and
``_reply`` turns the decision into the reply (an absent class said plainly, the one class of
a list a detail is asked about).
"""

from __future__ import annotations

import datetime as dt
import logging

from bot.understanding import cues
from bot.understanding.answer import Answer
from bot.understanding.base import EngineBase
from bot.understanding.decide import Decision, decide, weigh
from bot.understanding.intents import centers, classes, faq, libraries, small_talk, van
from bot.understanding.intents.asked import Asked
from bot.understanding.model import SMALL_TALK
from bot.understanding.weights import FOCUS_CARD_MARGIN

log = logging.getLogger(__name__)


class Intents(EngineBase):
    """The candidates of every intent for one question (mixed into :class:`Engine`)."""

    def _ask(
        self, question: str, now: dt.datetime, exclude: frozenset[str] = frozenset()
    ) -> Answer:
        q = self.parse(question, now.date())
        if not q.tokens:
            return self.fallback()
        a = Asked.read(self, question, now, q)
        small_talk.offer(self, a)
        a.settle_names(self)
        libraries.offer_contact(self, a)
        libraries.offer_hours(self, a)
        van.offer(self, a)
        centers.offer(self, a)
        # FAQ entries, classes and topics by their words (one pass over the index for both).
        a.center_ids = {h.ref.split(":", 1)[1] for h in a.center_hits}
        filters = frozenset().union(*(h.positions for h in a.center_hits))
        neutral = (
            a.course_pos | (a.fee_pos if a.course_pos else frozenset()) | filters | a.center_pos
        )
        class_scores, faq_scores = self.text_scores(
            q, [neutral, frozenset()], [("course:", "topic:"), ("faq:",)], a.foreign
        )
        faq.offer(self, a, faq_scores)
        classes.offer(self, a, class_scores, neutral)

        cands = [c for c in a.cands if c.ref not in exclude] if exclude else a.cands
        if self.trace is not None:
            self.trace.append((weigh(cands, self.model), lambda ref: self._planned(a, ref)))
        decision = decide(cands, self.model)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s", _why(decision, len(cands)))
        return self._reply(a, decision)

    def _planned(self, a: Asked, ref: str) -> Answer:
        """The answer a candidate stands for."""
        if ref[:1] == "@" and ref[1:] in SMALL_TALK:
            return self._small_talk(ref[1:])
        return a.plans.get(ref) or self.render_local(ref, a.now)

    def _reply(self, a: Asked, decision: Decision) -> Answer:
        q, now = a.q, a.now
        if decision.action == "fallback" or decision.best is None:
            return self.fallback()
        if decision.action == "clarify":
            top_ref = decision.best.ref
            if top_ref.startswith(("course:", "topic:")) and (
                absent := self._subject_missing(q, top_ref)
            ):
                # 'lớp tiếng Hàn' with only English classes near: no such class, said plainly.
                said = self._none_like(absent, self._planned(a, top_ref))
                said = Answer(said.kind, said.ids, round(decision.best.p, 3), said.text)
                return self._with_context(said, top_ref, q, now)
            return self._with_context(
                self._clarify(decision.suggestions, decision.best.p), "", q, now
            )
        best = decision.best
        answer = self._planned(a, best.ref)
        missing = None
        if best.ref.startswith(("course:", "topic:")):
            missing = self._subject_missing(q, best.ref)
            if missing:
                answer = self._none_like(missing, answer)
        text = answer.text
        if answer.kind == "faq" and text.startswith("Có. ") and q.find(cues.WHERE):
            text = text[4:]  # 'ở đâu' is not a yes-or-no question
        answer = Answer(answer.kind, answer.ids, round(best.p, 3), text, answer.choices)
        adjusted = a.adjusted
        focus = self._focus(adjusted) if best.ref.startswith("topic:") and not missing else ""
        asks = a.hours_pos | a.when_ask | a.fee_pos | q.find(cues.WHERE) | q.find(cues.SCHEDULE)
        asks |= q.find(cues.DETAILS)  # 'cần mang theo gì': what one class asks of its learners
        which = faq.which_class(q.folds)  # 'lớp nào', 'những lớp': a list is asked
        sure = focus and self._focus(adjusted, FOCUS_CARD_MARGIN)
        if sure and asks and not which and answer.kind == "courses" and not q.when and not q.part:
            # 'lớp dệt vải lanh học mấy giờ': one class clearly meant and a detail asked — that
            # class's own answer, not its topic's list.
            card = self.render_local(focus, now)
            answer = Answer(card.kind, card.ids, answer.score, card.text, card.choices)
            return self._with_context(answer, focus, q, now, a.center_ids)
        return self._with_context(answer, best.ref, q, now, a.center_ids, focus)


def _why(decision: Decision, offered: int) -> str:
    """One line for the debug log: what was decided, on what."""
    best = decision.best
    if best is None:
        return f"fallback: {offered} candidates, none likely enough"
    head = f"{decision.action} {best.ref} p={best.p:.3f} evidence={best.score:.3f}"
    if decision.suggestions:
        head += " choices " + ", ".join(f"{c.ref} p={c.p:.3f}" for c in decision.suggestions)
    return f"{head} ({offered} candidates)"
