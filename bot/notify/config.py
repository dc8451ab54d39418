"""The notifier's settings now live in :mod:`bot.settings` (``settings.notify``); this name
stays for the modules that still import it from here (the terminal channel, the benchmarks)."""

from __future__ import annotations

from bot.settings import NotifySettings

__all__ = ["NotifySettings"]
