"""Scoring the pack's text items (FAQ, classes, topics) against a question; out-of-scope cues."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from operator import mul

from bot.understanding import cues
from bot.understanding.base import EngineBase
from bot.understanding.index import bigrams
from bot.understanding.normalize import tokenize
from bot.understanding.parsing import Hit, Parsed
from bot.understanding.weights import (
    FOREIGN_KEEP,
)


class Scoring(EngineBase):
    """Text scoring methods of the engine (mixed into :class:`Engine`)."""

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
            word.isdecimal()
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
        if word.isdecimal() or word in self.library_words or word in self.all_library_words:
            return frozenset()
        return frozenset((after,))

    def price_asked(self, question: str) -> bool:
        """A market-price question: 'giá vàng hôm nay', 'giá quýt bao nhiêu 1 cân' (read after
        the lexicon, so 'bữa ni' is 'hôm nay')."""
        tokens = tokenize(question)
        typed = [t.fold for t in tokens]
        folds = [t.fold for t in self.analyze(question)]
        if "gia" in typed and "gia" not in folds:
            folds = typed + folds  # 'giá' is rewritten 'phí' by the lexicon; it still asks a price
        # 'bán bao nhiêu 1 cân', 'bao nhiêu tiền một ký': a market price, with or without 'giá'.
        if any(
            a in ("1", "mot") and b in cues.PRICE_UNITS for a, b in itertools.pairwise(folds)
        ) and ("nhieu" in folds or "gia" in folds):
            return True
        joined = f" {' '.join(folds)} "
        if _buying([t.acc for t in tokens], joined):
            return True  # 'mua mật ong bạc hà thật ở đâu': where to buy, an errand of the market
        if " thuong lai " in joined and ("gia" in folds or " bao nhieu " in joined):
            return True  # 'bán cho thương lái giá bao nhiêu': what traders pay, a market price
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


# 'mua' after these is 'múa' typed without marks, a dance class ('lớp mua', 'học mua').
_DANCE_BEFORE = frozenset({"lop", "hoc", "day", "tap", "clb", "doi"})
_WHERE_TO_BUY = (" o dau ", " cho nao ", " tiem nao ", " cua hang ", " bao nhieu ", " gia ")


def _buying(typed: list[str], joined: str) -> bool:
    """'mua X ở đâu', 'mua X giá bao nhiêu': buying something ('múa', 'mùa' typed with their
    marks are not 'mua'; 'lop mua' typed without them is the dance class)."""
    for i, acc in enumerate(typed):
        if acc.lower() == "mua" and (i == 0 or typed[i - 1].lower() not in _DANCE_BEFORE):
            return any(w in joined for w in _WHERE_TO_BUY)
    return False
