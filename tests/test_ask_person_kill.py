"""SIGKILL of ``hoctap run`` between a staff member's "send" and the delivery being recorded:
the answer is not lost, and the citizen gets it at most once more.

The answer is written (the editor pressed **Gửi**) by the real handlers on the bot's database;
then a real ``hoctap run`` process delivers it to the fake Bot API, which kills the process the
moment the answer arrives, before the process can record it as sent. A second process sends it
again once the lease expires, and records it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.app import build_app
from bot.clock import SystemClock
from bot.messages import Incoming
from bot.settings import Settings
from db.models_notify import BroadcastRow, DeliveryRow
from handlers import dispatch
from tests.conftest import DEV_PACK
from tests.fakes.telegram import FakeTelegram
from tests.test_notify_kill import wait_until

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
HOCTAP = Path(sys.executable).with_name("hoctap")
EDITOR, CITIZEN = "5001", "6002"
UNKNOWN = "bên mình có cho thuê phòng họp không ạ"
ANSWER = "Có ạ: phòng họp tầng 2 cho thuê theo buổi."


async def answer_written(url: str) -> int:
    """The citizen sends their question to staff; the editor answers and presses send."""
    settings = Settings(
        _env_file=None, database_url=url, content_dir=DEV_PACK, staff_ids=[f"telegram:{EDITOR}"]
    )
    app = build_app(settings, clock=SystemClock(TZ))
    await app.prepare()
    try:

        async def say(user: str, **kwargs: Any) -> str:
            replies = await dispatch(Incoming("telegram", user, user, **kwargs), app)
            assert replies
            return replies[-1].text

        await say(EDITOR, command="start")
        await say(CITIZEN, text=UNKNOWN)
        await say(CITIZEN, button="hq:last")
        assert "Đã gửi câu hỏi số 1" in await say(CITIZEN, button="hq:ok")
        assert "Bạn đang trả lời" in await say(EDITOR, button="st:q:a:1")
        await say(EDITOR, text=ANSWER)
        assert "Đã gửi câu trả lời" in await say(EDITOR, button="st:q:s:1")
    finally:
        await app.close()
    return 1


async def answer_delivery(url: str) -> str | None:
    """The status of the answer's delivery, as the database has it."""
    app = build_app(Settings(_env_file=None, database_url=url, content_dir=DEV_PACK))
    try:
        async with app.sessions() as session:
            return await session.scalar(
                select(DeliveryRow.status)
                .join(BroadcastRow, BroadcastRow.id == DeliveryRow.broadcast_id)
                .where(BroadcastRow.source == "ask:1:answer")
            )
    finally:
        await app.close()


async def test_kill_between_send_and_delivery_loses_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    await answer_written(url)
    assert await answer_delivery(url) == "pending"
    async with FakeTelegram(token="123:TEST") as fake:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("HOCTAP_", "TELEGRAM_"))},
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "HOCTAP_DATABASE_URL": url,
            "HOCTAP_CONTENT_DIR": str(DEV_PACK),
            "HOCTAP_STAFF_IDS": f"telegram:{EDITOR}",
            "HOCTAP_NOTIFY_TICK_SECONDS": "0.5",
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

        def answers() -> list[dict[str, Any]]:
            return [m for m in fake.sent_to(int(CITIZEN)) if ANSWER in m["text"]]

        first = await start()
        killed: list[int] = []

        def kill_on_answer(message: dict[str, Any]) -> None:
            # The answer reached Telegram; the process dies before it can record that.
            if ANSWER in message.get("text", "") and not killed:
                os.kill(first.pid, signal.SIGKILL)
                killed.append(first.pid)

        fake.on_sent.append(kill_on_answer)
        try:
            await wait_until(lambda: bool(killed), 30, first)
        finally:
            if first.returncode is None and not killed:
                first.send_signal(signal.SIGKILL)
            await first.wait()
        assert len(answers()) == 1
        assert await answer_delivery(url) == "sending"  # in flight at the kill: ambiguous

        second = await start()
        try:
            await wait_until(lambda: len(answers()) >= 2, 30, second)
            for _ in range(200):  # until the delivery is recorded
                if await answer_delivery(url) == "sent":
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(1.5)  # a few more ticks: nothing is sent again
        finally:
            second.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(second.wait(), 15)
            except TimeoutError:
                second.kill()
                await second.wait()
    assert await answer_delivery(url) == "sent"
    assert len(answers()) == 2  # sent once, and at most once more after the kill
    assert f"Bạn hỏi: “{UNKNOWN}”" in answers()[-1]["text"]
    notices = [m for m in fake.sent_to(int(EDITOR)) if "Câu hỏi mới" in m["text"]]
    assert len(notices) in (1, 2)  # the staff notice too: delivered, at most once more
