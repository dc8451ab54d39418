"""The mobile library's visits, one calculation for every feature (answers, menu, location).

A visit is over once its end time has passed: at 18:00 the morning's visit is not "upcoming"
any more, whichever way the citizen asks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from bot.pack.models import Stop, parse_range

Visit = tuple[dt.date, Stop]


def between(stops: Iterable[Stop], start: dt.date, end: dt.date) -> list[Visit]:
    """Every visit from ``start`` to ``end`` (inclusive), repeating stops expanded, in order."""
    out = [(day, stop) for stop in stops for day in stop.visits(start, end)]
    out.sort(key=lambda v: (v[0], v[1].time))
    return out


def is_over(visit: Visit, now: dt.datetime) -> bool:
    """Whether the visit has ended at this local moment."""
    day, stop = visit
    if day != now.date():
        return day < now.date()
    return parse_range(stop.time)[1] <= now.time()


def upcoming(stops: Iterable[Stop], now: dt.datetime, days: int) -> list[Visit]:
    """Visits not yet over, from now to ``days`` days ahead, in order (``now`` pack-local)."""
    today = now.date()
    return [
        v for v in between(stops, today, today + dt.timedelta(days=days)) if not is_over(v, now)
    ]
