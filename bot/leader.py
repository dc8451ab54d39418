"""Which instance runs the scheduler: the holder of a PostgreSQL advisory lock.

The lock lives on one dedicated connection; if the process dies, PostgreSQL drops the
connection and the lock with it, and another instance takes it at its next attempt. On SQLite
there is only one instance, so it always leads.
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

LOCK_KEY = 0x686F6374  # "hoct": one lock per database, shared by every instance


class Leadership:
    """Try to become, and check whether we still are, the scheduler's leader."""

    def __init__(self, engine: AsyncEngine, key: int = LOCK_KEY) -> None:
        self.engine = engine
        self.key = key
        self._conn: AsyncConnection | None = None
        self.is_leader = False

    @property
    def shared(self) -> bool:
        """True when several instances may share the database (PostgreSQL)."""
        return self.engine.dialect.name == "postgresql"

    async def check(self) -> bool:
        """Become leader if the lock is free; confirm the lock still holds if we lead."""
        if not self.shared:
            self.is_leader = True
            return True
        try:
            if self._conn is not None:
                await self._conn.execute(text("SELECT 1"))
                return True
            conn = await self.engine.connect()
            got = await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key})
            await conn.commit()
            if got:
                self._conn = conn
                self.is_leader = True
                log.info("this instance now runs the scheduler")
            else:
                await conn.close()
        except Exception as exc:  # a dropped connection means the lock is gone
            log.warning("scheduler leadership lost: %s", exc)
            await self._drop()
        return self.is_leader

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        self.is_leader = False
        if conn is not None:
            try:
                # Invalidate, not close: a pooled connection would keep the lock alive.
                await conn.invalidate()
                await conn.close()
            except Exception:  # closing a broken connection may fail; nothing to do then
                log.debug("closing the leader connection failed", exc_info=True)

    async def release(self) -> None:
        """Give up leadership (on shutdown)."""
        if self._conn is not None:
            try:
                await self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                await self._conn.commit()
            except Exception:
                log.debug("unlock failed; closing the connection releases it", exc_info=True)
        await self._drop()
