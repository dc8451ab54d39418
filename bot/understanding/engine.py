"""The answering engine: build an index from a pack, then answer questions against the clock."""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import itertools
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter, mul
from typing import ClassVar
from zoneinfo import ZoneInfo

from bot.pack import visits
from bot.pack.models import Course, Pack, Stop
from bot.understanding import clauses, cues, followup, informative, replies, schedule
from bot.understanding.answer import Answer, Choice
from bot.understanding.context import Context
from bot.understanding.dates import When, day_label, parse_when
from bot.understanding.decide import Candidate, decide
from bot.understanding.index import STOP_ACC, TextIndex, bigrams, is_stop
from bot.understanding.lexicon import Lexicon
from bot.understanding.normalize import Token, fold, tokenize

log = logging.getLogger(__name__)

Phrase = tuple[str, ...]
FAQ_WEIGHTS = {"question": 1.0, "alternate": 1.0, "tags": 0.6, "answer": 0.3}
MOBILE_DAYS = 14
MOBILE_LIST = 8  # visits listed when no date is asked; a month asked for lists up to MONTH_LIST
MONTH_LIST = 31
# A question naming a service or errand the answer does not mention (cues.FOREIGN) keeps this
# share of its score: 'giờ mở cửa ngân hàng' is not the library's hours.
FOREIGN_KEEP = 0.45
# A class offered for a question about opening hours, an address or books, without a class
# word ('cột cờ Lũng Cú mở cửa mấy giờ', 'có sách tiếng Mông không'), keeps this share.
ERRAND_KEEP = 0.75
ANSWER_CHARS = 240  # an answer's opening is indexed (weakly); the rest adds cost, not evidence
FAQ_OFFERS = 8  # more than decide() ever looks at (the best, the runner-up, three suggestions)
LARGE_FAQ = 2000  # above this many entries answers are not indexed: build time, weak evidence
# Reading a long message in parts: a clarify counts this share of its score against an answer,
# and a part must beat the whole message (or an earlier part) by this much to replace it.
CLARIFY_WEIGHT = 0.9
READING_MARGIN = 0.0
READING_KEEP = 0.95  # a part of a message answers a little less surely than the whole
# A subject word of a class question that the answering classes lack counts as missing (the
# class asked for does not exist) only when it weighs at least this much: 'dê', 'nấm', 'Hàn'.
MISSING_WEIGHT = 1.5
# A class leads the others of a list by this much of its text score to be what a follow-up means.
FOCUS_MARGIN = 0.05
# A question of opening hours and a library only ('thư viện tỉnh bây giờ còn mở không') keeps this
# share of an FAQ's score: the hours computed from the data answer it, not a holiday FAQ.
HOURS_FAQ_KEEP = 0.85
BARE_HOURS = 0.8  # 'giờ mở cửa?' with no library named: every library's hours for the moment
# Particles that end a question in every region ('... không nghe', '... rứa hỉ', '... hen').
FINAL_PARTICLES = frozenset(
    {"vay", "z", "zay", "nghe", "nghen", "hen", "nhen", "nha", "ne", "ha", "he", "hi", "ta", "a"}
    | {"rang", "rua"}  # Central 'răng', 'rứa' typed without marks at the end of a question
)
MARKED_PARTICLES = frozenset({"á", "nè", "hè", "há", "nhá", "hén", "hở", "đó", "đấy", "hông"})
DATE_WORDS = (
    "hom nay mai kia mot qua bay gio hien tai luc nay thu hai ba tu nam sau bay chu nhat "
    "tuan thang sau toi truoc cuoi ngay sang chieu trua toi dem"
)


@dataclass(frozen=True)
class Named:
    """A thing people name (library, centre, stop): folded phrases with their strength."""

    ref: str
    phrases: tuple[tuple[Phrase, float], ...]


@dataclass(frozen=True)
class Hit:
    """A named thing found in the question, and the syllables that named it."""

    ref: str
    strength: float
    positions: frozenset[int]


@dataclass(frozen=True)
class Parsed:
    """A question after normalisation: tokens, folded text, date words, content weights."""

    tokens: tuple[Token, ...]
    folds: tuple[str, ...]
    when: When | None
    date_pos: frozenset[int]
    content: tuple[int, ...]
    part: str | None = None  # part of the day named ('tối', 'buổi sáng'), with or without a date
    at: dt.time | None = None  # a clock time named ('12h', '4 giờ chiều')

    def find(self, phrases: Iterable[str]) -> frozenset[int]:
        """Positions covered by any of the folded phrases."""
        return _find(self.folds, phrases)


def _find(folds: Sequence[str], phrases: Iterable[str]) -> frozenset[int]:
    out: set[int] = set()
    for phrase in phrases:
        words = _split(phrase)
        if words and words[0] in folds:
            out |= _spans(folds, words)
    return frozenset(out)


@lru_cache(maxsize=4096)
def _split(phrase: str) -> Phrase:
    return tuple(phrase.split())


def _spans(folds: Sequence[str], phrase: Phrase) -> set[int]:
    n = len(phrase)
    out: set[int] = set()
    if n == 0 or phrase[0] not in folds:
        return out
    for i in range(len(folds) - n + 1):
        if tuple(folds[i : i + n]) == phrase:
            out.update(range(i, i + n))
    return out


_STOP_FOLDS = frozenset(fold(w) for w in STOP_ACC)
_HEAD_WORDS = frozenset(
    h for h in cues.GENERIC_HEADS if " " not in h and h not in ("truong", "tinh", "san")
)


