"""One question being answered: what it says (cue words, named places, date), and the candidates
every intent offers for it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot.understanding import cues
from bot.understanding.answer import Answer
from bot.understanding.base import EngineBase
from bot.understanding.decide import Candidate
from bot.understanding.model import LONG_WORDS, kind_features
from bot.understanding.parsing import Hit, Parsed
from bot.understanding.weights import FOREIGN_KEEP

NONE: frozenset[str] = frozenset()


@dataclass
class Asked:
    """The question, read once; each intent module reads it and calls :meth:`offer`."""

    question: str
    now: dt.datetime
    q: Parsed
    lib_hits: list[Hit]
    center_hits: list[Hit]
    stop_hits: list[Hit]
    foreign: frozenset[int]
    price: bool
    cands: list[Candidate] = field(default_factory=list)
    plans: dict[str, Answer] = field(default_factory=dict)
    # Set by the texts intent: every class's and topic's score, for the focus of a list.
    adjusted: dict[str, float] = field(default_factory=dict)
    center_ids: set[str] = field(default_factory=set)

    @classmethod
    def read(cls, engine: EngineBase, question: str, now: dt.datetime, q: Parsed) -> Asked:
        lib_hits = engine.hits(q, "library:")
        center_hits = engine.hits(q, "center:")
        stop_hits = engine.hits(q, "stop:")
        foreign = engine.foreign(q, [*lib_hits, *center_hits, *stop_hits])
        return cls(
            question,
            now,
            q,
            lib_hits,
            center_hits,
            stop_hits,
            foreign,
            engine.price_asked(question),
        )

    def __post_init__(self) -> None:
        q = self.q
        self.shared = {
            "price": float(self.price),
            "dated": float(q.when is not None and not q.when.now),
            "long": float(len(q.content) >= LONG_WORDS),
            "words": float(len(q.content)),  # read by decide(), not a feature of the model
        }
        self.when_ask = q.find(cues.WHEN_ASK)
        # 'giờ' of 'bây giờ', and 'giờ' before a verb ('giờ tính sao', 'giờ phải làm gì',
        # 'giờ đang ở đâu') say *now*, not opening hours.
        self.hours_pos = q.find(cues.HOURS) - q.find(cues.NOW_GIO)
        self.lib_word = q.find(cues.LIBRARY)
        if not self.hours_pos and self.lib_word and q.when is not None and not q.when.now:
            # 'thứ 4 tuần sau dẫn con lên thư viện thiếu nhi được không': coming to a library on
            # a day asks whether it is open then.
            self.hours_pos = q.find(cues.COMING)
        self.mobile_pos = q.find(cues.MOBILE)
        self.mobile_strong = q.find(cues.MOBILE_STRONG)
        self.sched_pos = q.find(cues.SCHEDULE)
        self.center_pos = q.find(cues.CENTER)
        # 'học' of 'trung tâm học tập cộng đồng', 'mới' of 'Chợ Mới': part of a name, not a cue.
        self.named_pos = frozenset().union(
            *(h.positions for h in (*self.lib_hits, *self.center_hits, *self.stop_hits))
        ) | q.find(("trung tam hoc tap cong dong", "trung tam hoc tap", "hoc tap cong dong"))
        self.course_pos = q.find(cues.COURSE) - self.named_pos
        self.fee_pos = q.find(cues.FEE)
        self.book_pos = q.find(cues.BOOKS)
        self.cue_pos = (
            self.hours_pos
            | self.lib_word
            | self.mobile_pos
            | self.sched_pos
            | self.course_pos
            | self.fee_pos
            | self.center_pos
            | self.when_ask
            | q.find(cues.AREA_HEADS)
        )
        # Which kinds of answer the question has a cue word of (see cues_for).
        self.cues_of = {
            "library_hours": bool(self.hours_pos or self.lib_word),
            "mobile_stops": bool(self.mobile_pos),
            "course": bool(self.course_pos),
            "courses": bool(self.course_pos),
            "center": bool(self.center_pos),
        }
        self.own_libs: list[Hit] = list(self.lib_hits)
        self.own_centers: list[Hit] = list(self.center_hits)

    def settle_names(self, engine: EngineBase) -> None:
        """Names that qualify another place: 'thư viện quốc gia' (a library the pack does not
        have is foreign to every answer), 'chợ phiên Đồng Văn', 'cột cờ Lũng Cú'."""
        q = self.q
        if self.lib_word - self.mobile_pos:
            # ('xe thư viện xuống chùa Sà Lôn': the van's name, then where it goes.)
            self.foreign |= engine.names_other(
                q, self.lib_word, self.cue_pos.union(*(h.positions for h in self.lib_hits))
            )
        self.own_libs = [
            h for h in self.lib_hits if not engine.qualifies_other(q, h, self.cue_pos)
        ]
        self.own_centers = [
            h for h in self.center_hits if not engine.qualifies_other(q, h, self.cue_pos)
        ]

    def cues_for(self, kind: str) -> tuple[bool, bool]:
        """Whether the question has a cue word of this kind of answer ('mở cửa' for hours, 'xe
        thư viện' for the van, 'lớp' for classes, 'trung tâm' for centres), and one of another
        kind ('cột cờ Lũng Cú mở cửa mấy giờ' asks hours: a class offered has the other's)."""
        cues_of = self.cues_of
        own = cues_of.get(kind, False)
        if kind in ("course", "courses"):
            others = cues_of["library_hours"] or cues_of["mobile_stops"]
        else:
            others = any(v for k, v in cues_of.items() if k != kind)
        return own, others and not own

    def offer(
        self,
        kind: str,
        ref: str,
        score: float,
        answer: Answer | None = None,
        words: frozenset[str] | None = None,
        cover: float = 0.0,
    ) -> None:
        """A candidate. ``words``: what the answer mentions, for the foreign-word rule (None:
        text items, already judged by text_scores); ``cover``: a text item's own words the
        question has."""
        q = self.q
        if words is not None and any(q.folds[i] not in words for i in self.foreign):
            score *= FOREIGN_KEEP
        if self.price:
            score *= FOREIGN_KEEP
        features = {**self.shared, **kind_features(kind), "doc_cover": cover}
        own, other = self.cues_for(kind)
        features["own_cue"], features["other_cue"] = float(own), float(other)
        features["foreign"] = float(bool(self.foreign))
        self.cands.append(Candidate(kind, ref, max(0.0, min(1.0, score)), features))
        if answer is not None:
            self.plans[ref] = answer
