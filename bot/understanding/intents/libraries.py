"""A library's address and phone, and its opening hours (computed from the data)."""

from __future__ import annotations

from bot.understanding import cues, replies
from bot.understanding.answer import Answer
from bot.understanding.base import EngineBase
from bot.understanding.intents.asked import NONE, Asked
from bot.understanding.weights import BARE_HOURS


def offer_contact(engine: EngineBase, a: Asked) -> None:
    """'thư viện thiếu nhi ở đâu', 'sđt thư viện tỉnh'."""
    q = a.q
    where_pos = q.find(cues.WHERE)
    if not (where_pos and a.own_libs and not a.hours_pos):
        return
    hit = a.own_libs[0]
    lib = engine.pack.library(hit.ref.split(":", 1)[1])
    words = engine.item_words.get(hit.ref, NONE)
    u = engine.unexplained(q, where_pos | hit.positions | a.lib_word)
    if lib is not None:
        text = replies.library_contact_text(lib, a.now)
        answer = Answer("library_hours", (lib.id,), 1.0, text)
        a.offer(
            "library_hours", hit.ref, (0.6 + 0.35 * hit.strength) * (1 - u) ** 1.5, answer, words
        )


def offer_hours(engine: EngineBase, a: Asked) -> None:
    """Opening hours of the library named (or of the main one), of every library for 'which
    library is open', or the closures asked about."""
    q, now = a.q, a.now
    pack = engine.pack
    if not (a.hours_pos and pack.libraries and not (a.mobile_strong and not a.lib_hits)):
        return
    lib_hits = a.own_libs
    hours_pos, lib_word, when_ask = a.hours_pos, a.lib_word, a.when_ask
    lib_ref = lib_hits[0].ref if lib_hits else f"library:{pack.libraries[0].id}"
    named = set(lib_hits[0].positions) if lib_hits else set()
    extra = {i for i in q.content if q.folds[i] in engine.library_words}
    words = engine.item_words.get(lib_ref, NONE)
    extra |= {i for i in q.content if q.folds[i] in words}
    closure_pos = q.find(("nghi", "tet", "le", "dong cua"))
    asked = hours_pos | lib_word | named | extra
    if closure_pos or q.when:
        asked |= when_ask
    u = engine.unexplained(q, asked)
    base = 0.6 + (0.3 if (lib_hits or lib_word) else 0.0) + (0.05 if q.when else 0.0)
    if lib_hits and closure_pos:
        base += 0.05
    if a.mobile_strong:
        base -= 0.3
    lib = pack.library(lib_ref.split(":", 1)[1])
    which = q.find(cues.WHICH_LIBRARY)
    asking = hours_pos | when_ask | lib_word | q.find(cues.WHERE)
    bare = not lib_hits and all(i in asking for i in q.content)
    if bare and len(pack.libraries) > 1 and not which:
        # 'giờ mở cửa?', 'bây giờ thư viện còn mở không': every library, for the moment.
        which = hours_pos
        base = max(base, BARE_HOURS)
    if which and closure_pos:
        which = frozenset()  # 'lịch nghỉ lễ của các thư viện': the closures entry
    if lib is not None and which and not lib_hits and len(pack.libraries) > 1:
        # 'thư viện nào mở chủ nhật': every library, those open first.
        u = engine.unexplained(q, asked | which)
        answer = engine._open_libraries_answer(q, now)
        a.offer("library_hours", "@libraries", base * (1 - u) ** 1.5, answer, words)
    elif lib is not None:
        a.offer(
            "library_hours",
            lib_ref,
            base * (1 - u) ** 1.5,
            engine._library_answer(lib, now, q.when, bool(closure_pos), q.at),
            words,
        )
