"""What every part of the engine may use of the others (for the type checker).

The engine is one object assembled from parts (``Reading``, ``Scoring``, ``Intents``, ``Absent``,
``Answers``, see ``engine.py``); each part reads the index and calls methods that another part
defines. This base declares them once, so each module type-checks on its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.pack.models import Course, Faq, Pack
from bot.understanding.answer import Answer, Choice
from bot.understanding.dates import When
from bot.understanding.decide import Candidate
from bot.understanding.index import TextIndex
from bot.understanding.lexicon import Lexicon
from bot.understanding.model import Model
from bot.understanding.normalize import Token

if TYPE_CHECKING:
    from bot.understanding.parsing import Hit, Named, Parsed


class EngineBase:
    """The engine's state (built by ``Engine.__init__``) and the methods its parts share."""

    pack: Pack
    tz: ZoneInfo
    lexicon: Lexicon
    index: TextIndex
    named: list[Named]
    topic_of: dict[str, str]
    faq_by_id: dict[str, Faq]
    library_words: frozenset[str]
    cue_folds: frozenset[str]
    course_words: frozenset[str]
    course_accents: frozenset[str]
    foreign_phrases: tuple[tuple[Token, ...], ...]
    foreign_first: dict[str, list[tuple[Token, ...]]]
    foreign_folds: frozenset[str]
    item_words: dict[str, frozenset[str]]
    title_words: dict[str, frozenset[str]]
    all_library_words: frozenset[str]
    known: frozenset[str]
    # The fitted model deciding on candidates (model.shipped() unless a fit swaps it), and,
    # while fitting, the list every question's candidates are recorded in.
    model: Model
    trace: list[Any] | None

    if TYPE_CHECKING:

        def unexplained(self, q: Parsed, explained: Iterable[int]) -> float: ...

        def hits(self, q: Parsed, prefix: str) -> list[Hit]: ...

        def fallback(self) -> Answer: ...

        def _with_context(
            self,
            answer: Answer,
            ref: str,
            q: Parsed | None,
            now: dt.datetime,
            center_ids: Iterable[str] = (),
            focus: str = "",
        ) -> Answer: ...

        def render_local(self, ref: str, now: dt.datetime) -> Answer: ...

        def weight(self, q: Parsed, i: int) -> float: ...

        def qualifies_other(self, q: Parsed, hit: Hit, cue_pos: frozenset[int]) -> bool: ...

        def analyze(self, text: str) -> list[Token]: ...

        def _subject_missing(self, q: Parsed, ref: str) -> str | None: ...

        def _none_like(self, subject: str, answer: Answer) -> Answer: ...

        @staticmethod
        def _focus(adjusted: dict[str, float], margin: float = 0.05) -> str: ...

        def _courses_answer(
            self,
            courses: Sequence[Course],
            today: dt.date,
            heading: str,
            free_only: bool,
            center_ids: set[str],
            q: Parsed | None = None,
            now: dt.datetime | None = None,
            named: frozenset[str] = frozenset(),
        ) -> Answer: ...

        def text_scores(
            self,
            q: Parsed,
            neutrals: Sequence[frozenset[int]],
            kinds: Sequence[tuple[str, ...] | None] | None = None,
            foreign: frozenset[int] = frozenset(),
        ) -> list[dict[str, tuple[float, float]]]: ...

        def price_asked(self, question: str) -> bool: ...

        def parse(self, question: str, today: dt.date) -> Parsed: ...

        def names_other(
            self, q: Parsed, lib_word: frozenset[int], explained: frozenset[int]
        ) -> frozenset[int]: ...

        def foreign(self, q: Parsed, hits: Iterable[Hit]) -> frozenset[int]: ...

        def _words(self, texts: Iterable[str]) -> frozenset[str]: ...

        def _small_talk(self, kind: str) -> Answer: ...

        def _open_libraries_answer(self, q: Parsed, now: dt.datetime) -> Answer: ...

        def _mobile_answer(
            self, q: Parsed | None, stop_refs: Sequence[str], now: dt.datetime
        ) -> Answer: ...

        def _library_answer(
            self,
            lib: object,
            now: dt.datetime,
            when: When | None,
            closures: bool,
            at: dt.time | None = None,
        ) -> Answer: ...

        def _filtered(
            self, q: Parsed, center_ids: set[str], free_only: bool, today: dt.date
        ) -> list[Course]: ...

        def _clarify(self, picks: Sequence[Candidate], score: float) -> Answer: ...

        def _center_answer(self, center: object) -> Answer: ...

        def label(self, ref: str) -> str: ...

        def _course_answer(self, course: Course, today: dt.date) -> Answer: ...

        def _where(self, course: Course) -> str: ...

        def _lib_choices(self, ids: Sequence[str]) -> tuple[Choice, ...]: ...

        def _sessions_answer(
            self, courses: Sequence[Course], q: Parsed, now: dt.datetime, heading: str
        ) -> Answer: ...

        def _render(self, ref: str, now: dt.datetime) -> Answer: ...
