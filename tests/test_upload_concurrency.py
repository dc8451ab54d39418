"""Optimistic concurrency for content uploads: a preview remembers the version it was made
against; applying it after another version went live asks to re-check (showing what changed
since and what the file would change now) instead of silently reverting the other change."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import App, build_app
from bot.clock import FixedClock
from bot.pack import load_pack
from bot.settings import Settings, load_settings
from db import content as content_db
from db import staff as staff_db
from db.models import ContentVersion
from handlers import dispatch
from tests.conftest import DEV_PACK
from tests.test_staff import ADMIN, EDITOR, NOW, cmd, one, press, text, upload, workbook

OTHER = "4"  # a second editor
CARD = "Mang căn cước đến quầy thủ thư; thẻ miễn phí từ năm 2027."


@pytest.fixture
async def app(tmp_path: Path, clean_env: dict[str, str]) -> AsyncIterator[App]:
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 's.db'}",
        content_dir=DEV_PACK,
        staff_ids=[f"terminal:{ADMIN}"],
    )
    application = build_app(settings, clock=FixedClock(NOW))
    await application.prepare()
    async with application.sessions.begin() as s:
        for user in (EDITOR, OTHER):
            await staff_db.set_staff(s, f"terminal:{user}", "editor", by="test", now=NOW)
    yield application
    await application.close()


async def versions(app: App) -> int:
    async with app.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(ContentVersion)) or 0)


def card_changed(wb) -> None:  # type: ignore[no-untyped-def]
    wb["Hỏi đáp"]["D2"] = CARD


def phone_changed(wb) -> None:  # type: ignore[no-untyped-def]
    wb["Hỏi đáp"]["D3"] = "Gọi 0209 3870 000 trong giờ hành chính."


async def test_second_upload_from_the_same_version_asks_instead_of_reverting(app: App) -> None:
    first = await one(app, upload(EDITOR, "the.xlsx", workbook(card_changed)))
    second = await one(app, upload(OTHER, "dien-thoai.xlsx", workbook(phone_changed)))
    assert "st:ap" in [b.data for b in first.flat_buttons + second.flat_buttons]

    applied = await one(app, press(EDITOR, "st:ap"))
    assert "phiên bản 2" in applied.text
    recheck = await one(app, press(OTHER, "st:ap"))
    assert await versions(app) == 2  # nothing applied: the first editor's change stands
    assert "Chưa áp dụng dien-thoai.xlsx" in recheck.text
    assert "phiên bản 1, nay là phiên bản 2" in recheck.text
    assert "Tải lên the.xlsx" in recheck.text  # who changed what since
    assert "Đã thay đổi kể từ lúc xem trước" in recheck.text
    assert "lam-the-ban-doc" in recheck.text  # the change that applying would undo
    assert [b.data for b in recheck.flat_buttons] == ["st:ap", "st:cx"]
    answer = await one(app, text("c1", "làm thẻ thư viện cần gì"))
    assert "miễn phí từ năm 2027" in answer.text

    confirmed = await one(app, press(OTHER, "st:ap"))  # re-checked, confirmed on purpose
    assert "phiên bản 3" in confirmed.text and await versions(app) == 3


async def test_preview_applied_after_a_rollback_asks_again(app: App) -> None:
    """A preview left for days: meanwhile an admin rolled back; applying it asks first."""
    await one(app, upload(EDITOR, "the.xlsx", workbook(card_changed)))
    await one(app, press(EDITOR, "st:ap"))  # version 2
    await one(app, upload(OTHER, "dien-thoai.xlsx", workbook(phone_changed)))  # base 2
    back = await one(app, press(ADMIN, "st:rb:1"))  # version 3 = version 1's content
    assert "Đã khôi phục" in back.text
    recheck = await one(app, press(OTHER, "st:ap"))
    assert "Chưa áp dụng" in recheck.text and "Khôi phục phiên bản 1" in recheck.text
    assert await versions(app) == 3


async def test_same_content_as_live_after_recheck_needs_nothing(app: App) -> None:
    await one(app, upload(EDITOR, "the.xlsx", workbook(card_changed)))
    await one(app, upload(OTHER, "the-nua.xlsx", workbook(card_changed)))
    await one(app, press(EDITOR, "st:ap"))
    recheck = await one(app, press(OTHER, "st:ap"))
    assert "giống hệt nội dung đang dùng" in recheck.text and not recheck.buttons
    gone = await one(app, press(OTHER, "st:ap"))
    assert "Không còn tệp nào" in gone.text
    assert await versions(app) == 2
    assert (await dispatch(cmd(EDITOR, "phienban"), app))[0].text


async def test_apply_pack_with_a_stale_base_stores_nothing(database_url: str) -> None:
    """The database function itself, on SQLite and PostgreSQL."""
    app = build_app(Settings(_env_file=None, database_url=database_url, content_dir=DEV_PACK))
    try:
        await app.prepare()
        pack, _ = load_pack(DEV_PACK)
        assert pack is not None
        async with app.sessions.begin() as s:
            await content_db.apply_pack(s, pack, now=NOW, force=True, base=1)  # version 2
        with pytest.raises(content_db.StaleBase) as raised:
            async with app.sessions.begin() as s:
                await content_db.apply_pack(s, pack, now=NOW, force=True, base=1)
        assert (raised.value.base, raised.value.live) == (1, 2)
        async with app.sessions() as s:
            assert await content_db.current_version(s) == 2
            assert await s.scalar(select(func.count()).select_from(ContentVersion)) == 2
        if database_url.startswith("postgresql"):  # two at the same moment: one wins

            async def attempt() -> str:
                try:
                    async with app.sessions.begin() as s:
                        await content_db.apply_pack(s, pack, now=NOW, force=True, base=2)
                except content_db.StaleBase:
                    return "stale"
                return "applied"

            assert sorted(await asyncio.gather(attempt(), attempt())) == ["applied", "stale"]
    finally:
        await app.close()
