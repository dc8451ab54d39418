"""The conversation, channel-agnostic: ``dispatch(incoming, app) -> [Reply]``.

The dispatch table lives in :mod:`handlers.conversation`; it is loaded on first use, so that
importing the small shared modules (``bot.messages``) never pulls in every feature.
"""

from __future__ import annotations

from typing import Any

__all__ = ["dispatch"]


def __getattr__(name: str) -> Any:
    if name in ("dispatch", "ROUTES", "COMMANDS"):
        from handlers import conversation

        return getattr(conversation, name)
    raise AttributeError(f"module 'handlers' has no attribute {name!r}")
