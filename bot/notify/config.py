"""The notifier's settings now live in :mod:`bot.settings` (``settings.notify``); this name
stays for the modules that still import it from here (the terminal channel, the benchmarks)."""

from __future__ import annotations

import datetime as dt

from bot.settings import NotifySettings

__all__ = ["NotifySettings", "aware"]


def aware(value: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """A time read back from the database, aware (SQLite returns naive local times)."""
    return value.replace(tzinfo=tz) if value.tzinfo is None else value.astimezone(tz)
