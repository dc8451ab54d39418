"""The answering engine: build an index from a pack, then answer questions against the clock.

A thin facade over its parts: parsing (Reading), text scoring (Scoring), the intents' candidates
(Intents) and the computed answers (Answers); weights live in ``weights``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from typing import ClassVar
from zoneinfo import ZoneInfo

from bot.pack.models import Pack
from bot.understanding import clauses, cues, followup, replies
from bot.understanding.absent import Absent
from bot.understanding.answer import Answer
from bot.understanding.answers import Answers
from bot.understanding.context import Context
from bot.understanding.index import STOP_ACC, TextIndex
from bot.understanding.intents import Intents
from bot.understanding.lexicon import Lexicon
from bot.understanding.model import shipped
from bot.understanding.normalize import Token, tokenize
from bot.understanding.parsing import Named, Parsed, Phrase, Reading, _strip
from bot.understanding.scoring import Scoring
from bot.understanding.weights import (
    ANSWER_CHARS,
    CLARIFY_WEIGHT,
    DATE_WORDS,
    FAQ_WEIGHTS,
    FOCUS_MARGIN,
    LARGE_FAQ,
    READING_KEEP,
)
from bot.wording import fold

log = logging.getLogger(__name__)


def remember(answer: Answer, now: dt.datetime) -> Answer:
    """Attach the context to keep after ``answer`` (none after a fallback or small talk)."""
    if answer.kind in ("fallback", "greeting", "thanks", "help"):
        return dataclasses.replace(answer, context=None)
    if answer.context is not None:
        # Stamped with the moment as given (aware when the channel's clock is), not pack-local.
        return dataclasses.replace(answer, context=dataclasses.replace(answer.context, at=now))
    return dataclasses.replace(answer, context=Context(answer.kind, answer.ids, {}, now))


class Engine(Reading, Scoring, Intents, Absent, Answers):
    """Answers questions about one pack from an in-memory index (no database)."""

    # Re-raise an exception inside ask()/render() after logging it (the test suite sets it).
    raise_errors: ClassVar[bool] = False

    def __init__(self, pack: Pack, lexicon: Lexicon, index: TextIndex, named: list[Named]) -> None:
        self.pack = pack
        self.model = shipped()
        self.trace = None
        self.tz = ZoneInfo(pack.info.timezone)
        self.lexicon = lexicon
        self.index = index
        self.named = named
        self.topic_of = {c.id: c.topic for c in pack.courses}
        self.faq_by_id = {f.id: f for f in pack.faq}
        self.library_words = (
            frozenset(
                t.fold
                for lib in pack.libraries
                for text in [*(c.reason or "" for c in lib.closures), *lib.services]
                for t in self.analyze(text)
            )
            | cues.AFTER_LIBRARY
        )
        general = [
            *(p for group in cues.ALL for p in group),
            *STOP_ACC,
            *(t.fold for m in lexicon.table.values() for t in m),
            *DATE_WORDS.split(),
        ]
        # What the pack's classes are about: their own words, their topics' names and those
        # topic synonyms that name a field ('tin học', 'khuyến nông'); a synonym that names one
        # activity ('nuôi dê', 'trồng nấm') is a class people ask for, not one that exists.
        course_texts = [
            t for c in pack.courses for t in (c.title, *c.keywords, c.description or "")
        ]
        for topic in pack.topics:
            course_texts.append(topic.name)
            course_texts += [
                syn for syn in topic.synonyms if fold(syn).split()[0] not in cues.ACTIVITY_VERBS
            ]
        course_texts += [n for ce in pack.centers for n in (ce.name, ce.commune or "")]
        self.course_words = self._words(course_texts)
        self.course_accents = frozenset(t.acc for x in course_texts for t in self.analyze(x))
        # Syllables of the general cue words (what a question asks, not what it is about).
        self.cue_folds = cues.ASKING
        self.foreign_phrases = tuple(tuple(tokenize(p)) for p in cues.FOREIGN if tokenize(p))
        # Syllables of services outside the pack keep their full weight when unexplained.
        self.foreign_folds = frozenset(t.fold for p in self.foreign_phrases for t in p)
        self.foreign_first: dict[str, list[tuple[Token, ...]]] = defaultdict(list)
        for phrase in self.foreign_phrases:
            self.foreign_first[phrase[0].fold].append(phrase)
        # Syllables of everything a structural answer (a library's hours, the van, a centre)
        # mentions: a question word found there is explained by that answer.
        self.item_words: dict[str, frozenset[str]] = {}
        for lib in pack.libraries:
            texts = [lib.name, *lib.aliases, lib.address or "", *lib.services]
            texts += [c.reason or "" for c in lib.closures]
            self.item_words[f"library:{lib.id}"] = self._words(texts)
        for ce in pack.centers:
            texts = [ce.name, *ce.aliases, ce.commune or "", ce.address or ""]
            self.item_words[f"center:{ce.id}"] = self._words(texts)
        self.all_library_words = frozenset().union(
            *(w for r, w in self.item_words.items() if r.startswith("library:"))
        )
        vehicle = pack.mobile.vehicle if pack.mobile else None
        texts = [s.place for s in pack.stops] + [s.commune or "" for s in pack.stops]
        if vehicle is not None:
            texts += [vehicle.name, vehicle.description or ""]
        self.item_words["@mobile"] = self._words(texts)
        # Each class's title words, read once (two runs of a class share them, intents/classes).
        self.title_words = {c.id: self._words([c.title]) for c in pack.courses}
        self.known = (
            index.vocab_set
            | frozenset(w for n in named for p, _ in n.phrases for w in p)
            | frozenset(fold(w) for text in general for w in text.split())
        )

    def _words(self, texts: Iterable[str]) -> frozenset[str]:
        return frozenset(t.fold for text in texts for t in self.analyze(text))

    @classmethod
    def build(cls, pack: Pack) -> Engine:
        """Build the in-memory index of a pack (pure, no database)."""
        names = [
            *(n for lib in pack.libraries for n in (lib.name, *lib.aliases)),
            *(n for ce in pack.centers for n in (ce.name, *ce.aliases, ce.commune or "")),
            *(n for st in pack.stops for n in (st.place, st.commune or "")),
        ]
        lexicon = Lexicon.build(pack.lexicon, names)

        def analyze(text: str) -> list[Token]:
            return lexicon.apply(tokenize(text))

        index = TextIndex()
        for f in pack.faq:
            index.add(f"faq:{f.id}", analyze(f.question), FAQ_WEIGHTS["question"])
            for alt in f.alternates:
                index.add(f"faq:{f.id}", analyze(alt), FAQ_WEIGHTS["alternate"])
            if f.tags:
                index.add(f"faq:{f.id}", analyze(" ".join(f.tags)), FAQ_WEIGHTS["tags"])
            if len(pack.faq) <= LARGE_FAQ:
                index.add(f"faq:{f.id}", analyze(f.answer[:ANSWER_CHARS]), FAQ_WEIGHTS["answer"])
        for c in pack.courses:
            index.add(f"course:{c.id}", analyze(c.title), 1.0)
            for k in c.keywords:
                index.add(f"course:{c.id}", analyze(k), 1.0)
            if c.description:
                index.add(f"course:{c.id}", analyze(c.description), 0.5)
        for t in pack.topics:
            index.add(f"topic:{t.id}", analyze(t.name), 1.0)
            for s in t.synonyms:
                index.add(f"topic:{t.id}", analyze(s), 1.0)
        index.finish()

        def phrases(texts: Iterable[str], full: float, core: float) -> list[tuple[Phrase, float]]:
            out: list[tuple[Phrase, float]] = []
            for text in texts:
                p = tuple(t.fold for t in analyze(text))
                if p:
                    out.append((p, full))
                    s = _strip(p)
                    if s != p and (len(s) >= 2 or (len(s) == 1 and len(s[0]) >= 4)):
                        out.append((s, core))
            return out

        def windows(items: list[tuple[str, list[tuple[Phrase, float]]]]) -> list[Named]:
            """Add distinctive runs of 2+ syllables ('cù lao tây' of 'Bến phà Cù lao Tây')."""
            owners: dict[Phrase, set[str]] = defaultdict(set)
            for ref, ps in items:
                for p, _ in ps:
                    for size in range(2, len(p)):
                        for i in range(len(p) - size + 1):
                            owners[p[i : i + size]].add(ref)
            heads = {w for h in cues.GENERIC_HEADS for w in h.split()}
            out = []
            for ref, ps in items:
                extra = [
                    (w, 0.75)
                    for w, refs in owners.items()
                    if refs == {ref}
                    and not all(x in heads for x in w)
                    and all(w != p for p, _ in ps)
                ]
                out.append(Named(ref, tuple(ps + extra)))
            return out

        named: list[Named] = []
        for lib in pack.libraries:
            named.append(
                Named(f"library:{lib.id}", tuple(phrases([lib.name, *lib.aliases], 1.0, 0.9)))
            )
        named = windows([(n.ref, list(n.phrases)) for n in named])
        for ce in pack.centers:
            named.append(
                Named(
                    f"center:{ce.id}",
                    tuple(
                        phrases([ce.name, *ce.aliases], 1.0, 0.9)
                        + phrases([ce.commune], 0.85, 0.8)
                    ),
                )
            )
        for st in pack.stops:
            named.append(
                Named(
                    f"stop:{st.id}",
                    tuple(phrases([st.place], 1.0, 0.9) + phrases([st.commune], 0.9, 0.85)),
                )
            )
        stops = windows([(n.ref, list(n.phrases)) for n in named if n.ref.startswith("stop:")])
        named = [n for n in named if not n.ref.startswith("stop:")] + stops
        return cls(pack, lexicon, index, named)

    # -- ask -----------------------------------------------------------------------------------

    def local(self, now: dt.datetime) -> dt.datetime:
        """The pack-local naive time of a moment (naive input is already local)."""
        if now.tzinfo is not None:
            now = now.astimezone(self.tz)
        return now.replace(tzinfo=None)

    def ask(self, question: str, now: dt.datetime, context: Context | None = None) -> Answer:
        """Answer one question, read after ``context`` (the person's last answer, if any).

        The answer's ``context`` is what to keep for the person's next message.
        """
        try:
            local = self.local(now)
            answer = self._read(question, local)
            if context is not None:
                answer = followup.resolve(self, question, local, context, answer) or answer
        except Exception:
            # A citizen always gets a reply; the bug is logged with the question (never shown),
            # and raised where errors must surface (tests set ``raise_errors``).
            log.exception("engine failed on question %r", question)
            if self.raise_errors:
                raise
            answer = self.fallback()
        return remember(answer, now)

    def ask_alone(self, question: str, now: dt.datetime, exclude: Iterable[str] = ()) -> Answer:
        """Answer a message on its own (pack-local ``now``), as the first of a conversation;
        ``exclude`` names items (refs) not to answer with ('còn … nào khác')."""
        return self._read(question, now, frozenset(exclude))

    def _read(
        self, question: str, now: dt.datetime, exclude: frozenset[str] = frozenset()
    ) -> Answer:
        """Answer the message, or the part of it that is the question (clauses.readings):
        the best answer wins, a clarify counting a little less than an answer."""
        parts = clauses.readings(question)
        if len(parts) == 1:
            return self._ask(parts[0], now, exclude)
        whole = self.parse(question, now.date())
        names = [
            (prefix, " ".join(whole.tokens[i].acc for i in sorted(h.positions)))
            for prefix in ("library:", "center:", "stop:")
            for h in self.hits(whole, prefix)[:1]
        ]
        best: Answer | None = None
        best_value = -1.0
        for n, part in enumerate(parts):
            parsed = self.parse(part, now.date()) if n else whole
            if n and not self._own_content(parsed):
                continue  # 'chừ đi học lại có được không' alone lost what the story was about
            if n and names:
                # The places named earlier in the story, for a part that names none of its kind.
                missing = [x for prefix, x in names if not self.hits(parsed, prefix)]
                part = " ".join([*missing, part])
            answer = self._ask(part, now, exclude)
            value = answer.score * (CLARIFY_WEIGHT if answer.kind == "clarify" else 1.0)
            if n:
                value *= READING_KEEP
            if answer.kind == "fallback":
                value = -0.5
            if value > best_value:
                best, best_value = answer, value
        assert best is not None
        return best

    def fallback(self) -> Answer:
        """The out-of-scope reply, with the pack's contact."""
        return Answer("fallback", (), 0.0, replies.fallback_text(self.pack))

    def render(self, ref: str, now: dt.datetime) -> Answer:
        """The answer for one item (a button pressed, or menu browsing); never raises.

        Its ``context`` is set exactly as for a typed question about the same item.
        """
        try:
            answer = self.render_local(ref, self.local(now))
        except Exception:
            log.exception("engine failed rendering %r", ref)
            if self.raise_errors:
                raise
            answer = self.fallback()
        return remember(answer, now)

    def _own_content(self, q: Parsed) -> bool:
        """Whether a question says what it is about, beyond asking words ('mấy giờ', 'học')."""
        return any(q.folds[i] not in self.cue_folds for i in q.content) or bool(
            self.hits(q, "library:") or self.hits(q, "center:") or self.hits(q, "stop:")
        )

    def render_local(self, ref: str, now: dt.datetime) -> Answer:
        """The answer for one item at a pack-local moment, with its context (inside the engine;
        channels call :meth:`render`)."""
        return self._with_context(self._render(ref, now), ref, None, now)

    def _with_context(
        self,
        answer: Answer,
        ref: str,
        q: Parsed | None,
        now: dt.datetime,
        center_ids: Iterable[str] = (),
        focus: str = "",
    ) -> Answer:
        """The answer with what to remember of it: the item, the list as shown, the date words."""
        if answer.kind in ("fallback", "greeting", "thanks", "help"):
            return answer
        slots: dict[str, str] = {}
        if ref:
            slots["ref"] = ref
        refs = [c.ref for c in answer.choices]
        if refs:
            slots["refs"] = "|".join(refs)
        if q is not None:
            if q.when is not None and q.when.words:
                slots["when"] = " ".join(q.when.words)
            if q.part is not None:
                slots["part"] = q.part
            stops = self.hits(q, "stop:")
            if stops:
                slots["stop"] = stops[0].ref
        centers = sorted(center_ids)
        if centers:
            slots["center"] = f"center:{centers[0]}"
        if focus and answer.kind == "courses" and focus.partition(":")[2] in answer.ids:
            slots["focus"] = focus
        return dataclasses.replace(answer, context=Context(answer.kind, answer.ids, slots, now))

    @staticmethod
    def _focus(adjusted: dict[str, float], margin: float = FOCUS_MARGIN) -> str:
        """The class the question's words match clearly best, even when its topic's list is
        the answer ('lớp chằm nón lá' → the crafts list): a follow-up is about that class."""
        ranked = sorted(
            ((score, ref) for ref, score in adjusted.items() if ref.startswith("course:")),
            reverse=True,
        )
        if not ranked:
            return ""
        if len(ranked) > 1 and ranked[0][0] - ranked[1][0] < margin:
            return ""
        return ranked[0][1]
