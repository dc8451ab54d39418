"""In-memory index of a pack's text: IDF weights, an inverted index over folded syllables and
bigrams, phrase lookup for named things, and spelling correction of unknown syllables."""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import NamedTuple

from rapidfuzz import fuzz, process

from bot.understanding.normalize import Token
from bot.wording import fold

# General Vietnamese function words: never evidence for or against an answer.
STOP_ACC: frozenset[str] = frozenset(
    [
        "tôi",
        "mình",
        "bạn",
        "em",
        "anh",
        "chị",
        "ông",
        "bà",
        "cô",
        "chú",
        "bác",
        "cậu",
        "tớ",
        "chúng",
        "ta",
        "họ",
        "nó",
        "ad",
        "có",
        "không",
        "là",
        "gì",
        "nào",
        "thì",
        "và",
        "với",
        "của",
        "cho",
        "ở",
        "đâu",
        "được",
        "muốn",
        "cần",
        "những",
        "các",
        "cái",
        "này",
        "đó",
        "kia",
        "à",
        "ạ",
        "nhé",
        "ơi",
        "nha",
        "nhỉ",
        "hả",
        "ah",
        "vậy",
        "thế",
        "sao",
        "ra",
        "làm",
        "bao",
        "nhiêu",
        "nhiều",
        "mấy",
        "khi",
        "lúc",
        "hỏi",
        "xin",
        "vui",
        "lòng",
        "giúp",
        "dùm",
        "giùm",
        "đi",
        "rồi",
        "chưa",
        "đã",
        "sẽ",
        "đang",
        "vẫn",
        "còn",
        "cứ",
        "như",
        "tại",
        "vì",
        "để",
        "mà",
        "nếu",
        "hay",
        "hoặc",
        "cũng",
        "rất",
        "quá",
        "lại",
        "một",
        "ai",
        "đây",
        "biết",
        "ừ",
        "vâng",
        "dạ",
        "thể",
        "nhờ",
        "ạ",
        "luôn",
        "nữa",
        "chứ",
        "thôi",
        "ok",
        "oke",
        "bot",
        "chatbot",
    ]
)
# Folded forms that are also common content words once the marks are gone (chợ, chữ, Bắc, hộ).
_AMBIGUOUS_FOLDS = frozenset(
    [
        "cho",
        "chu",
        "bac",
        "to",
        "ho",
        "chi",
        "anh",
        "ba",
        "mai",
        "nam",
        "sau",
        "tu",
        "hai",
        "bay",
        "the",
        "lai",
        "vay",
        "may",
        "hoi",
    ]
)
STOP_FOLD: frozenset[str] = frozenset(fold(w) for w in STOP_ACC) - _AMBIGUOUS_FOLDS
# One set for both rules of :func:`is_stop`: a marked syllable is looked up as typed, an unmarked
# one by its folded form (equal to what was typed), and no unmarked word is in the marked part.
_STOP_ANY: frozenset[str] = frozenset(w for w in STOP_ACC if fold(w) != w) | STOP_FOLD

# Candidate search: a term in more than this share of the documents (and in more than
# COMMON_POSTINGS of them) only adds weight to documents already found by rarer terms, once there
# are enough of those (like a search engine's cut-off frequency): its documents are not all
# ranked. Small packs never reach it.
COMMON_SHARE = 0.01
COMMON_POSTINGS = 150


def is_stop(token: Token) -> bool:
    """A function word, judged on the accents when typed, else on the folded form."""
    return token.acc in STOP_ACC if token.marked else token.fold in STOP_FOLD


def bigrams(folds: Sequence[str]) -> list[str]:
    """Adjacent folded syllable pairs, joined by '_'."""
    return [f"{a}_{b}" for a, b in itertools.pairwise(folds)]


class Doc(NamedTuple):
    """One searchable text: which item it belongs to, how much it counts, its syllables as typed
    (accented), its content syllables (folded) and its bigram terms. Only strings and tuples, so
    that a large index adds nothing to the garbage collector's work; what scoring needs beyond
    that is made on first use by :meth:`TextIndex.features`."""

    ref: str
    weight: float
    accs: tuple[str, ...]
    folds: tuple[str, ...]
    grams: tuple[str, ...]

    @property
    def forms(self) -> dict[str, frozenset[str]]:
        """Folded syllable -> the accented forms it has in this text."""
        forms: dict[str, set[str]] = {}
        for a in self.accs:
            forms.setdefault(fold(a), set()).add(a)
        return {k: frozenset(v) for k, v in forms.items()}

    @property
    def terms(self) -> frozenset[str]:
        """What the inverted index knows the text by: content syllables and bigrams."""
        return frozenset(self.folds).union(self.grams)