def _strip(phrase: Phrase) -> Phrase:
    """Drop leading words saying what kind of place it is ('xã', 'thư viện'), and 'cũ'."""
    heads = sorted((tuple(h.split()) for h in cues.GENERIC_HEADS), key=len, reverse=True)
    changed = True
    while changed and phrase:
        changed = False
        for head in heads:
            if phrase[: len(head)] == head and len(phrase) > len(head):
                phrase = phrase[len(head) :]
                changed = True
                break
    for tail in cues.GENERIC_TAILS:
        t = tuple(tail.split())
        if len(phrase) > len(t) and phrase[-len(t) :] == t:
            phrase = phrase[: -len(t)]
    return phrase


def _label(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _clock_time(folds: Sequence[str], part: str | None) -> tuple[dt.time | None, frozenset[int]]:
    """'12 giờ', '4 giờ 30', '4h chiều' -> a time of day and the positions that said it."""
    for i in range(len(folds) - 1):
        if folds[i].isdigit() and folds[i + 1] == "gio" and int(folds[i]) <= 24:
            hour = int(folds[i]) % 24
            minute = 0
            used = {i, i + 1}
            if i + 2 < len(folds) and folds[i + 2].isdigit() and int(folds[i + 2]) < 60:
                minute = int(folds[i + 2])
                used.add(i + 2)
            if part in ("chieu", "toi") and hour < 12:
                hour += 12
            return dt.time(hour, minute), frozenset(used)
    return None, frozenset()


def _visit_line(visit: visits.Visit) -> str:
    day, stop = visit
    label = day_label(day)
    return f"- {label[:1].upper()}{label[1:]}, {stop.time}: {stop.place} ({stop.commune})"


def _in_part(time_range: str, part: str) -> bool:
    low, high = schedule.PARTS[part]
    return low <= dt.time.fromisoformat(time_range.split("-")[0]) < high


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59))


def remember(answer: Answer, now: dt.datetime) -> Answer:
    """Attach the context to keep after ``answer`` (none after a fallback or small talk)."""
    if answer.kind in ("fallback", "greeting", "thanks", "help"):
        return dataclasses.replace(answer, context=None)
    if answer.context is not None:
        # Stamped with the moment as given (aware when the channel's clock is), not pack-local.
        return dataclasses.replace(answer, context=dataclasses.replace(answer.context, at=now))
    return dataclasses.replace(answer, context=Context(answer.kind, answer.ids, {}, now))


