"""The conversation, channel-agnostic: ``dispatch(incoming, app) -> [Reply]``.

The dispatch table lives in :mod:`handlers.conversation`. The composition root (the runner,
the command line) hands :func:`dispatch` to each channel; no channel imports this package.
"""

from __future__ import annotations

from handlers.conversation import COMMANDS, ROUTES, dispatch

__all__ = ["COMMANDS", "ROUTES", "dispatch"]
