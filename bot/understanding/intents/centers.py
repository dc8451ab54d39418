"""A learning centre's address and phone."""

from __future__ import annotations

from bot.understanding import cues
from bot.understanding.base import EngineBase
from bot.understanding.intents.asked import NONE, Asked

# Words of any centre's name: naming one of them is not asking for its address.
GENERIC: tuple[str, ...] = (
    "trung tam hoc tap cong dong",
    "trung tam hoc tap",
    "hoc tap cong dong",
    "trung tam",
    "xa",
    "phuong",
)
UNASKED = 0.45  # a centre named in a question about classes, hours or the van


def offer(engine: EngineBase, a: Asked) -> None:
    if not a.own_centers:
        return
    q = a.q
    hit = a.own_centers[0]
    generic = q.find(GENERIC)
    u = engine.unexplained(q, a.center_pos | hit.positions | generic)
    cue = bool(q.find(cues.CENTER) - generic) or not (a.course_pos or a.hours_pos or a.mobile_pos)
    base = (0.6 + 0.35 * hit.strength) if cue else UNASKED
    center = engine.pack.center(hit.ref.split(":", 1)[1])
    if center is not None:
        a.offer(
            "center",
            hit.ref,
            base * (1 - u) ** 1.5,
            engine._center_answer(center),
            engine.item_words.get(hit.ref, NONE),
        )
