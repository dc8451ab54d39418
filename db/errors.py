"""The database errors the conversation retries on, so that ``handlers`` need not import the
database library itself."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError

__all__ = ["DBAPIError", "OperationalError"]
