"""Scheduler leadership: one PostgreSQL advisory lock, taken over when the leader goes away."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from bot.leader import Leadership
from bot.settings import async_database_url
from db.engine import make_engine


@pytest.mark.postgres
async def test_exactly_one_leader_and_takeover(postgres_url: str) -> None:
    first_engine = make_engine(async_database_url(postgres_url))
    second_engine = make_engine(async_database_url(postgres_url))
    first, second = Leadership(first_engine), Leadership(second_engine)
    try:
        assert await first.check() is True
        assert await second.check() is False
        assert await first.check() is True  # still holds it
        # The leader's connection dies (as when its process is killed): the lock goes with it.
        assert first._conn is not None
        pid = await first._conn.scalar(text("SELECT pg_backend_pid()"))
        async with second_engine.connect() as killer:
            await killer.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        assert await first.check() is False  # it notices it lost the lock
        assert await second.check() is True
        assert await Leadership(first_engine).check() is False
        await second.release()
        assert second.is_leader is False
        again = Leadership(first_engine)
        assert await again.check() is True
        await again.release()
    finally:
        await first_engine.dispose()
        await second_engine.dispose()


async def test_sqlite_instance_always_leads(sqlite_url: str) -> None:
    engine = make_engine(async_database_url(sqlite_url))
    try:
        assert await Leadership(engine).check() is True
    finally:
        await engine.dispose()
