"""Content versions in the database, on SQLite and on PostgreSQL: apply, read, roll back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.pack import Pack, load_pack
from bot.settings import async_database_url
from db import content as content_db
from db.engine import make_engine, make_sessions, schema_revisions, upgrade

NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


def _pack(folder: Path) -> Pack:
    pack, problems = load_pack(folder)
    assert pack is not None, problems
    return pack


async def test_apply_read_change_and_rollback(database_url: str, dev_pack: Path) -> None:
    engine = make_engine(async_database_url(database_url))
    sessions = make_sessions(engine)
    try:
        await upgrade(engine)
        await upgrade(engine)  # idempotent
        current, head = await schema_revisions(engine)
        assert current == head is not None

        original = _pack(dev_pack)
        async with sessions.begin() as s:
            first = await content_db.apply_pack(s, original, now=NOW, author="test")
        assert first.version_id is not None
        assert first.diff.kinds["faq"].added[0] == "lam-the-ban-doc"
        async with sessions() as s:
            live = await content_db.current_pack(s)
        assert live is not None and live == (first.version_id, original)

        # Same content again: nothing to do, no new version.
        async with sessions.begin() as s:
            same = await content_db.apply_pack(s, original, now=NOW)
        assert same.version_id is None and not same.diff

        changed = original.model_copy(
            update={
                "faq": [original.faq[0].model_copy(update={"answer": "Mới."}), *original.faq[2:]],
                "topics": [*original.topics[:-1], original.topics[-1]],
            }
        )
        async with sessions.begin() as s:
            second = await content_db.apply_pack(s, changed, now=NOW, author="test")
        assert second.diff.kinds["faq"].changed == ("lam-the-ban-doc",)
        assert second.diff.kinds["faq"].removed == ("muon-sach-bao-lau",)
        async with sessions() as s:
            assert (await content_db.current_pack(s)) == (second.version_id, changed)

        async with sessions.begin() as s:
            back = await content_db.rollback(s, first.version_id, now=NOW)
        assert back.version_id is not None and second.version_id is not None
        assert back.version_id > second.version_id
        async with sessions() as s:
            assert (await content_db.current_pack(s)) == (back.version_id, original)
            versions = await content_db.list_versions(s)
        assert [v.id for v in versions] == [back.version_id, second.version_id, first.version_id]
        assert versions[0].source == f"rollback:{first.version_id}"

        async with sessions.begin() as s:
            with pytest.raises(LookupError):
                await content_db.rollback(s, 999, now=NOW)
    finally:
        await engine.dispose()


async def test_failed_transaction_changes_nothing(database_url: str, dev_pack: Path) -> None:
    engine = make_engine(async_database_url(database_url))
    sessions = make_sessions(engine)
    try:
        await upgrade(engine)
        pack = _pack(dev_pack)
        async with sessions.begin() as s:
            await content_db.apply_pack(s, pack, now=NOW)
        with pytest.raises(RuntimeError):
            async with sessions.begin() as s:
                await content_db.apply_pack(s, pack.model_copy(update={"faq": []}), now=NOW)
                raise RuntimeError("crash in the middle of an import")
        async with sessions() as s:
            live = await content_db.current_pack(s)
            assert live is not None and live[1] == pack
            assert len(await content_db.list_versions(s)) == 1
    finally:
        await engine.dispose()
