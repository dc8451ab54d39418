"""Webhook bodies that are JSON but not update objects: a clean 400 for Telegram (nothing to
redeliver), a 200 for Zalo (bare for the OA, as its design says), never a 500 or a traceback."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from bot.app import App
from bot.channels import zalo as zalo_wiring
from bot.channels.telegram import build_telegram
from bot.web import build_web
from handlers import dispatch
from tests.fakes.telegram import FakeTelegram, bot_settings, running_app

SECRET = "hook_secret_0123456789"
ZALO_SECRET = "zalo-bot-secret-123"
NOT_UPDATES = [
    "[]",
    "[1, 2]",
    "5",
    '"x"',
    "null",
    "true",
    "{}",
    '{"update_id": "7"}',
    '{"message": "hi"}',
    '{"message": {"chat": "x", "from": 3}}',
    '{"result": [1]}',
]


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, clean_env: dict[str, str]) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def web(tmp_path: Path) -> AsyncIterator[tuple[Starlette, App]]:
    async with FakeTelegram() as fake:
        settings = bot_settings(
            fake,
            tmp_path,
            webhook_secret=SECRET,
            zalo_bot_token="1234:zalo-bot-token",
            zalo_bot_webhook_secret=ZALO_SECRET,
            zalo_app_id="app1",
            zalo_app_secret="appsecret",
            zalo_oa_secret_key="oakey",
            zalo_oa_access_token="access",
        )
        async with running_app(settings) as app:
            telegram = build_telegram(app, settings, dispatch=dispatch, webhook=True)
            extra = zalo_wiring.zalo_routes(app, settings, dispatch=dispatch)
            try:
                yield (
                    build_web(app, settings, telegram_application=telegram, extra_routes=extra),
                    app,
                )
            finally:
                channels = zalo_wiring._CHANNELS.pop(id(app))
                for http in channels.http:
                    await http.aclose()


@pytest.mark.parametrize("body", NOT_UPDATES)
async def test_json_that_is_not_an_update_is_refused_cleanly(
    web: tuple[Starlette, App], body: str, caplog: pytest.LogCaptureFixture
) -> None:
    asgi, app = web
    caplog.set_level(logging.WARNING)
    transport = httpx.ASGITransport(app=asgi, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://bot") as http:
        telegram = await http.post(
            "/telegram", content=body, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
        )
        bot = await http.post(
            "/zalo/bot", content=body, headers={"X-Bot-Api-Secret-Token": ZALO_SECRET}
        )
        oa = await http.post("/zalo/oa", content=body)
    assert telegram.status_code == 400 and telegram.content == b""
    assert bot.status_code == 200
    assert oa.status_code == 200 and oa.content == b""
    assert not any(r.exc_info for r in caplog.records), "no traceback"
    zalo = zalo_wiring._CHANNELS[id(app)]
    assert zalo.bot is not None and zalo.bot.workers.idle()  # nothing was queued
    assert json.loads(bot.content) == {"message": "Success"}
