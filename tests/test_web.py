"""The webhook server: real HTTP to ``build_web`` on uvicorn, served by ``run_bot``.

``run_bot(webhook=True)`` registers the webhook (with its secret) on the fake Bot API and serves
``/telegram`` and ``/healthz``; updates posted with the right secret are answered through the
fake, anything else is refused before it reaches the conversation.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.runner import run_bot
from bot.web import build_web
from handlers import dispatch
from tests.fakes import free_port
from tests.fakes.telegram import FakeTelegram, bot_settings, running_app

SECRET = "s3cret_Token-for-tests"
UID = 5151


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, clean_env: dict[str, str]) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@dataclass
class Served:
    """A running ``run_bot(webhook=True)``: the fake Bot API and an HTTP client for the server."""

    fake: FakeTelegram
    http: httpx.AsyncClient


def update(text: str, update_id: int = 1) -> dict[str, Any]:
    """A Telegram update as the Bot API would POST it."""
    user = {"id": UID, "is_bot": False, "first_name": "Lan", "language_code": "vi"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1795000000,
            "chat": {"id": UID, "type": "private"},
            "from": user,
            "text": text,
            **(
                {"entities": [{"type": "bot_command", "offset": 0, "length": len(text)}]}
                if text.startswith("/")
                else {}
            ),
        },
    }


async def wait_until_up(http: httpx.AsyncClient, task: asyncio.Task[None]) -> None:
    """Poll /healthz every 20 ms until the server answers."""
    for _ in range(500):
        if task.done():
            task.result()
        try:
            if (await http.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.02)
    raise AssertionError("the webhook server did not come up")


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    async with FakeTelegram() as fake:
        port = free_port()
        settings = bot_settings(
            fake, tmp_path, webhook_url="https://bot.example.org/hook", webhook_secret=SECRET
        )
        stop = asyncio.Event()
        task = asyncio.create_task(
            run_bot(settings, webhook=True, host="127.0.0.1", port=port, stop=stop)
        )
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            await wait_until_up(http, task)
            yield Served(fake, http)
        stop.set()
        await asyncio.wait_for(task, 10)
        assert fake.errors == []


def post(served: Served, body: Any, secret: str | None = SECRET) -> Any:
    """POST /telegram with (or without) the secret header."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return served.http.post("/telegram", content=json.dumps(body), headers=headers)


async def test_webhook_is_registered_with_secret(served: Served) -> None:
    assert served.fake.webhook is not None
    assert served.fake.webhook["url"] == "https://bot.example.org/hook/telegram"
    assert served.fake.webhook["secret_token"] == SECRET
    assert served.fake.commands is not None  # post_init ran


async def test_healthz_reports_content_version(served: Served) -> None:
    response = await served.http.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert isinstance(body["content_version"], int)


@pytest.mark.parametrize("secret", [None, "wrong", SECRET + "x", ""])
async def test_wrong_or_missing_secret_is_refused_and_not_processed(
    served: Served, secret: str | None
) -> None:
    refused = await post(served, update("/start", 1), secret=secret)
    assert refused.status_code == 403
    assert refused.content == b""
    accepted = await post(served, update("thu vien tinh may gio mo cua", 2))
    assert accepted.status_code == 200
    await served.fake.wait_for(lambda: served.fake.sent_to(UID))
    sent = served.fake.sent_to(UID)
    assert len(sent) == 1, "only the update with the right secret is answered"
    assert "07:30" in sent[0]["text"]


async def test_right_secret_is_answered_through_the_bot_api(served: Served) -> None:
    response = await post(served, update("/start"))
    assert response.status_code == 200
    await served.fake.wait_for(lambda: served.fake.sent_to(UID))
    menu = served.fake.sent_to(UID)[0]
    assert menu["reply_markup"]["inline_keyboard"]


async def test_oversized_and_malformed_bodies(served: Served) -> None:
    huge = {"update_id": 1, "padding": "x" * (1024 * 1024)}
    assert (await post(served, huge)).status_code == 413
    bad = await served.http.post(
        "/telegram", content=b"{not json", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
    )
    assert bad.status_code == 400
    assert (await served.http.get("/telegram")).status_code == 405


async def test_polling_mode_runs_and_stops(tmp_path: Path) -> None:
    async with FakeTelegram() as fake:
        stop = asyncio.Event()
        settings = bot_settings(fake, tmp_path)
        task = asyncio.create_task(
            run_bot(settings, webhook=False, host="127.0.0.1", port=0, stop=stop)
        )
        fake.user_text(UID, "/start")
        await fake.wait_for(lambda: fake.sent_to(UID) or task.done())
        assert fake.sent_to(UID)
        stop.set()
        await asyncio.wait_for(task, 15)
        assert fake.calls_of("deleteWebhook")


async def test_build_web_refuses_telegram_without_secret(tmp_path: Path) -> None:
    async with FakeTelegram() as fake:
        from bot.channels.telegram import build_telegram

        settings = bot_settings(fake, tmp_path)
        async with running_app(settings) as app:
            application = build_telegram(app, settings, dispatch=dispatch, webhook=True)
            with pytest.raises(ValueError, match="HOCTAP_WEBHOOK_SECRET"):
                build_web(app, settings, telegram_application=application)
            assert build_web(app, settings).routes  # health only, no Telegram route
