"""SIGKILL in the middle of a broadcast to 2,000 users, then a restart: everyone gets the message;
the only duplicates are the deliveries that were in flight (``sending``) at the kill."""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import os
import shutil
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.app import build_app
from bot.clock import SystemClock
from bot.settings import Settings
from db.models_notify import DeliveryRow
from tests.conftest import DEV_PACK
from tests.fakes.telegram import FakeTelegram
from tests.seeding import seed_subscribers

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
USERS = 2000
FIRST_CHAT = 100_000
HOCTAP = Path(sys.executable).with_name("hoctap")


def pack_due_now(tmp_path: Path) -> Path:
    """The dev pack with one announcement for everyone, published two minutes ago."""
    target = tmp_path / "pack"
    shutil.copytree(DEV_PACK, target)
    when = SystemClock(TZ).now() - dt.timedelta(minutes=2)
    (target / "announcements.yaml").write_text(
        "- id: thu-nghiem\n"
        "  title: Thông báo thử nghiệm\n"
        "  body: Thư viện tỉnh mở cửa thêm buổi tối thứ Năm.\n"
        f"  publish_at: {when:%Y-%m-%dT%H:%M}\n",
        encoding="utf-8",
    )
    return target


async def seed(url: str, content: Path) -> None:
    """Migrate, import the pack and write 2,000 opted-in users directly."""
    app = build_app(Settings(_env_file=None, database_url=url, content_dir=content))
    await app.prepare()
    await seed_subscribers(
        app, range(FIRST_CHAT, FIRST_CHAT + USERS), purpose="nhận mọi thông báo"
    )
    await app.close()


async def in_flight(url: str, content: Path) -> tuple[int, int]:
    """(deliveries marked ``sending``, deliveries ``sent``) as the database has them."""
    app = build_app(Settings(_env_file=None, database_url=url, content_dir=content))
    try:
        async with app.sessions() as session:
            rows = await session.execute(
                select(DeliveryRow.status, func.count()).group_by(DeliveryRow.status)
            )
            by = {status: int(n) for status, n in rows.all()}
    finally:
        await app.close()
    return by.get("sending", 0), by.get("sent", 0)


async def wait_until(
    predicate: Callable[[], bool],
    limit: float,
    proc: asyncio.subprocess.Process,
    progress: Callable[[], int] | None = None,
) -> None:
    """Poll every 20 ms; fail (with the bot's exit) on timeout. With ``progress`` (a count that
    grows while the work goes on, e.g. messages received), ``limit`` is how long nothing may
    move: a slow machine takes longer, only a stall fails."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    seen = progress() if progress is not None else 0
    while not predicate():
        if proc.returncode is not None:
            raise AssertionError(f"the bot exited with {proc.returncode}")
        if progress is not None and progress() > seen:
            seen, deadline = progress(), loop.time() + limit
        if loop.time() > deadline:
            stalled = f"nothing moved for {limit}s" if progress is not None else f"{limit}s"
            raise AssertionError(f"timed out ({stalled})")
        await asyncio.sleep(0.02)


async def test_sigkill_mid_broadcast_loses_nothing(tmp_path: Path) -> None:
    content = pack_due_now(tmp_path)
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    await seed(url, content)
    async with FakeTelegram(token="123:TEST") as fake:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("HOCTAP_", "TELEGRAM_"))},
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "HOCTAP_DATABASE_URL": url,
            "HOCTAP_CONTENT_DIR": str(content),
            "HOCTAP_NOTIFY_TICK_SECONDS": "0.5",
            "HOCTAP_NOTIFY_RATE": "400",
            "HOCTAP_NOTIFY_LEASE_SECONDS": "2",
            "HOCTAP_QUIET_START": "00:00",
            "HOCTAP_QUIET_END": "00:00",
            "HOCTAP_LOG_LEVEL": "WARNING",
        }
        log = (tmp_path / "bot.log").open("wb")

        async def start() -> asyncio.subprocess.Process:
            return await asyncio.create_subprocess_exec(
                str(HOCTAP), "run", env=env, cwd=tmp_path, stdout=log, stderr=log
            )

        first = await start()
        try:
            await wait_until(lambda: len(fake.sent) >= 600, 30, first, lambda: len(fake.sent))
        finally:
            first.send_signal(signal.SIGKILL)
            await first.wait()
        sent_at_kill = len(fake.sent)
        sending, recorded = await in_flight(url, content)
        assert sent_at_kill < USERS, "the broadcast finished before the kill"
        assert sending <= 2 * 20  # workers × batch: the bound on ambiguity

        second = await start()
        try:

            def chats() -> set[int]:
                return {m["chat"]["id"] for m in fake.sent}

            await wait_until(lambda: len(chats()) >= USERS, 30, second, lambda: len(fake.sent))
            for _ in range(200):  # poll the database until every delivery is recorded
                if await in_flight(url, content) == (0, USERS):
                    break
                await asyncio.sleep(0.1)
        finally:
            second.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(second.wait(), 15)
            except TimeoutError:
                second.kill()
                await second.wait()
    per_chat = collections.Counter(m["chat"]["id"] for m in fake.sent)
    assert set(per_chat) == set(range(FIRST_CHAT, FIRST_CHAT + USERS))  # nobody lost
    duplicates = sum(n - 1 for n in per_chat.values())
    assert duplicates <= sending, (duplicates, sending)  # only what was in flight at the kill
    assert await in_flight(url, content) == (0, USERS)
    print(
        f"\nkill after {sent_at_kill} sent ({recorded} recorded), {sending} in flight, "
        f"{duplicates} duplicates"
    )
