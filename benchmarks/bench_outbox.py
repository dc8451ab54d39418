"""Outbox throughput against the fake Bot API enforcing a rate cap.

    .venv/bin/python benchmarks/bench_outbox.py [--users 10000] [--cap 200] [--rate 196] [--pg URL]

The default cap (200/s) is what one sending process can push through PTB on this 2-core machine
(each send costs ~4 ms of client CPU); at a cap of 500/s the client, not the pacing, is the
limit. Pass --cap 500 --rate 480 on a faster machine.

10,000 subscribers get one announcement; the fake (in its own thread and event loop) answers
429 with retry_after above ``--cap`` messages per second. Reports achieved rate ÷ cap, 429s,
lost and duplicated messages, and a baseline: the same pacing without any bookkeeping.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as dt
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Bot
from telegram.request import HTTPXRequest

from bot.app import build_app
from bot.channels.telegram_sender import TelegramSender
from bot.clock import FixedClock
from bot.messages import Reply
from bot.notify.config import NotifySettings
from bot.notify.outbox import RateLimiter
from bot.notify.scheduler import Notifier
from bot.settings import Settings
from tests.conftest import DEV_PACK
from tests.fakes.telegram import FakeTelegram
from tests.seeding import seed_subscribers

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2026, 11, 25, 8, 0, tzinfo=TZ)


class FakeProcess:
    """The fake server in a process of its own, so it does not compete for our GIL."""

    def __init__(self, cap: float, out: Path) -> None:
        self.cap, self.out = cap, out
        self.proc: asyncio.subprocess.Process | None = None
        self.token = FakeTelegram().token
        self.base_url = ""

    async def start(self) -> None:
        """Start it and read its port."""
        script = Path(__file__).with_name("fake_server.py")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(script),
            str(self.cap),
            str(self.out),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert self.proc.stdout is not None
        port = int((await self.proc.stdout.readline()).decode())
        self.base_url = f"http://127.0.0.1:{port}"

    async def dump(self) -> dict[str, list[float]]:
        """The transcript since the last dump."""
        assert self.proc is not None and self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(b"dump\n")
        await self.proc.stdin.drain()
        await self.proc.stdout.readline()
        return dict(json.loads(self.out.read_text()))

    async def stop(self) -> None:
        """Close stdin; it stops."""
        assert self.proc is not None and self.proc.stdin
        self.proc.stdin.close()
        await self.proc.wait()


def report(
    name: str, data: dict[str, list[float]], expected: set[int], cap: float
) -> dict[str, float]:
    """Rate ÷ cap, 429s, lost, duplicates, from the fake's transcript."""
    chats, sent_at = data["chats"], data["sent_at"]
    per_chat = collections.Counter(chats)
    floods = float(data["send_calls"]) - len(chats)  # type: ignore[arg-type]
    span = (sent_at[-1] - sent_at[0]) if len(sent_at) > 1 else float("nan")
    rate = (len(chats) - 1) / span if span else float("nan")
    out = {
        "sent": float(len(chats)),
        "rate": rate,
        "rate/cap": rate / cap,
        "429s": floods,
        "lost": float(len(expected - set(per_chat))),
        "duplicates": float(sum(n - 1 for n in per_chat.values())),
    }
    print(f"{name:<10} " + "  ".join(f"{k} {v:.3g}" for k, v in out.items()), flush=True)
    return out


async def baseline(bot: Bot, chats: list[int], rate: float) -> None:
    """The raw send loop: same pacing, no database, no bookkeeping."""
    limiter = RateLimiter(rate, 0.0)
    sender = TelegramSender(bot)
    reply = Reply("Thông báo thử nghiệm")

    async def one(chat: int) -> None:
        await limiter.acquire(str(chat))
        outcome = await sender.deliver(str(chat), reply)
        if outcome.status == "retry" and outcome.retry_after:
            limiter.flood(outcome.retry_after)

    await asyncio.gather(*(one(c) for c in chats))


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--cap", type=float, default=200)
    parser.add_argument("--rate", type=float, default=196)
    parser.add_argument("--baseline", type=int, default=500)
    parser.add_argument("--pg", default=None, help="a PostgreSQL URL instead of SQLite")
    parser.add_argument("--pool", type=int, default=16, help="HTTP connections to the fake")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp())
    url = args.pg or f"sqlite:///{tmp / 'bench.db'}"
    server = FakeProcess(args.cap, tmp / "transcript.json")
    await server.start()
    fake = server
    request = HTTPXRequest(connection_pool_size=args.pool)
    bot = Bot(fake.token, base_url=f"{fake.base_url}/bot", request=request)
    await bot.initialize()
    chats = list(range(1, args.users + 1))
    try:
        await baseline(bot, chats[: args.baseline], args.rate)
        report("baseline", await server.dump(), set(chats[: args.baseline]), args.cap)
        await asyncio.sleep(1.1)  # let the cap's window empty

        app = build_app(
            Settings(_env_file=None, database_url=url, content_dir=DEV_PACK), clock=FixedClock(NOW)
        )
        await app.prepare()
        await seed_subscribers(app, chats, purpose="bench")
        config = NotifySettings(
            _env_file=None,
            rate_per_s=args.rate,
            batch_size=50,
            workers=4,
        )
        notifier = Notifier(app, {"telegram": TelegramSender(bot)}, config)
        started = time.perf_counter()
        while True:
            stats = await notifier.tick()
            if stats.sent + stats.failed + stats.retried == 0:
                break
            assert isinstance(app.clock, FixedClock)
            app.clock.advance(dt.timedelta(seconds=2))  # retry_after of any 429, on our clock
        elapsed = time.perf_counter() - started
        result = report("outbox", await server.dump(), set(chats), args.cap)
        print(
            f"outbox     {args.users} users in {elapsed:.1f} s (incl. broadcast creation)",
            flush=True,
        )
        await app.close()
        ok = result["lost"] == 0 and result["duplicates"] == 0 and result["rate/cap"] >= 0.9
        print("PASS" if ok else "FAIL")
    finally:
        await bot.shutdown()
        await server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
