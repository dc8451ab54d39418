"""The mobile library van's visits: when it comes, where it stops, its phone."""

from __future__ import annotations

from bot.understanding import cues
from bot.understanding.base import EngineBase
from bot.understanding.intents.asked import NONE, Asked


def offer(engine: EngineBase, a: Asked) -> None:
    q = a.q
    stop_hits = a.stop_hits
    if not (engine.pack.stops and (a.mobile_strong or (a.mobile_pos and stop_hits))):
        return
    strong_sched = q.find(cues.VAN_WHEN)
    base = 0.6 + (0.25 if stop_hits else 0.0)
    base += 0.35 if (strong_sched or q.when) else (0.1 if a.sched_pos else 0.0)
    named = set().union(*(h.positions for h in stop_hits)) if stop_hits else set()
    words = engine.item_words.get("@mobile", NONE)
    stop_words = {i for i in q.content if q.folds[i] in words} if stop_hits else set()
    # 'đến những xã nào', 'về trường nào': the visits name their places and communes.
    areas = q.find(cues.AREA_HEADS) | q.find(cues.STOP_PLACES)
    # 'sđt xe thư viện': the visits end with the van's phone, when it has one.
    vehicle = engine.pack.mobile.vehicle if engine.pack.mobile else None
    phone = q.find(cues.PHONE) if vehicle is not None and vehicle.phone else frozenset()
    u = engine.unexplained(
        q,
        a.mobile_pos | a.sched_pos | a.lib_word | named | a.when_ask | stop_words | areas | phone,
    )
    answer = engine._mobile_answer(q, [h.ref for h in stop_hits], a.now)
    # The van named with a date or a stop is a schedule question, not the FAQ about it.
    top = 0.97
    if a.mobile_strong and (q.when or stop_hits):
        top = 1.0
        base += 0.05
    a.offer("mobile_stops", "@mobile", min(top, base) * (1 - u) ** 1.5, answer, words)
