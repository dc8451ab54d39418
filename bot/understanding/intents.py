"""Every intent offers candidates with a score; decide() picks; the answer is rendered."""

from __future__ import annotations

import datetime as dt
import heapq
from operator import itemgetter

from bot.understanding import cues, replies
from bot.understanding.answer import Answer
from bot.understanding.base import EngineBase
from bot.understanding.decide import Candidate, decide, weigh
from bot.understanding.model import LONG_WORDS, kind_features
from bot.understanding.parsing import _STOP_FOLDS
from bot.understanding.weights import (
    BARE_HOURS,
    ERRAND_KEEP,
    FAQ_OFFERS,
    FOCUS_CARD_MARGIN,
    FOREIGN_KEEP,
    HOURS_FAQ_KEEP,
    WHICH_CLASS_FAQ_KEEP,
)


class Intents(EngineBase):
    """The candidates of every intent for one question (mixed into :class:`Engine`)."""

    def _ask(
        self, question: str, now: dt.datetime, exclude: frozenset[str] = frozenset()
    ) -> Answer:
        today = now.date()
        q = self.parse(question, today)
        if not q.tokens:
            return self.fallback()
        cands: list[Candidate] = []
        plans: dict[str, Answer] = {}

        lib_hits = self.hits(q, "library:")
        center_hits = self.hits(q, "center:")
        stop_hits = self.hits(q, "stop:")
        foreign = self.foreign(q, [*lib_hits, *center_hits, *stop_hits])
        price = self.price_asked(question)
        shared = {
            "price": float(price),
            "dated": float(q.when is not None and not q.when.now),
            "long": float(len(q.content) >= LONG_WORDS),
        }

        def offer(
            kind: str,
            ref: str,
            score: float,
            answer: Answer | None = None,
            words: frozenset[str] | None = None,
            cover: float = 0.0,
        ) -> None:
            """``words``: what the answer mentions, for the foreign-word rule (None: text
            items, already judged by text_scores); ``cover``: a text item's own words the
            question has."""
            if words is not None and any(q.folds[i] not in words for i in foreign):
                score *= FOREIGN_KEEP
            if price:
                score *= FOREIGN_KEEP
            features = {**shared, **kind_features(kind), "doc_cover": cover}
            features["foreign"] = float(bool(foreign))
            cands.append(Candidate(kind, ref, max(0.0, min(1.0, score)), features))
            if answer is not None:
                plans[ref] = answer

        none: frozenset[str] = frozenset()
        when_ask = q.find(cues.WHEN_ASK)
        # 'giờ' of 'bây giờ' says when, not opening hours.
        hours_pos = q.find(cues.HOURS) - q.find(("bay gio",))
        lib_word = q.find(cues.LIBRARY)
        mobile_pos = q.find(cues.MOBILE)
        mobile_strong = q.find(cues.MOBILE_STRONG)
        sched_pos = q.find(cues.SCHEDULE)
        center_pos = q.find(cues.CENTER)
        # 'học' of 'trung tâm học tập cộng đồng', 'mới' of 'Chợ Mới': part of a name, not a cue.
        named_pos = frozenset().union(
            *(h.positions for h in (*lib_hits, *center_hits, *stop_hits))
        ) | q.find(("trung tam hoc tap cong dong", "trung tam hoc tap", "hoc tap cong dong"))
        course_pos = q.find(cues.COURSE) - named_pos
        fee_pos = q.find(cues.FEE)
        book_pos = q.find(cues.BOOKS)

        # Small talk: only when nearly nothing else is said.
        for kind, phrases, score in (
            ("greeting", cues.GREETING, 0.9),
            ("thanks", cues.THANKS, 0.92),
            ("help", cues.HELP, 0.85),
        ):
            pos = q.find(phrases)
            if pos:
                # Function words that read as content once unmarked ('cho' of 'giúp gì cho mình').
                plain = {i for i in q.content if q.folds[i] in _STOP_FOLDS}
                u = self.unexplained(q, pos | lib_word | plain | q.find(cues.ADDRESSEE))
                if kind == "help" and not u and q.find(cues.ADDRESSEE):
                    score = 0.95  # 'bạn/bot/em giúp được gì': asked of the assistant itself
                offer(kind, f"@{kind}", score * (1 - u) ** 2, None, none)

        cue_pos = (
            hours_pos
            | lib_word
            | mobile_pos
            | sched_pos
            | course_pos
            | fee_pos
            | center_pos
            | when_ask
            | q.find(cues.AREA_HEADS)
        )
        if lib_word:
            # 'thư viện quốc gia': a library the pack does not have is foreign to every answer.
            foreign |= self.names_other(
                q, lib_word, cue_pos.union(*(h.positions for h in lib_hits))
            )
        # 'chợ phiên Đồng Văn', 'cột cờ Lũng Cú': the name qualifies another place.
        own_libs = [h for h in lib_hits if not self.qualifies_other(q, h, cue_pos)]
        own_centers = [h for h in center_hits if not self.qualifies_other(q, h, cue_pos)]

        # A library's address or phone ('thư viện thiếu nhi ở đâu', 'sđt thư viện tỉnh').
        where_pos = q.find(cues.WHERE)
        if where_pos and own_libs and not hours_pos:
            hit = own_libs[0]
            lib = self.pack.library(hit.ref.split(":", 1)[1])
            words = self.item_words.get(hit.ref, none)
            u = self.unexplained(q, where_pos | hit.positions | lib_word)
            if lib is not None:
                text = replies.library_contact_text(lib, now)
                answer = Answer("library_hours", (lib.id,), 1.0, text)
                offer(
                    "library_hours",
                    hit.ref,
                    (0.6 + 0.35 * hit.strength) * (1 - u) ** 1.5,
                    answer,
                    words,
                )

        # Library hours.
        if hours_pos and self.pack.libraries and not (mobile_strong and not lib_hits):
            lib_hits = own_libs
            lib_ref = lib_hits[0].ref if lib_hits else f"library:{self.pack.libraries[0].id}"
            named = set(lib_hits[0].positions) if lib_hits else set()
            extra = {i for i in q.content if q.folds[i] in self.library_words}
            words = self.item_words.get(lib_ref, none)
            extra |= {i for i in q.content if q.folds[i] in words}
            closure_pos = q.find(("nghi", "tet", "le", "dong cua"))
            asked = hours_pos | lib_word | named | extra
            if closure_pos or q.when:
                asked |= when_ask
            u = self.unexplained(q, asked)
            base = 0.6 + (0.3 if (lib_hits or lib_word) else 0.0) + (0.05 if q.when else 0.0)
            if lib_hits and closure_pos:
                base += 0.05
            if mobile_strong:
                base -= 0.3
            lib = self.pack.library(lib_ref.split(":", 1)[1])
            which = q.find(cues.WHICH_LIBRARY)
            asking = hours_pos | when_ask | lib_word | q.find(cues.WHERE)
            bare = not lib_hits and all(i in asking for i in q.content)
            if bare and len(self.pack.libraries) > 1 and not which:
                # 'giờ mở cửa?', 'bây giờ thư viện còn mở không': every library, for the moment.
                which = hours_pos
                base = max(base, BARE_HOURS)
            if which and closure_pos:
                which = frozenset()  # 'lịch nghỉ lễ của các thư viện': the closures entry
            if lib is not None and which and not lib_hits and len(self.pack.libraries) > 1:
                # 'thư viện nào mở chủ nhật': every library, those open first.
                u = self.unexplained(q, asked | which)
                answer = self._open_libraries_answer(q, now)
                offer("library_hours", "@libraries", base * (1 - u) ** 1.5, answer, words)
            elif lib is not None:
                offer(
                    "library_hours",
                    lib_ref,
                    base * (1 - u) ** 1.5,
                    self._library_answer(lib, now, q.when, bool(closure_pos), q.at),
                    words,
                )

        # Mobile library visits.
        if self.pack.stops and (mobile_strong or (mobile_pos and stop_hits)):
            strong_sched = q.find(cues.VAN_WHEN)
            base = 0.6 + (0.25 if stop_hits else 0.0)
            base += 0.35 if (strong_sched or q.when) else (0.1 if sched_pos else 0.0)
            named = set().union(*(h.positions for h in stop_hits)) if stop_hits else set()
            words = self.item_words.get("@mobile", none)
            stop_words = {i for i in q.content if q.folds[i] in words} if stop_hits else set()
            # 'đến những xã nào': the visits name their communes and villages.
            areas = q.find(cues.AREA_HEADS)
            # 'sđt xe thư viện': the visits end with the van's phone, when it has one.
            vehicle = self.pack.mobile.vehicle if self.pack.mobile else None
            phone = q.find(cues.PHONE) if vehicle is not None and vehicle.phone else frozenset()
            u = self.unexplained(
                q,
                mobile_pos | sched_pos | lib_word | named | when_ask | stop_words | areas | phone,
            )
            answer = self._mobile_answer(q, [h.ref for h in stop_hits], now)
            # The van named with a date or a stop is a schedule question, not the FAQ about it.
            top = 0.97
            if mobile_strong and (q.when or stop_hits):
                top = 1.0
                base += 0.05
            offer("mobile_stops", "@mobile", min(top, base) * (1 - u) ** 1.5, answer, words)

        # Centre address / phone.
        if own_centers:
            hit = own_centers[0]
            generic = q.find(
                (
                    "trung tam hoc tap cong dong",
                    "trung tam hoc tap",
                    "hoc tap cong dong",
                    "trung tam",
                    "xa",
                    "phuong",
                )
            )
            u = self.unexplained(q, center_pos | hit.positions | generic)
            cue = bool(q.find(cues.CENTER) - generic) or not (
                course_pos or hours_pos or mobile_pos
            )
            base = (0.6 + 0.35 * hit.strength) if cue else 0.45
            center = self.pack.center(hit.ref.split(":", 1)[1])
            if center is not None:
                offer(
                    "center",
                    hit.ref,
                    base * (1 - u) ** 1.5,
                    self._center_answer(center),
                    self.item_words.get(hit.ref, none),
                )

        # Classes, topics and FAQ entries by their words.
        center_ids = {h.ref.split(":", 1)[1] for h in center_hits}
        filter_pos = (
            frozenset().union(*(h.positions for h in center_hits)) if center_hits else frozenset()
        )
        neutral = course_pos | (fee_pos if course_pos else frozenset()) | filter_pos | center_pos
        course_scores, faq_scores = self.text_scores(
            q, [neutral, frozenset()], [("course:", "topic:"), ("faq:",)], foreign
        )
        faq_offers = [
            (ref, score)
            for ref, (score, _) in faq_scores.items()
            if score >= 0.2 and ref.startswith("faq:")
        ]
        if len(faq_offers) > FAQ_OFFERS:
            # decide() looks at the best few only; the rest would be sorted for nothing.
            keep = {ref for ref, _ in heapq.nlargest(FAQ_OFFERS, faq_offers, key=itemgetter(1))}
            faq_offers = [item for item in faq_offers if item[0] in keep]
        # A date with a class, hours or van word asks for a schedule, not a policy entry.
        dated = q.when is not None and not q.when.now
        faq_keep = 0.9 if dated and (course_pos or hours_pos or mobile_strong) else 1.0
        if mobile_strong and q.find(("lich", "lich trinh")):
            faq_keep = 0.9  # 'lịch xe thư viện': the timetable, not what the van is
        if (
            hours_pos
            and all(
                q.folds[i] in self.cue_folds or q.folds[i] in self.all_library_words
                for i in q.content
            )
            and not q.find(cues.CLOSURE)
        ):
            # Only opening hours and a library asked: the computed hours, not a policy entry.
            faq_keep = min(faq_keep, HOURS_FAQ_KEEP)
        if _which_class(q.folds):
            # 'có lớp xóa mù chữ nào không': the classes themselves, not the entry about them.
            faq_keep = min(faq_keep, WHICH_CLASS_FAQ_KEEP)
        for ref, score in faq_offers:
            offer("faq", ref, score * faq_keep, cover=faq_scores[ref][1])
        errand = bool(q.find(cues.OPENING) or q.find(cues.WHERE) or book_pos)
        free_only = bool(q.find(("mien phi",)))
        adjusted: dict[str, float] = {}
        for ref, (score, d) in course_scores.items():
            if ref.startswith("faq:"):
                continue
            if not course_pos:
                score *= 0.85 if d >= 0.5 else 0.6
                if errand:
                    # Opening hours or an address without a class word: a place, not a class.
                    score *= ERRAND_KEEP
            course = self.pack.course(ref[7:]) if ref.startswith("course:") else None
            if course is not None and center_ids and course.center not in center_ids:
                score *= 0.8
            adjusted[ref] = score
        topics = sorted(
            (r for r in adjusted if r.startswith("topic:")), key=lambda r: -adjusted[r]
        )
        listed: set[str] = set()
        if topics:
            ref = topics[0]
            courses = [c for c in self.pack.courses if c.topic == ref[6:]]
            if courses:
                topic = self.pack.topic(ref[6:])
                heading = f"Các lớp {topic.name}" if topic else "Các lớp"
                answer = self._courses_answer(
                    courses, today, heading, free_only, center_ids, q, now
                )
                offer("courses", ref, adjusted[ref], answer, cover=course_scores[ref][1])
                # A class wins over its topic's list only when clearly more specific.
                listed = {
                    f"course:{c.id}"
                    for c in courses
                    if adjusted.get(f"course:{c.id}", 0.0) < adjusted[ref] + 0.04
                }
        for ref, score in adjusted.items():
            if ref.startswith("course:") and ref not in listed:
                offer("course", ref, score, cover=course_scores[ref][1])
        # A general question about classes ("lớp nào sắp khai giảng", "lớp miễn phí ở X").
        # 'lớp ở Cam Lộ mấy giờ', 'lớp nào học ngày nào': asking words do not make it specific.
        asking = hours_pos | when_ask | q.find(cues.SCHEDULE) | q.find(cues.DETAILS)
        rest = [i for i in q.content if i not in neutral and i not in asking]
        contact = bool(q.find(("so dien thoai", "dien thoai", "dia chi", "lien he")))
        if course_pos and self.pack.courses and not rest:
            offer(
                "courses",
                "@courses",
                0.92 if (center_ids or dated) and not contact else 0.8,
                self._courses_answer(
                    self._filtered(q, center_ids, free_only, today)
                    if q.when is None and q.part is None
                    else self.pack.courses,
                    today,
                    "Các lớp học",
                    free_only,
                    center_ids,
                    q,
                    now,
                ),
                none,
            )

        if exclude:
            cands = [c for c in cands if c.ref not in exclude]
        if self.trace is not None:
            # Fitting the model (tests/fitting.py): every candidate's features, and its answer.
            def resolve(ref: str) -> Answer:
                if ref in ("@greeting", "@thanks", "@help"):
                    return self._small_talk(ref[1:])
                return plans.get(ref) or self.render_local(ref, now)

            self.trace.append((weigh(cands, self.model), resolve))
        decision = decide(cands, self.model)
        if decision.action == "fallback" or decision.best is None:
            return self.fallback()
        if decision.action == "clarify":
            top_ref = decision.best.ref
            if top_ref.startswith(("course:", "topic:")) and (
                absent := self._subject_missing(q, top_ref)
            ):
                # 'lớp tiếng Hàn' with only English classes near: no such class, said plainly.
                near = plans.get(top_ref) or self.render_local(top_ref, now)
                said = self._none_like(absent, near)
                said = Answer(said.kind, said.ids, round(decision.best.p, 3), said.text)
                return self._with_context(said, top_ref, q, now)
            return self._with_context(
                self._clarify(decision.suggestions, decision.best.p), "", q, now
            )
        best = decision.best
        answer = plans.get(best.ref) or self.render_local(best.ref, now)
        if best.ref.startswith("@") and best.kind in ("greeting", "thanks", "help"):
            answer = self._small_talk(best.kind)
        missing = None
        if best.ref.startswith(("course:", "topic:")):
            missing = self._subject_missing(q, best.ref)
            if missing:
                answer = self._none_like(missing, answer)
        text = answer.text
        if answer.kind == "faq" and text.startswith("Có. ") and q.find(cues.WHERE):
            text = text[4:]  # 'ở đâu' is not a yes-or-no question
        answer = Answer(answer.kind, answer.ids, round(best.p, 3), text, answer.choices)
        focus = self._focus(adjusted) if best.ref.startswith("topic:") and not missing else ""
        asks = hours_pos | when_ask | fee_pos | q.find(cues.WHERE) | q.find(cues.SCHEDULE)
        asks |= q.find(cues.DETAILS)  # 'cần mang theo gì': what one class asks of its learners
        which = q.find(("nao", "nhung", "cac"))  # 'lớp nào', 'những lớp': a list is asked
        sure = focus and self._focus(adjusted, FOCUS_CARD_MARGIN)
        if sure and asks and not which and answer.kind == "courses" and not q.when and not q.part:
            # 'lớp dệt vải lanh học mấy giờ': one class clearly meant and a detail asked — that
            # class's own answer, not its topic's list.
            card = self.render_local(focus, now)
            answer = Answer(card.kind, card.ids, answer.score, card.text, card.choices)
            return self._with_context(answer, focus, q, now, center_ids)
        return self._with_context(answer, best.ref, q, now, center_ids, focus)


def _which_class(folds: tuple[str, ...]) -> bool:
    """'có lớp X nào', 'những lớp', 'các lớp' (not 'thế nào' of 'đặt lịch thế nào')."""
    for i, f in enumerate(folds):
        if f == "lop":
            if i > 0 and folds[i - 1] in ("nhung", "cac"):
                return True
            for j in range(i + 1, min(i + 5, len(folds))):
                if folds[j] == "nao" and folds[j - 1] not in ("the", "ra", "sao"):
                    return True
    return False
