"""Reading a question: tokens after the lexicon, date and time words, the pack's names in it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.understanding import cues, informative, schedule
from bot.understanding.base import EngineBase
from bot.understanding.dates import When, parse_when
from bot.understanding.index import STOP_ACC, is_stop
from bot.understanding.normalize import Token, tokenize
from bot.understanding.weights import FINAL_PARTICLES, MARKED_PARTICLES
from bot.wording import fold

log = logging.getLogger(__name__)

Phrase = tuple[str, ...]


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
# One-word forms of address that may close a question after its particle.
_ADDRESSED = frozenset(w for w in cues.ADDRESSEE if " " not in w) | {"a", "ak", "ah"}
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


def _clock_time(folds: Sequence[str], part: str | None) -> tuple[dt.time | None, frozenset[int]]:
    """'12 giờ', '4 giờ 30', '4h chiều' -> a time of day and the positions that said it."""
    for i in range(len(folds) - 1):
        if folds[i].isdecimal() and folds[i + 1] == "gio" and int(folds[i]) <= 24:
            hour = int(folds[i]) % 24
            minute = 0
            used = {i, i + 1}
            if i + 2 < len(folds) and folds[i + 2].isdecimal() and int(folds[i + 2]) < 60:
                minute = int(folds[i + 2])
                used.add(i + 2)
            if part in ("chieu", "toi") and hour < 12:
                hour += 12
            return dt.time(hour, minute), frozenset(used)
    return None, frozenset()


def _label(text: str, limit: int = 40) -> str:
    """A button label of at most ``limit`` characters, cut at a word with '…'."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,:;–-") + "…"


class Reading(EngineBase):
    """Parsing methods of the engine (mixed into :class:`Engine`)."""

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
                and not t.fold.isdecimal()
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
        # The particle may be followed by whom it is said to ('ở đâu vậy ad', '... vay ban').
        end = len(fixed)
        while end > 1 and fixed[end - 1].fold in _ADDRESSED:
            end -= 1
        if content and self._final_particle(fixed[:end]):
            content = tuple(i for i in content if i != end - 1)
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
