"""The fast paths of the index and the lexicon give the same results as the plain ones."""

from __future__ import annotations

import datetime as dt
import itertools
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.pack.models import Faq, Pack, PackInfo
from bot.understanding import Engine
from bot.understanding.index import TextIndex, bigrams
from bot.understanding.lexicon import Lexicon, builtin
from bot.understanding.normalize import Token, tokenize
from tests.understanding_helpers import DEV_PACK, engine_for

NOW = dt.datetime(2026, 12, 2, 9, 0)
WORDS_TEXT = (
    "thư viện sách mượn trả thẻ học lớp nghề may tin điện thoại xe lưu động xã phường trung tâm "
    "cộng đồng khuyến học bổng gia đình công dân danh hiệu đọc internet wifi miễn phí hỗ trợ "
    "nông thôn cây trồng vật nuôi cá lúa cam quýt rau chăn tiếng anh trẻ em người cao tuổi phụ "
    "nữ thanh niên pháp luật giao thông sức khỏe dinh dưỡng bảo hiểm hồ sơ đăng ký thủ tục"
)
WORDS = WORDS_TEXT.split()


def plain_apply(lexicon: Lexicon, tokens: list[Token]) -> list[Token]:
    """Lexicon.apply without its shortcuts: every position, longest run first."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        for size in range(min(lexicon.longest, len(tokens) - i), 0, -1):
            run = tokens[i : i + size]
            meaning = lexicon.accented.get(tuple(t.acc for t in run))
            if meaning is None and not any(t.marked for t in run):
                meaning = lexicon.table.get(tuple(t.fold for t in run))
            if (
                meaning is None
                and size == 1
                and run[0].marked
                and run[0].acc.replace("đ", "d") == run[0].fold
            ):
                meaning = lexicon.table.get((run[0].fold,))
            if meaning is not None:
                out.extend(meaning)
                i += size
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


PIECES = [
    *(e.short for e in builtin()),
    *(e.means for e in builtin()),
    *WORDS,
    "đc",
    "sđt",
    "k",
    "26/3",
    "9h30",
    "!!",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=8), st.booleans())
def test_lexicon_shortcuts_change_nothing(pieces: list[str], upper: bool) -> None:
    lexicon = Lexicon.build({"tv": "thư viện", "xe tv": "xe thư viện"})
    text = " ".join(pieces)
    tokens = tokenize(text.upper() if upper else text)
    assert lexicon.apply(tokens) == plain_apply(lexicon, tokens)


def plain_candidates(index: TextIndex, terms: set[str]) -> set[int]:
    """Every document sharing a term with the question."""
    return {n for t in terms for n in index.postings.get(t, ())}


def test_candidates_of_a_small_pack_are_every_document_sharing_a_term() -> None:
    engine = engine_for(str(DEV_PACK))
    for question in ("giờ mở cửa thư viện", "làm thẻ thư viện", "lớp tin học miễn phí"):
        q = engine.parse(question, NOW.date())
        terms = {q.folds[i] for i in q.content} | set(bigrams(q.folds))
        found = engine.index.candidates(terms)
        assert set(found) == plain_candidates(engine.index, terms)
        scores = [
            sum(engine.index.idf[t] for t in engine.index.docs[n].terms & terms) for n in found
        ]
        assert all(a >= b - 1e-9 for a, b in itertools.pairwise(scores))


def test_lazy_features_match_the_document() -> None:
    index = engine_for(str(DEV_PACK)).index
    for number, doc in enumerate(index.docs):
        features = index.features(number)
        assert features.ref == doc.ref
        assert {f: accs for f, (accs, _) in features.forms.items()} == doc.forms
        assert features.total == sum(index.idf[f] for f in set(doc.folds))
        assert features.terms == frozenset(doc.folds) | frozenset(doc.grams)


def large_pack(size: int) -> Pack:
    rnd = random.Random(size)
    faq = []
    for n in range(size):
        words = rnd.sample(WORDS, 6)
        faq.append(
            Faq(
                id=f"q{n}",
                question=f"{' '.join(words)} mã {n}?",
                alternates=[" ".join(rnd.sample(words, 4)) + f" số {n}"],
                answer="Trả lời " + " ".join(rnd.sample(WORDS, 8)),
            )
        )
    return Pack(info=PackInfo(name="Lớn", organisation="Lớn", contact="0000"), faq=faq)


def test_a_large_pack_still_finds_each_question() -> None:
    """Candidate search bounds its work on large packs (common terms only add weight): an
    entry's own question and alternate must still find it."""
    pack = large_pack(3000)
    engine = Engine.build(pack)
    common = [t for t, p in engine.index.postings.items() if len(p) > engine.index.common]
    assert len(common) > 20  # the bounded path is taken
    for f in random.Random(1).sample(pack.faq, 40):
        assert engine.ask(f.question, NOW).ids[:1] == (f.id,)
        assert engine.ask(f.alternates[0], NOW).ids[:1] == (f.id,)
