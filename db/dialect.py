"""The one place that picks the dialect's ``INSERT`` for an upsert (``ON CONFLICT``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def upsert_insert(session: AsyncSession, table: Any) -> postgresql.Insert | sqlite.Insert:
    """``INSERT`` into ``table`` (a model or a table) with ``on_conflict_do_nothing`` /
    ``on_conflict_do_update``: PostgreSQL's on PostgreSQL, SQLite's otherwise."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