class Engine:
    """Answers questions about one pack from an in-memory index (no database)."""

    # Re-raise an exception inside ask()/render() after logging it (the test suite sets it).
    raise_errors: ClassVar[bool] = False

    def __init__(self, pack: Pack, lexicon: Lexicon, index: TextIndex, named: list[Named]) -> None:
        self.pack = pack
        self.tz = ZoneInfo(pack.info.timezone)
        self.lexicon = lexicon
        self.index = index
        self.named = named
        self.topic_of = {c.id: c.topic for c in pack.courses}
        self.faq_by_id = {f.id: f for f in pack.faq}
        self.library_words = frozenset(
            t.fold
            for lib in pack.libraries
            for text in [*(c.reason or "" for c in lib.closures), *lib.services]
            for t in self.analyze(text)
        ) | {"tet", "le", "nghi", "sach", "ban", "doc"}
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

    # -- parsing -------------------------------------------------------------------------------

    def analyze(self, text: str) -> list[Token]:
        """Tokens of a text after the lexicon."""
        return self.lexicon.apply(tokenize(text))

    def parse(self, question: str, today: dt.date) -> Parsed:
        """Normalise a question, correct unknown syllables, find its date words."""
        tokens = self.analyze(question)
        fixed: list[Token] = []
        for t in tokens:
            if (
                not t.marked
                and not is_stop(t)
                and t.fold not in self.known
                and not t.fold.isdigit()
            ):
                better = self.index.correct(t.fold) or self._swap(tokens, len(fixed))
                if better is not None:
                    t = Token(better, better)
            fixed.append(t)
        folds = tuple(t.fold for t in fixed)
        # Syllables of place names ('Thanh Mai', 'Chợ Mới') are never date or time words.
        names = self._name_positions(folds)
        spoken = (
            folds if not names else tuple("_" if i in names else f for i, f in enumerate(folds))
        )
        when = parse_when(" ".join(spoken), today)
        part = schedule.part_of_day(fixed)
        if when is not None and part is not None:
            when = dataclasses.replace(when, part=part)
        date_pos = frozenset(_spans(folds, when.words)) if when else frozenset()
        at, at_pos = _clock_time(folds, part)
        timeless = date_pos | (_find(folds, cues.TIME_WORDS) - names) | at_pos
        content = tuple(i for i, t in enumerate(fixed) if not is_stop(t) and i not in timeless)
        if content and self._final_particle(fixed):
            content = content[:-1] if content[-1] == len(fixed) - 1 else content
        return Parsed(tuple(fixed), folds, when, date_pos, content, part, at)

    def _name_positions(self, folds: Sequence[str]) -> frozenset[int]:
        """Positions of the full names of the pack's places (multi-syllable phrases only)."""
        out: set[int] = set()
        for n in self.named:
            for phrase, strength in n.phrases:
                if strength >= 0.85 and len(phrase) >= 2 and phrase[0] in folds:
                    out |= _spans(folds, phrase)
        return frozenset(out)

    @staticmethod
    def _final_particle(tokens: Sequence[Token]) -> bool:
        """An unmarked 'vay' ending a question is the particle vậy ('o dau vay'), not váy."""
        last = tokens[-1]
        if last.acc in MARKED_PARTICLES:
            return True
        return (
            not last.marked
            and last.fold in FINAL_PARTICLES
            and (len(tokens) < 2 or tokens[-2].fold != "may")
        )

    def _swap(self, tokens: Sequence[Token], i: int) -> str | None:
        """A short unknown syllable with two letters swapped ('hco tap' -> 'hoc tap'), when the
        swap makes a pair of syllables the pack has with a neighbour."""
        word = tokens[i].fold
        if not 3 <= len(word) <= 4 or not word.isalpha():
            return None
        before = tokens[i - 1].fold if i > 0 else None
        after = tokens[i + 1].fold if i + 1 < len(tokens) else None
        vocab = self.index.vocab_set
        for k in range(len(word) - 1):
            swapped = word[:k] + word[k + 1] + word[k] + word[k + 2 :]
            if swapped == word or swapped not in vocab:
                continue
            if (before and f"{before}_{swapped}" in vocab) or (
                after and f"{swapped}_{after}" in vocab
            ):
                return swapped
        return None

    def hits(self, q: Parsed, prefix: str) -> list[Hit]:
        """Named things of one kind found in the question, strongest first."""
        out: list[Hit] = []
        for n in self.named:
            if not n.ref.startswith(prefix):
                continue
            strongest = 0.0
            covered: set[int] = set()
            for phrase, strength in n.phrases:
                pos = _spans(q.folds, phrase)
                if not pos:
                    continue
                covered |= pos
                strongest = max(strongest, strength)
            if covered:
                # 'xã' of 'ở xã Na Rì' belongs to the name too.
                first = min(covered)
                if first > 0 and q.folds[first - 1] in _HEAD_WORDS:
                    covered.add(first - 1)
                out.append(Hit(n.ref, strongest, frozenset(covered)))
        out.sort(key=lambda h: (-h.strength, -len(h.positions)))
        return out

    def weight(self, q: Parsed, i: int) -> float:
        """How much a content syllable of the question counts: its weight in the pack, and for a
        syllable the pack never uses, that weight discounted by how common it is in everyday
        Vietnamese (see ``informative``)."""
        token = q.tokens[i]
        w = self.index.token_weight(token)
        if (
            token.fold not in self.index.vocab_set
            and token.fold not in self.known
            and token.fold not in self.foreign_folds
        ):
            w *= informative.share(token)
        return w

    def unexplained(self, q: Parsed, explained: Iterable[int]) -> float:
        """Share of the question's content weight not explained by a candidate (0..1)."""
        total = sum(self.weight(q, i) for i in q.content)
        if total == 0:
            return 0.0
        seen = set(explained)
        return sum(self.weight(q, i) for i in q.content if i not in seen) / total

    # -- scoring text items ----------------------------------------------------------------

    def text_scores(
        self,
        q: Parsed,
        neutrals: Sequence[frozenset[int]],
        kinds: Sequence[tuple[str, ...] | None] | None = None,
        foreign: frozenset[int] = frozenset(),
    ) -> list[dict[str, tuple[float, float]]]:
        """(score, dcov) of every FAQ, class and topic sharing words with the question, once per
        set of neutral positions (syllables already explained by the intent); ``kinds``, when
        given, limits each set's result to refs starting with one of its prefixes; an item that
        does not contain every ``foreign`` syllable keeps ``FOREIGN_KEEP`` of its score."""
        folds = {q.folds[i] for i in q.content}
        qbigrams = set(bigrams(q.folds))
        # Pairs of content syllables ('xã hội', 'dòng họ'): a text having the rarer ones is
        # about the same thing, not only sharing words.
        cpos = set(q.content)
        pairs = {f"{q.folds[i]}_{q.folds[i + 1]}" for i in cpos if i + 1 in cpos}
        pair_w = {g: self.index.weight(g) for g in pairs}
        pair_total = sum(pair_w.values())
        index = self.index
        numbers = index.candidates(folds | qbigrams)
        credit: dict[str, dict[int, float]] = defaultdict(dict)
        dcov: dict[str, float] = defaultdict(float)
        bonus: dict[str, float] = defaultdict(float)
        weights = {i: self.weight(q, i) for i in q.content}
        # Per folded content syllable: its positions, as typed, marked, weight when unmarked.
        asked: dict[str, list[tuple[int, str, bool, float]]] = defaultdict(list)
        for i in q.content:
            t = q.tokens[i]
            asked[t.fold].append((i, t.acc, t.marked, index.token_weight(t)))
        wanted_folds = asked.keys()
        # Unmarked syllables read in context: a text having the pair as typed ('cong dan' of
        # 'công dân học tập') has them in the sense asked, whatever their rarest accented form.
        pair_pos: dict[str, tuple[int, ...]] = {}
        for g, i in zip(bigrams(q.folds), range(len(q.folds) - 1), strict=True):
            plain = [j for j in (i, i + 1) if j in cpos and not q.tokens[j].marked]
            if plain:
                pair_pos[g] = pair_pos.get(g, ()) + tuple(plain)
        # A foreign phrase ('đổi căn cước') is mentioned by a text having its syllable pairs.
        foreign_grams = {f"{q.folds[i]}_{q.folds[i + 1]}" for i in foreign if i + 1 in foreign}
        mentioned: dict[str, set[str]] = defaultdict(set)
        idf = index.idf
        known = index.known_features()
        features = index.features
        for number in numbers:
            ref, dw, forms, foldset, total, terms = known.get(number) or features(number)
            got = credit[ref]
            for f in wanted_folds & forms.keys():
                accs, have = forms[f]
                for i, acc, marked, wanted in asked[f]:
                    # How well the document has the syllable (see TextIndex.credit).
                    if marked:
                        factor = 1.0 if acc in accs else 0.6
                    elif wanted:
                        factor = min(1.0, have / wanted)
                    else:
                        factor = 1.0
                    if factor:
                        value = dw * factor
                        if value > got.get(i, 0.0):
                            got[i] = value
            if pair_pos:
                for g in terms.intersection(pair_pos):
                    for i in pair_pos[g]:
                        if dw > got.get(i, 0.0):
                            got[i] = dw
            if foreign_grams and dw >= 0.5:
                mentioned[ref].update(terms.intersection(foreign_grams))
            if dw >= 0.9:
                if total:
                    hit = sum(map(idf.__getitem__, foldset & folds)) / total
                    if hit > dcov[ref]:
                        dcov[ref] = hit
                if not qbigrams.isdisjoint(terms):
                    share = (
                        sum(pair_w[g] for g in terms.intersection(pairs)) / pair_total
                        if (pair_total)
                        else 0.0
                    )
                    bonus[ref] = max(bonus[ref], 0.06 + 0.08 * share)
        # A class also answers to its topic's name and synonyms.
        for ref in list(credit):
            if ref.startswith("course:"):
                topic_ref = f"topic:{self.topic_of.get(ref[7:], '')}"
                for i, c in credit.get(topic_ref, {}).items():
                    credit[ref][i] = max(credit[ref].get(i, 0.0), 0.9 * c)
        results: list[dict[str, tuple[float, float]]] = []
        scored = [(ref, got, dcov[ref]) for ref, got in credit.items() if dcov.get(ref, 0.0) > 0]
        for neutral, prefixes in zip(neutrals, kinds or [None] * len(neutrals), strict=True):
            total = sum(w for i, w in weights.items() if i not in neutral)
            out: dict[str, tuple[float, float]] = {}
            if total > 0:
                for ref, got, d in scored:
                    if prefixes is not None and not ref.startswith(prefixes):
                        continue
                    if neutral.isdisjoint(got):
                        qcov = sum(map(mul, map(weights.__getitem__, got), got.values())) / total
                    else:
                        qcov = sum(weights[i] * c for i, c in got.items() if i not in neutral)
                        qcov /= total
                    if qcov > 0:
                        value = min(1.0, qcov**0.65 * d**0.35 + bonus.get(ref, 0.0))
                        if foreign and (
                            any(got.get(i, 0.0) < 0.5 for i in foreign)
                            or len(mentioned[ref]) < len(foreign_grams)
                        ):
                            value *= FOREIGN_KEEP
                        out[ref] = (value, d)
            results.append(out)
        return results

    def foreign(self, q: Parsed, hits: Iterable[Hit]) -> frozenset[int]:
        """Positions of words naming a service or errand outside the pack (cues.FOREIGN), unless
        they are part of a name the pack knows (a van stop at 'Chợ Yến Lạc')."""
        tokens = q.tokens
        n = len(tokens)
        out: set[int] = set()
        by_first = self.foreign_first
        for i, first in enumerate(tokens):
            for phrase in by_first.get(first.fold, ()):
                size = len(phrase)
                if i + size > n:
                    continue
                for j, want in enumerate(phrase):
                    t = tokens[i + j]
                    if t.marked:
                        if t.acc != want.acc:
                            break
                    elif size == 1 or t.fold != want.fold:
                        break
                else:
                    out.update(range(i, i + size))
        if out:
            for h in hits:
                out -= h.positions
        return frozenset(out)

    def qualifies_other(self, q: Parsed, hit: Hit, cue_pos: frozenset[int]) -> bool:
        """A place's short name right after a noun it does not explain names that other
        place ('chợ phiên Đồng Văn' is the market, not the Đồng Văn library)."""
        if hit.strength >= 1.0:
            return False
        before = min(hit.positions) - 1
        if before < 0 or before not in q.content or before in cue_pos:
            return False
        word = q.folds[before]
        return not (
            word.isdigit()
            or word in self.library_words
            or word in self.item_words.get(hit.ref, ())
        )

    def names_other(
        self, q: Parsed, lib_word: frozenset[int], explained: frozenset[int]
    ) -> frozenset[int]:
        """'thư viện' followed by a name no library of the pack has ('thư viện quốc gia')."""
        after = max(lib_word) + 1
        if after >= len(q.folds) or after not in q.content or after in explained:
            return frozenset()
        word = q.folds[after]
        if word.isdigit() or word in self.library_words or word in self.all_library_words:
            return frozenset()
        return frozenset((after,))

    @staticmethod
    def price_asked(question: str) -> bool:
        """A market-price question: 'giá vàng hôm nay', 'giá quýt bao nhiêu 1 cân'."""
        folds = [t.fold for t in tokenize(question)]
        # 'bán bao nhiêu 1 cân', 'bao nhiêu tiền một ký': a market price, with or without 'giá'.
        if any(
            a in ("1", "mot") and b in cues.PRICE_UNITS for a, b in itertools.pairwise(folds)
        ) and ("nhieu" in folds or "gia" in folds):
            return True
        if "gia" not in folds:
            return False
        i = folds.index("gia")
        if i + 1 >= len(folds) or folds[i + 1] in cues.NOT_PRICE:
            return False
        rest = " ".join(folds[i + 1 :])
        if folds[i + 1] in ("vang", "xang"):
            return True
        if any(f" {p} " in f" {rest} " for p in cues.PRICE_NOW):
            return True
        return any(
            a in ("1", "mot") and b in cues.PRICE_UNITS for a, b in itertools.pairwise(folds[i:])
        )

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
            " ".join(whole.tokens[i].acc for i in sorted(h.positions))
            for prefix in ("library:", "center:", "stop:")
            for h in self.hits(whole, prefix)[:1]
        ]
        best: Answer | None = None
        best_value = -1.0
        for n, part in enumerate(parts):
            if n and names:
                folded = fold(part)
                missing = [x for x in names if fold(x) not in folded]
                part = " ".join([*missing, part])
            answer = self._ask(part, now, exclude)
            value = answer.score * (CLARIFY_WEIGHT if answer.kind == "clarify" else 1.0)
            if n:
                value *= READING_KEEP
            if answer.kind == "fallback":
                value = -0.5
            if value > best_value + (READING_MARGIN if n else 0.0):
                best, best_value = answer, value
        assert best is not None
        return best

    def fallback(self) -> Answer:
        """The out-of-scope reply, with the pack's contact."""
        return Answer("fallback", (), 0.0, replies.fallback_text(self.pack))

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

        def offer(
            kind: str,
            ref: str,
            score: float,
            answer: Answer | None = None,
            words: frozenset[str] | None = None,
        ) -> None:
            """``words``: what the answer mentions, for the foreign-word rule (None: text
            items, already judged by text_scores)."""
            if words is not None and any(q.folds[i] not in words for i in foreign):
                score *= FOREIGN_KEEP
            if price:
                score *= FOREIGN_KEEP
            cands.append(Candidate(kind, ref, max(0.0, min(1.0, score))))
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
            strong_sched = q.find(
                (
                    "lan toi",
                    "lan sau",
                    "sap toi",
                    "den dau",
                    "ve dau",
                    "lich",
                    "khi nao",
                    "bao gio",
                    "may gio",
                    "o dau",
                    "di dau",
                    "ngay nao",
                    "tiep theo",
                )
            )
            base = 0.6 + (0.25 if stop_hits else 0.0)
            base += 0.35 if (strong_sched or q.when) else (0.1 if sched_pos else 0.0)
            named = set().union(*(h.positions for h in stop_hits)) if stop_hits else set()
            words = self.item_words.get("@mobile", none)
            stop_words = {i for i in q.content if q.folds[i] in words} if stop_hits else set()
            # 'đến những xã nào': the visits name their communes and villages.
            areas = q.find(cues.AREA_HEADS)
            u = self.unexplained(
                q, mobile_pos | sched_pos | lib_word | named | when_ask | stop_words | areas
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
            generic = q.find(("trung tam hoc tap cong dong", "trung tam", "xa", "phuong"))
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
        for ref, score in faq_offers:
            offer("faq", ref, score * faq_keep)
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
                offer("courses", ref, adjusted[ref], answer)
                # A class wins over its topic's list only when clearly more specific.
                listed = {
                    f"course:{c.id}"
                    for c in courses
                    if adjusted.get(f"course:{c.id}", 0.0) < adjusted[ref] + 0.04
                }
        for ref, score in adjusted.items():
            if ref.startswith("course:") and ref not in listed:
                offer("course", ref, score)
        # A general question about classes ("lớp nào sắp khai giảng", "lớp miễn phí ở X").
        # 'lớp ở Cam Lộ mấy giờ', 'lớp nào học ngày nào': asking words do not make it specific.
        asking = hours_pos | when_ask | q.find(cues.SCHEDULE)
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
        decision = decide(cands)
        if decision.action == "fallback" or decision.best is None:
            return self.fallback()
        if decision.action == "clarify":
            top = decision.best.ref
            if top.startswith(("course:", "topic:")) and (
                missing := self._subject_missing(q, top)
            ):
                # 'lớp tiếng Hàn' with only English classes near: no such class, said plainly.
                near = plans.get(top) or self.render(top, now)
                none = self._none_like(missing, near)
                none = Answer(none.kind, none.ids, round(decision.best.score, 3), none.text)
                return self._with_context(none, top, q, now)
            return self._with_context(
                self._clarify(decision.suggestions, decision.best.score), "", q, now
            )
        best = decision.best
        answer = plans.get(best.ref) or self.render(best.ref, now)
        if best.ref.startswith("@") and best.kind in ("greeting", "thanks", "help"):
            answer = self._small_talk(best.kind)
        missing = None
        if best.ref.startswith(("course:", "topic:")):
            missing = self._subject_missing(q, best.ref)
            if missing:
                answer = self._none_like(missing, answer)
        answer = Answer(answer.kind, answer.ids, round(best.score, 3), answer.text, answer.choices)
        focus = self._focus(adjusted) if best.ref.startswith("topic:") and not missing else ""
        asks = hours_pos | when_ask | fee_pos | q.find(cues.WHERE) | q.find(cues.SCHEDULE)
        which = q.find(("nao", "nhung", "cac"))  # 'lớp nào', 'những lớp': a list is asked
        if focus and asks and not which and answer.kind == "courses" and not q.when and not q.part:
            # 'lớp dệt vải lanh học mấy giờ': one class clearly meant and a detail asked — that
            # class's own answer, not its topic's list.
            card = self.render(focus, now)
            answer = Answer(card.kind, card.ids, answer.score, card.text, card.choices)
            return self._with_context(answer, focus, q, now, center_ids)
        return self._with_context(answer, best.ref, q, now, center_ids, focus)

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
    def _focus(adjusted: dict[str, float]) -> str:
        """The class the question's words match clearly best, even when its topic's list is
        the answer ('lớp chằm nón lá' → the crafts list): a follow-up is about that class."""
        ranked = sorted(
            ((score, ref) for ref, score in adjusted.items() if ref.startswith("course:")),
            reverse=True,
        )
        if not ranked:
            return ""
        if len(ranked) > 1 and ranked[0][0] - ranked[1][0] < FOCUS_MARGIN:
            return ""
        return ranked[0][1]

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

    def _item_text_words(self, ref: str) -> frozenset[str]:
        kind, _, item = ref.partition(":")
        pack = self.pack
        courses = (
            [c for c in pack.courses if c.topic == item]
            if kind == "topic"
            else [c for c in pack.courses if c.id == item]
        )
        texts: list[str] = []
        for c in courses:
            texts += [c.title, *c.keywords, c.description or ""]
            topic = pack.topic(c.topic)
            if topic is not None:
                # The topic's name, not its synonyms: 'nuôi dê' may be a synonym of livestock
                # with no goat class in it.
                texts.append(topic.name)
        return self._words(texts)

    def _item_text_accents(self, ref: str) -> frozenset[str]:
        """Syllables as written (with marks) of the classes an answer names."""
        kind, _, item = ref.partition(":")
        pack = self.pack
        courses = [
            c for c in pack.courses if (c.topic == item if kind == "topic" else c.id == item)
        ]
        texts = [t for c in courses for t in (c.title, *c.keywords, c.description or "")]
        for c in courses:
            topic = pack.topic(c.topic)
            if topic is not None:
                texts.append(topic.name)
        return frozenset(t.acc for text in texts for t in self.analyze(text))

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

    # -- answers -------------------------------------------------------------------------------

    def _small_talk(self, kind: str) -> Answer:
        text = {
            "greeting": replies.greeting_text(self.pack),
            "thanks": replies.THANKS_TEXT,
            "help": replies.help_text(self.pack),
        }[kind]
        return Answer(kind, (), 1.0, text)

    def label(self, ref: str) -> str:
        """Short button label of an item."""
        kind, _, item = ref.partition(":")
        pack = self.pack
        name: str | None = None
        if kind == "faq" and (f := self.faq_by_id.get(item)):
            name = f.question
        elif kind == "course" and (c := pack.course(item)):
            name = c.title
        elif kind == "center" and (ce := pack.center(item)):
            name = ce.name
        elif kind == "library" and (lib := pack.library(item)):
            name = f"Giờ mở cửa {lib.name}"
        elif kind == "stop" and (st := pack.stop(item)):
            name = f"Xe thư viện: {st.place}"
        elif kind == "topic" and (t := pack.topic(item)):
            name = f"Lớp {t.name}"
        elif ref == "@mobile":
            name = "Lịch xe thư viện lưu động"
        elif ref == "@courses":
            name = "Các lớp sắp khai giảng"
        return _label(name or ref)

    def _clarify(self, picks: Sequence[Candidate], score: float) -> Answer:
        refs = [p.ref for p in picks if not p.ref.startswith("@")]
        if not refs:
            return self.fallback()
        choices = tuple(Choice(r, self.label(r)) for r in refs)
        text = "Bạn muốn hỏi về:\n" + "\n".join(
            f"{n}. {c.label}" for n, c in enumerate(choices, 1)
        )
        ids = tuple(r.split(":", 1)[1] for r in refs)
        return Answer("clarify", ids, round(score, 3), text, choices)

    def _filtered(
        self, q: Parsed, center_ids: set[str], free_only: bool, today: dt.date
    ) -> list[Course]:
        courses = list(self.pack.courses)
        if center_ids:
            courses = [c for c in courses if c.center in center_ids] or courses
        if q.when is not None and not q.when.now:
            span = q.when
            inside = [c for c in courses if c.start_date <= span.end and c.end_date >= span.start]
            courses = inside or courses
        named = frozenset().union(*(h.positions for h in self.hits(q, "center:")))
        if q.find(cues.UPCOMING) - named:
            courses = [c for c in courses if replies.status(c, today) == "upcoming"] or courses
        live = [c for c in courses if replies.status(c, today) != "finished"]
        courses = live or courses
        if free_only:
            courses = [c for c in courses if c.fee == 0] or courses
        return replies.course_order(courses, today)[:8]

    def _courses_answer(
        self,
        courses: Sequence[Course],
        today: dt.date,
        heading: str,
        free_only: bool,
        center_ids: set[str],
        q: Parsed | None = None,
        now: dt.datetime | None = None,
    ) -> Answer:
        chosen = list(courses)
        if free_only:
            chosen = [c for c in chosen if c.fee == 0] or chosen
        if center_ids:
            chosen = [c for c in chosen if c.center in center_ids] or chosen
        dated = q is not None and q.when is not None and not q.when.now
        if q is not None and now is not None and (dated or q.part is not None):
            return self._sessions_answer(chosen, q, now, heading)
        ordered = replies.course_order(chosen, today)[:8]
        text = replies.courses_text(self.pack, ordered, today, heading)
        choices = tuple(Choice(f"course:{c.id}", _label(c.title)) for c in ordered)
        return Answer("courses", tuple(c.id for c in ordered), 1.0, text, choices)

    def _sessions_answer(
        self, courses: Sequence[Course], q: Parsed, now: dt.datetime, heading: str
    ) -> Answer:
        """Classes that meet on the day / part of the day asked; an honest 'none' first."""
        today = now.date()
        when = q.when
        if when is None or when.now:
            # 'lớp buổi tối' (no day): every class still running or to come, in that part.
            if when is None:
                live = [
                    c
                    for c in courses
                    if replies.status(c, today) != "finished" and schedule.in_part(c, q.part)
                ]
                ordered = replies.course_order(live, today)[: schedule.LIST_LIMIT]
                part = schedule.PART_NAMES[q.part or "toi"]
                if not ordered:
                    text = f"Hiện không có lớp nào học buổi {part}."
                    return Answer("courses", (), 1.0, text)
                text = replies.courses_text(
                    self.pack, ordered, today, f"{heading.removesuffix(' học')} học buổi {part}"
                )
                choices = tuple(Choice(f"course:{c.id}", _label(c.title)) for c in ordered)
                return Answer("courses", tuple(c.id for c in ordered), 1.0, text, choices)
            when = dataclasses.replace(when, start=today, end=today, now=False)
        found = schedule.meeting(courses, when, now)[: schedule.LIST_LIMIT]
        label = schedule.span_label(when, today)
        if not found:
            lines = [f"{label} không có lớp nào học."]
            nxt = schedule.next_session(
                [c for c in courses if replies.status(c, today) != "finished"],
                max(when.end, today),
                when.part,
            ) or schedule.next_session(courses, max(when.end, today))
            if nxt is not None:
                course, day = nxt
                lines.append("Buổi học gần nhất sau đó:")
                lines.append(schedule.session_line(course, day, self._where(course)))
                choice = (Choice(f"course:{course.id}", _label(course.title)),)
                return Answer("courses", (), 1.0, "\n".join(lines), choice)
            return Answer("courses", (), 1.0, lines[0])
        count = f"{len(found)} lớp" if len(found) > 1 else "1 lớp"
        lines = [f"{label} có {count}:"]
        lines += [schedule.session_line(c, d, self._where(c)) for c, d in found]
        choices = tuple(Choice(f"course:{c.id}", _label(c.title)) for c, _ in found)
        return Answer("courses", tuple(c.id for c, _ in found), 1.0, "\n".join(lines), choices)

    def _open_libraries_answer(self, q: Parsed, now: dt.datetime) -> Answer:
        """Which libraries are open on the day(s) asked (or now), open ones first."""
        today = now.date()
        when = q.when
        libs = list(self.pack.libraries)
        if when is None or when.now:
            open_now = [lib for lib in libs if replies.is_open(lib, now)]
            lines = (
                [f"Bây giờ có {len(open_now)} thư viện đang mở cửa:"]
                if open_now
                else ["Bây giờ không có thư viện nào đang mở cửa."]
            )
            lines += [
                f"- {lib.name}: {replies.fmt_ranges(replies.ranges_on(lib, today))}"
                for lib in open_now
            ]
            rest = [lib for lib in libs if lib not in open_now]
            for lib in rest:
                nxt = replies.next_opening(lib, now)
                if nxt is not None:
                    lines.append(f"- {lib.name}: mở lại {replies.moment_label(nxt, today)}")
            ids = tuple(lib.id for lib in open_now or rest)
            return Answer("library_hours", ids, 1.0, "\n".join(lines), self._lib_choices(ids))
        end = min(when.end, when.start + dt.timedelta(days=13))
        days = [when.start + dt.timedelta(days=n) for n in range((end - when.start).days + 1)]
        found: list[tuple[str, list[str]]] = []
        for lib in libs:
            parts = []
            for day in days:
                ranges = replies.ranges_on(lib, day)
                if when.part:
                    low, high = schedule.PARTS[when.part]
                    ranges = [(a, b) for a, b in ranges if a < high and b > low]
                if ranges:
                    label = schedule.span_label(
                        dataclasses.replace(when, start=day, end=day), today
                    )
                    parts.append(
                        f"{label} {replies.fmt_ranges(ranges)}"
                        if len(days) > 1
                        else replies.fmt_ranges(ranges)
                    )
            if parts:
                found.append((lib.id, parts))
        label = schedule.span_label(dataclasses.replace(when, end=end), today)
        if not found:
            lines = [f"{label} không có thư viện nào mở cửa."]
            for lib in libs:
                closure = next((c for d in days if (c := replies.closure_on(lib, d))), None)
                why = f" ({closure.reason})" if closure and closure.reason else ""
                lines.append(f"- {lib.name}: nghỉ{why}")
            ids = tuple(lib.id for lib in libs)
            return Answer("library_hours", ids, 1.0, "\n".join(lines), self._lib_choices(ids))
        count = f"{len(found)} thư viện" if len(found) > 1 else "1 thư viện"
        lines = [f"{label} có {count} mở cửa:"]
        for lib_id, parts in found:
            lib = self.pack.library(lib_id)
            lines.append(f"- {lib.name if lib else lib_id}: {'; '.join(parts)}")
        closed = [lib for lib in libs if lib.id not in {i for i, _ in found}]
        if closed:
            lines.append("Không mở: " + ", ".join(lib.name for lib in closed) + ".")
        ids = tuple(i for i, _ in found)
        return Answer("library_hours", ids, 1.0, "\n".join(lines), self._lib_choices(ids))

    def _lib_choices(self, ids: Sequence[str]) -> tuple[Choice, ...]:
        return tuple(Choice(f"library:{i}", self.label(f"library:{i}")) for i in ids)

    def _where(self, course: Course) -> str:
        center = self.pack.center(course.center)
        return center.commune if center and center.commune else (center.name if center else "")

    def _course_answer(self, course: Course, today: dt.date) -> Answer:
        text = replies.course_text(self.pack, course, today)
        return Answer("course", (course.id,), 1.0, text)

    def _center_answer(self, center: object) -> Answer:
        from bot.pack.models import Center

        assert isinstance(center, Center)
        return Answer("center", (center.id,), 1.0, replies.center_text(center))

    def _library_answer(
        self,
        lib: object,
        now: dt.datetime,
        when: When | None,
        closures: bool,
        at: dt.time | None = None,
    ) -> Answer:
        from bot.pack.models import Library

        assert isinstance(lib, Library)
        text = replies.library_text(lib, now, when, closures)
        if at is not None:
            day = when.start if when is not None and not when.now else now.date()
            text = (
                replies.open_at_line(lib, dt.datetime.combine(day, at), now.date()) + "\n" + text
            )
        return Answer("library_hours", (lib.id,), 1.0, text)

    def _mobile_answer(
        self, q: Parsed | None, stop_refs: Sequence[str], now: dt.datetime
    ) -> Answer:
        """The van's visits: on the day(s) asked, else the next ones not yet over; an honest
        'no visit' first when the day asked has none, then the next visit."""
        pack = self.pack
        today = now.date()
        stops: list[Stop] = [s for s in pack.stops if f"stop:{s.id}" in stop_refs] or pack.stops
        specific = bool(stop_refs)
        when = q.when if q is not None else None
        part = (when.part if when else None) or (q.part if q is not None else None)
        vehicle = pack.mobile.vehicle if pack.mobile else None
        name = vehicle.name if vehicle else "Xe thư viện lưu động"
        phone = vehicle.phone if vehicle else None
        lines: list[str] = []
        if when is not None and not when.now:
            shown = visits.between(stops, when.start, when.end)
            if part is not None:
                shown = [v for v in shown if _in_part(v[1].time, part)]
            long_span = (when.end - when.start).days > 7
            shown = shown[: MONTH_LIST if long_span else MOBILE_LIST]
            label = schedule.span_label(when, today)
            over = [v for v in shown if visits.is_over(v, now)]
            if not shown:
                where = f" ở {stops[0].commune}" if specific else ""
                lines.append(f"{label} {name[:1].lower()}{name[1:]} không có lịch{where}.")
                shown = visits.upcoming(stops, max(now, _start_of(when.end)), 365)[:1]
                if shown:
                    lines.append("Lần tới: " + _visit_line(shown[0]).removeprefix("- "))
            else:
                lines.append(f"{label}, {name[:1].lower()}{name[1:]} đến:")
                lines += [_visit_line(v) + (" (đã xong)" if v in over else "") for v in shown]
            if shown and over and len(over) == len(shown):
                nxt = visits.upcoming(stops, now, 365)[:1]
                if nxt:
                    lines.append("Lần tới: " + _visit_line(nxt[0]).removeprefix("- "))
                    shown = [*shown, nxt[0]]
        else:
            horizon = 120 if specific else MOBILE_DAYS
            shown = visits.upcoming(stops, now, horizon)
            if part is not None:
                shown = [v for v in shown if _in_part(v[1].time, part)] or shown
            if not shown:
                shown = visits.upcoming(stops, now, 365)[:3]
            shown = shown[:4] if specific else shown[:MOBILE_LIST]
            if shown:
                lines.append(f"Lịch {name[:1].lower()}{name[1:]}:")
                lines += [_visit_line(v) for v in shown]
            else:
                lines.append(f"{name} hiện chưa có lịch" + (" ở đó." if specific else "."))
        if phone:
            lines.append(f"Liên hệ xe: {phone}.")
        ids: list[str] = []
        for _, s in shown:
            if s.id not in ids:
                ids.append(s.id)
        choices = tuple(Choice(f"stop:{i}", _label(pack.stop(i).place)) for i in ids)  # type: ignore[union-attr]
        return Answer("mobile_stops", tuple(ids), 1.0, "\n".join(lines), choices)

    def render(self, ref: str, now: dt.datetime) -> Answer:
        """The answer for one item (a button pressed, or menu browsing); never raises.

        Its ``context`` is set exactly as for a typed question about the same item.
        """
        try:
            local = self.local(now)
            answer = self._with_context(self._render(ref, local), ref, None, local)
        except Exception:
            log.exception("engine failed rendering %r", ref)
            if self.raise_errors:
                raise
            answer = self.fallback()
        return remember(answer, now)

    def _render(self, ref: str, now: dt.datetime) -> Answer:
        kind, _, item = ref.partition(":")
        today = now.date()
        pack = self.pack
        if kind == "faq" and (f := self.faq_by_id.get(item)):
            return Answer("faq", (f.id,), 1.0, f.answer.strip())
        if kind == "course" and (c := pack.course(item)):
            return self._course_answer(c, today)
        if kind == "center" and (ce := pack.center(item)):
            return self._center_answer(ce)
        if kind == "library" and (lib := pack.library(item)):
            return self._library_answer(lib, now, None, True)
        if kind == "stop" and (st := pack.stop(item)):
            return self._mobile_answer(None, [f"stop:{st.id}"], now)
        if kind == "topic" and (t := pack.topic(item)):
            courses = [c for c in pack.courses if c.topic == t.id]
            return self._courses_answer(courses, today, f"Các lớp {t.name}", False, set())
        if ref == "@mobile":
            return self._mobile_answer(None, [], now)
        if ref == "@courses":
            return self._courses_answer(pack.courses, today, "Các lớp học", False, set())
        return self.fallback()
