"""Several instances on one database: a new content version reaches every one within seconds."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.app import build_app
from bot.clock import FixedClock
from bot.messages import Incoming
from bot.pack import load_pack
from bot.settings import load_settings
from db import content as content_db
from handlers import dispatch
from tests.conftest import DEV_PACK

NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


@pytest.mark.postgres
async def test_new_version_reaches_the_other_instance(
    postgres_url: str, clean_env: dict[str, str]
) -> None:
    settings = load_settings(database_url=postgres_url, content_dir=DEV_PACK)
    first = build_app(settings, clock=FixedClock(NOW))
    second = build_app(settings, clock=FixedClock(NOW))
    try:
        await first.prepare()
        await second.prepare()
        question = Incoming("telegram", "1", "1", text="làm thẻ thư viện cần gì")
        before = await dispatch(question, second)
        assert "căn cước" in before[0].text

        pack, _ = load_pack(DEV_PACK)
        assert pack is not None
        faq = [pack.faq[0].model_copy(update={"answer": "Thủ tục mới: chỉ cần ảnh chân dung."})]
        async with first.sessions.begin() as session:
            await content_db.apply_pack(
                session, pack.model_copy(update={"faq": faq + pack.faq[1:]}), now=NOW
            )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        attempt = 0
        while loop.time() < deadline:
            attempt += 1  # a new asker each time, so the flood limit never applies
            reply = await dispatch(
                Incoming("telegram", f"u{attempt}", "c", text=question.text), second
            )
            if "Thủ tục mới" in reply[0].text:
                break
            await asyncio.sleep(0.2)
        else:
            pytest.fail("the second instance still answers from the old version")
        assert second.live is not None and second.live.version == 2
    finally:
        await first.close()
        await second.close()


@pytest.mark.postgres
async def test_instances_starting_together_on_a_fresh_database(
    postgres_url: str, clean_env: dict[str, str]
) -> None:
    settings = load_settings(database_url=postgres_url, content_dir=DEV_PACK)
    apps = [build_app(settings, clock=FixedClock(NOW)) for _ in range(3)]
    try:
        await asyncio.gather(*(a.prepare() for a in apps))  # migrate and import at once
        async with apps[0].sessions() as session:
            versions = await content_db.list_versions(session)
        assert len(versions) == 1  # the first content was imported exactly once
        assert all(a.live is not None and a.live.version == versions[0].id for a in apps)
    finally:
        for a in apps:
            await a.close()
