"""In-memory index of a pack's text: IDF weights, an inverted index over folded syllables and
bigrams, phrase lookup for named things, and spelling correction of unknown syllables."""

from __future__ import annotations

import heapq
import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from bot.understanding.normalize import Token, fold

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
    ]
)
STOP_FOLD: frozenset[str] = frozenset(fold(w) for w in STOP_ACC) - _AMBIGUOUS_FOLDS


def is_stop(token: Token) -> bool:
    """A function word, judged on the accents when typed, else on the folded form."""
    return token.acc in STOP_ACC if token.marked else token.fold in STOP_FOLD


def bigrams(folds: Sequence[str]) -> list[str]:
    """Adjacent folded syllable pairs, joined by '_'."""
    return [f"{a}_{b}" for a, b in itertools.pairwise(folds)]


@dataclass(frozen=True)
class Doc:
    """One searchable text: which item it belongs to, how much it counts, its terms."""

    ref: str
    weight: float
    folds: tuple[str, ...]
    accs: frozenset[str]
    terms: frozenset[str]
    forms: dict[str, frozenset[str]]


@dataclass
class TextIndex:
    """Documents with IDF weights and an inverted index from term to documents."""

    docs: list[Doc] = field(default_factory=list)
    postings: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    idf: dict[str, float] = field(default_factory=dict)
    max_idf: float = 1.0
    vocab: list[str] = field(default_factory=list)
    vocab_set: frozenset[str] = frozenset()
    acc_idf: dict[str, float] = field(default_factory=dict)
    doc_total: list[float] = field(default_factory=list)
    fold_max: dict[str, float] = field(default_factory=dict)

    def add(self, ref: str, tokens: Sequence[Token], weight: float = 1.0) -> None:
        """Index one text of an item."""
        forms: dict[str, set[str]] = {}
        content: list[str] = []
        stops: set[str] = set()
        for t in tokens:
            forms.setdefault(t.fold, set()).add(t.acc)
            if is_stop(t):
                stops.add(t.fold)
            else:
                content.append(t.fold)
        all_folds = [t.fold for t in tokens]
        folds = tuple(content) or tuple(all_folds)
        if not folds:
            return
        terms = frozenset(folds) | frozenset(
            f"{a}_{b}"
            for a, b in itertools.pairwise(all_folds)
            if a not in stops or b not in stops
        )
        self.docs.append(
            Doc(
                ref,
                weight,
                folds,
                frozenset(t.acc for t in tokens),
                terms,
                {k: frozenset(v) for k, v in forms.items()},
            )
        )

    def finish(self) -> None:
        """Compute IDF and postings once every document is in."""
        df: dict[str, int] = defaultdict(int)
        for number, doc in enumerate(self.docs):
            for term in doc.terms:
                df[term] += 1
                self.postings[term].append(number)
        n = max(len(self.docs), 1)
        self.idf = {t: math.log(1.0 + n / c) for t, c in df.items()}
        self.max_idf = math.log(1.0 + n) + 0.5
        acc_df: dict[str, int] = defaultdict(int)
        for doc in self.docs:
            for acc in doc.accs:
                acc_df[acc] += 1
        self.acc_idf = {a: math.log(1.0 + n / c) for a, c in acc_df.items()}
        for a, w in self.acc_idf.items():
            f = fold(a)
            self.fold_max[f] = max(self.fold_max.get(f, 0.0), w)
        self.doc_total = [sum(self.weight(f) for f in set(d.folds)) for d in self.docs]
        self.vocab = sorted(t for t in df if "_" not in t and len(t) >= 3)
        self.vocab_set = frozenset(df)

    def weight(self, term: str) -> float:
        """IDF of a term; unknown terms weigh the most (they are what the user asks about)."""
        return self.idf.get(term, self.max_idf)

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
        if token.marked:
            return 1.0 if token.acc in forms else 0.6
        wanted = self.token_weight(token)
        have = max(self.acc_idf.get(a, 0.0) for a in forms)
        return min(1.0, have / wanted) if wanted else 1.0

    def correct(self, fold: str) -> str | None:
        """Closest known syllable to an unknown one ('thư vienn' typos), or None."""
        if len(fold) < 5 or fold in self.vocab_set or not self.vocab:
            return None
        found = process.extractOne(fold, self.vocab, scorer=fuzz.ratio, score_cutoff=84)
        return str(found[0]) if found else None

    def candidates(self, terms: Iterable[str], limit: int = 150) -> list[int]:
        """Documents sharing the rarest query terms, best first (bounded work per query)."""
        scores: dict[int, float] = defaultdict(float)
        for term in sorted(set(terms), key=lambda t: -self.weight(t)):
            plist = self.postings.get(term)
            if not plist:
                continue
            w = self.weight(term)
            if len(plist) > 2000 and len(scores) >= limit:
                continue
            for number in plist:
                scores[number] += w
        return heapq.nlargest(limit, scores, key=scores.__getitem__)
