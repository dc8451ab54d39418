"""The session type the data functions of ``db/`` take.

Modules above ``db/`` name it from here (under ``TYPE_CHECKING``), so that only ``db/`` imports
SQLAlchemy (checked by ``lint-imports``); they open and commit sessions through
``app.sessions.begin()`` and hand them to ``db/`` functions, which never commit.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["AsyncSession"]
