"""Durable intake under ``kill -9``: 400 citizens ask at once, the bot is killed mid-way and
restarted, and every one of them is answered (polling and webhook, SQLite and PostgreSQL).

A real ``hoctap run`` process against the fake Bot API. Polling: the offset moves only past
stored updates, so what was fetched but not stored is fetched again. Webhook: 200 only once
stored; Telegram (the pusher) retries anything else until the restarted bot takes it.
"""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_app
from bot.settings import Settings
from db import intake as intake_db
from tests.conftest import DEV_PACK
from tests.fakes.telegram import FakeTelegram, WebhookPusher

CITIZENS = 400
FIRST = 500_000
HOCTAP = Path(sys.executable).with_name("hoctap")
QUESTION = "thư viện mở cửa mấy giờ"
SECRET = "s3cret-intake-kill-test"
APOLOGY = "Xin lỗi, mình đang gặp trục trặc"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def prepare(url: str) -> None:
    """Migrate and import the pack, so both runs start from the same database."""
    app = build_app(Settings(_env_file=None, database_url=url, content_dir=DEV_PACK))
    await app.prepare()
    await app.close()


async def intake_counts(url: str) -> tuple[dict[str, int], int]:
    """(rows per status, rows still holding a body) as the database has them."""
    from sqlalchemy import func, select

    from db.models_intake import IntakeRow

    app = build_app(Settings(_env_file=None, database_url=url, content_dir=DEV_PACK))
    try:
        async with app.sessions() as session:
            by = await intake_db.counts(session)
            bodies = await session.scalar(
                select(func.count()).where(
                    IntakeRow.status == "done", IntakeRow.payload.is_not(None)
                )
            )
    finally:
        await app.close()
    return by, int(bodies or 0)


def bot_env(fake: FakeTelegram, url: str, **extra: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("HOCTAP_", "TELEGRAM_"))},
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "HOCTAP_DATABASE_URL": url,
        "HOCTAP_CONTENT_DIR": str(DEV_PACK),
        "HOCTAP_INTAKE_LEASE_SECONDS": "2",
        "HOCTAP_INTAKE_POLL_SECONDS": "0.2",
        "HOCTAP_FLOOD_PER_MINUTE": "1000",
        "HOCTAP_LOG_LEVEL": "WARNING",
        **extra,
    }


async def wait_until(predicate: Any, limit: float, proc: asyncio.subprocess.Process) -> None:
    """Poll every 20 ms; fail (with the bot's exit) on timeout."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not predicate():
        if proc.returncode is not None:
            raise AssertionError(f"the bot exited with {proc.returncode}")
        if loop.time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.02)


def answered(fake: FakeTelegram) -> set[int]:
    return {m["chat"]["id"] for m in fake.sent}


async def stop(proc: asyncio.subprocess.Process) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), 20)
    except TimeoutError:
        proc.kill()
        await proc.wait()


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_kill_9_mid_burst_loses_no_question(
    mode: str, database_url: str, tmp_path: Path
) -> None:
    await prepare(database_url)
    port = free_port()
    args = ["run"]
    extra: dict[str, str] = {}
    if mode == "webhook":
        args += ["--webhook", "--host", "127.0.0.1", "--port", str(port)]
        extra = {"HOCTAP_WEBHOOK_URL": f"http://127.0.0.1:{port}", "HOCTAP_WEBHOOK_SECRET": SECRET}
    citizens = range(FIRST, FIRST + CITIZENS)
    async with FakeTelegram(token="123:INTAKE") as fake:
        env = bot_env(fake, database_url, **extra)
        log = (tmp_path / "bot.log").open("wb")

        async def start() -> asyncio.subprocess.Process:
            return await asyncio.create_subprocess_exec(
                str(HOCTAP), *args, env=env, cwd=tmp_path, stdout=log, stderr=log
            )

        first = await start()
        pushing: asyncio.Task[int] | None = None
        pusher = WebhookPusher([f"http://127.0.0.1:{port}"], SECRET, attempts=400)
        try:
            if mode == "polling":
                for uid in citizens:
                    fake.user_text(uid, QUESTION)
            else:
                await wait_until(lambda: fake.webhook is not None, 30, first)
                updates = [fake.text_update(uid, QUESTION) for uid in citizens]
                pushing = asyncio.create_task(pusher.push_all(updates))
            try:
                await wait_until(lambda: len(answered(fake)) >= 40, 40, first)
            finally:
                first.send_signal(signal.SIGKILL)
                await first.wait()
            at_kill = len(answered(fake))
            assert at_kill < CITIZENS, "every question was answered before the kill"

            second = await start()
            try:
                await wait_until(lambda: len(answered(fake)) >= CITIZENS, 60, second)
                if pushing is not None:
                    assert await pushing == CITIZENS  # every update was taken, once stored
                for _ in range(100):  # the last rows are marked done just after their replies
                    by, _ = await intake_counts(database_url)
                    if by.get("done") == CITIZENS:
                        break
                    await asyncio.sleep(0.1)
            finally:
                await stop(second)
        finally:
            if pushing is not None and not pushing.done():
                pushing.cancel()
            await pusher.close()
    assert answered(fake) == set(citizens)  # nobody lost
    assert not any(APOLOGY in m["text"] for m in fake.sent)
    per_chat = collections.Counter(m["chat"]["id"] for m in fake.sent)
    duplicates = sum(n - 1 for n in per_chat.values())
    assert duplicates <= 8, duplicates  # only what was in hand at the kill (intake workers)
    by, bodies = await intake_counts(database_url)
    assert by == {"done": CITIZENS}  # stored once each (redeliveries deduplicated)
    assert bodies == 0  # no citizen's text is kept once answered
    print(f"\n{mode}: killed after {at_kill} answered; {duplicates} answered twice")
