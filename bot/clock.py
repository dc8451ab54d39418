"""The clock is a dependency: nothing else calls ``datetime.now()``."""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    """Something that tells the time, aware, in the pack's time zone."""

    def now(self) -> dt.datetime: ...


class SystemClock:
    """The real time, in ``tz``."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz

    def now(self) -> dt.datetime:
        return dt.datetime.now(self.tz)


class FixedClock:
    """A clock that says what it is told (``hoctap ask --now`` and the tests)."""

    def __init__(self, when: dt.datetime, tz: ZoneInfo | None = None) -> None:
        if when.tzinfo is None:
            when = when.replace(tzinfo=tz or ZoneInfo("Asia/Ho_Chi_Minh"))
        self.when = when

    def now(self) -> dt.datetime:
        return self.when

    def advance(self, delta: dt.timedelta) -> None:
        """Move the clock forward (tests of schedules)."""
        self.when += delta