class DocFeatures(NamedTuple):
    """A document as scoring sees it (see :meth:`TextIndex.features`)."""

    ref: str
    weight: float
    forms: dict[str, tuple[frozenset[str], float]]
    foldset: frozenset[str]
    total: float
    terms: frozenset[str]


@dataclass
class TextIndex:
    """Documents with IDF weights and an inverted index from term to documents."""

    docs: list[Doc] = field(default_factory=list)
    postings: dict[str, tuple[int, ...]] = field(default_factory=dict)
    idf: dict[str, float] = field(default_factory=dict)
    max_idf: float = 1.0
    vocab: list[str] = field(default_factory=list)
    vocab_set: frozenset[str] = frozenset()
    acc_idf: dict[str, float] = field(default_factory=dict)
    fold_max: dict[str, float] = field(default_factory=dict)
    acc_df: Counter[str] = field(default_factory=Counter)
    common: int = 1
    _features: dict[int, DocFeatures] = field(default_factory=dict)
    _sets: dict[str, frozenset[int]] = field(default_factory=dict)
    _corrections: dict[str, str | None] = field(default_factory=dict)
    _lists: defaultdict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    _seen: list[str] = field(default_factory=list)  # distinct accented syllables of each doc

    def add(self, ref: str, tokens: Sequence[Token], weight: float = 1.0) -> None:
        """Index one text of an item (tokens as made by tokenize(), so fold(acc) == fold)."""
        if not tokens:
            return
        accs = tuple([t.acc for t in tokens])
        all_folds = [t.fold for t in tokens]
        stops = _STOP_ANY.intersection(accs)
        if stops:
            # A bigram of two function words is no evidence.
            stop_folds = {fold(a) for a in stops}
            folds = tuple([f for f, a in zip(all_folds, accs, strict=True) if a not in stops])
            folds = folds or tuple(all_folds)
            grams = tuple(
                [
                    a + "_" + b
                    for a, b in itertools.pairwise(all_folds)
                    if a not in stop_folds or b not in stop_folds
                ]
            )
        else:
            folds = tuple(all_folds)
            grams = tuple([a + "_" + b for a, b in itertools.pairwise(all_folds)])
        number = len(self.docs)
        self.docs.append(Doc(ref, weight, accs, folds, grams))
        terms = set(folds).union(grams)
        # postings[term].append(number) for every term, looped in C (a hot path of build()).
        deque(map(list.append, map(self._lists.__getitem__, terms), repeat(number)), maxlen=0)
        self._seen.extend(set(accs))

    def finish(self) -> None:
        """Compute IDF once every document is in (again after more are added)."""
        # Tuples of ints: the garbage collector stops tracking them.
        for t, p in self._lists.items():
            self.postings[t] = self.postings.get(t, ()) + tuple(p)
        self._lists.clear()
        self.acc_df.update(self._seen)
        self._seen.clear()
        n = max(len(self.docs), 1)
        log = math.log
        self.idf = {t: log(1.0 + n / len(p)) for t, p in self.postings.items()}
        self.max_idf = log(1.0 + n) + 0.5
        self.acc_idf = {a: log(1.0 + n / c) for a, c in self.acc_df.items()}
        self.fold_max = {}
        for a, w in self.acc_idf.items():
            f = fold(a)
            if w > self.fold_max.get(f, 0.0):
                self.fold_max[f] = w
        self.vocab = sorted(t for t in self.postings if "_" not in t and len(t) >= 3)
        self.vocab_set = frozenset(self.postings)
        self.common = max(COMMON_POSTINGS, int(n * COMMON_SHARE))
        self._features.clear()
        self._sets.clear()
        self._corrections.clear()

    def weight(self, term: str) -> float:
        """IDF of a term; unknown terms weigh the most (they are what the user asks about)."""
        return self.idf.get(term, self.max_idf)

    def features(self, number: int) -> DocFeatures:
        """What scoring needs of a document, made on its first use and kept: its item and
        weight, folded syllable -> (accented forms, IDF of the rarest form), its distinct content
        syllables, their summed IDF, and all its terms."""
        found = self._features.get(number)
        if found is None:
            doc = self.docs[number]
            acc_idf = self.acc_idf
            forms = {
                f: (accs, max(acc_idf.get(a, 0.0) for a in accs)) for f, accs in doc.forms.items()
            }
            foldset = frozenset(doc.folds)
            total = sum(self.idf[f] for f in foldset)
            found = DocFeatures(doc.ref, doc.weight, forms, foldset, total, doc.terms)
            self._features[number] = found
        return found

    def known_features(self) -> Mapping[int, DocFeatures]:
        """The documents whose :meth:`features` are made already (read-only view)."""
        return self._features

    def doc_total(self, number: int) -> float:
        """Summed IDF of a document's distinct content syllables."""
        return self.features(number).total

    def token_weight(self, token: Token) -> float:
        """Weight of a question syllable: its accented form when typed with marks, else the
        rarest word it could be once marks are restored ('the' may be the rare 'thẻ')."""
        if token.marked:
            return self.acc_idf.get(token.acc, self.weight(token.fold))
        return self.fold_max.get(token.fold, self.weight(token.fold))

    def credit(self, token: Token, doc: Doc) -> float:
        """How well a document contains a question syllable (0..1, before the doc weight)."""
        forms = doc.forms.get(token.fold)
        if not forms:
            return 0.0
        return self.form_credit(token, forms)

    def form_credit(self, token: Token, forms: frozenset[str]) -> float:
        """:meth:`credit` given the accented forms a document has of the token's syllable."""
        if token.marked:
            return 1.0 if token.acc in forms else 0.6
        wanted = self.token_weight(token)
        have = max(self.acc_idf.get(a, 0.0) for a in forms)
        return min(1.0, have / wanted) if wanted else 1.0

    def correct(self, fold: str) -> str | None:
        """Closest known syllable to an unknown one ('thư vienn' typos), or None."""
        if len(fold) < 5 or fold in self.vocab_set or not self.vocab:
            return None
        if fold in self._corrections:
            return self._corrections[fold]
        found = process.extractOne(fold, self.vocab, scorer=fuzz.ratio, score_cutoff=84)
        better = str(found[0]) if found else None
        if len(self._corrections) < 4096:
            self._corrections[fold] = better
        return better

    def posting_set(self, term: str) -> frozenset[int]:
        """The documents of a term as a set (made on first use, for C-speed set algebra)."""
        found = self._sets.get(term)
        if found is None:
            found = self._sets[term] = frozenset(self.postings.get(term, ()))
        return found

    def candidates(self, terms: Iterable[str], limit: int = 150) -> list[int]:
        """Documents sharing the rarest query terms, best first (bounded work per query).

        Terms are taken rarest first; a document's score is the summed IDF of the terms it has.
        A very common term (see ``COMMON_SHARE``) brings in new documents only while fewer than
        ``limit`` have been found; after that it only adds to the score of those found."""
        postings = self.postings
        idf = self.idf
        found = sorted(((idf[t], t) for t in set(terms) if t in idf), reverse=True)
        scores: dict[int, float] = {}
        for w, term in found:
            plist = postings[term]
            if not scores:
                scores = dict.fromkeys(plist, w)
                continue
            if len(plist) <= 64:
                for number in plist:
                    scores[number] = scores.get(number, 0.0) + w
                continue
            pset = self.posting_set(term)
            # Set algebra walks the smaller side in C; only shared documents cost Python work.
            both = scores.keys() & pset if len(pset) < len(scores) else pset.intersection(scores)
            for number in both:
                scores[number] += w
            if len(plist) <= self.common or len(scores) < limit:
                scores.update(dict.fromkeys(pset.difference(scores), w))
        if len(scores) <= limit:
            return sorted(scores, key=scores.__getitem__, reverse=True)
        # Scores are sums of a few IDFs, so they take few distinct values: find the cut-off
        # from their counts (C speed) instead of ranking every document.
        counts = Counter(scores.values())
        need = limit
        cut = 0.0
        for value in sorted(counts, reverse=True):
            need -= counts[value]
            if need <= 0:
                cut = value
                break
        top = [number for number, value in scores.items() if value >= cut]
        top.sort(key=scores.__getitem__, reverse=True)
        return top[:limit]
