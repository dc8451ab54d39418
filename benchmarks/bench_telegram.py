"""Throughput and reply latency of one process through the real PTB stack and a fake Bot API.

50 simulated users each ask a mixed series of questions (closed loop: the next question after
the answer), then the same updates are pushed all at once (burst). Latency is from the moment an
update is queued on the fake server to the moment its first sendMessage arrives there. A
baseline runs the same traffic through the same PTB + fake stack with a trivial echo dispatch.

    python benchmarks/bench_telegram.py [--users 50] [--per-user 40]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import logging
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import App
from bot.channels.telegram import Dispatch
from handlers.types import Incoming, Reply
from tests.fakes.telegram import FakeTelegram, bot_settings, polling_bot, running_app

QUESTIONS = (
    "thu vien tinh may gio mo cua",
    "Thư viện tỉnh mở cửa chủ nhật không?",
    "/start",
    "/giomocua",
    "lớp học tin học",
    "hoc phi lop tin hoc van phong",
    "xe thư viện lưu động tuần này ở đâu",
    "lop trong rau huu co khi nao hoc",
    "thư viện Ba Bể mở cửa thứ hai không",
    "xin chào",
    "/lophoc",
    "làm thẻ bạn đọc thế nào",
)
TARGET_RATE = 300.0  # updates per second
TARGET_P99_MS = 50.0


@dataclass
class Result:
    """One run's figures."""

    name: str
    updates: int
    closed_rate: float
    p50_ms: float
    p99_ms: float
    burst_rate: float


async def echo(incoming: Incoming, app: App) -> list[Reply]:
    """The baseline: no understanding, no database."""
    return [Reply(f"echo: {incoming.text or incoming.command or '-'}")]


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


async def run(name: str, dispatch: Dispatch | None, users: int, per_user: int) -> Result:
    """One measured run on a fresh database."""
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeTelegram() as fake:
            settings = bot_settings(fake, Path(tmp))
            async with running_app(settings) as app:
                counts: defaultdict[int, int] = defaultdict(int)
                first_sent: dict[int, float] = {}
                waiters: dict[int, asyncio.Future[None]] = {}

                def on_sent(message: dict[str, Any]) -> None:
                    chat = message["chat"]["id"]
                    counts[chat] += 1
                    future = waiters.pop(chat, None)
                    if future is not None and not future.done():
                        first_sent[chat] = time.monotonic()
                        future.set_result(None)

                fake.on_sent.append(on_sent)
                async with polling_bot(app, settings, dispatch=dispatch):
                    # warm-up: every question once, so caches and the content index are hot
                    await closed_loop(fake, waiters, first_sent, counts, users=5, per_user=12)
                    latencies: list[float] = []
                    start = time.perf_counter()
                    latencies = await closed_loop(
                        fake, waiters, first_sent, counts, users=users, per_user=per_user
                    )
                    closed = time.perf_counter() - start
                    burst = await burst_run(fake, counts, users * per_user, users)
    return Result(
        name,
        len(latencies),
        len(latencies) / closed,
        statistics.median(latencies) * 1000,
        percentile(latencies, 99) * 1000,
        burst,
    )


async def closed_loop(
    fake: FakeTelegram,
    waiters: dict[int, asyncio.Future[None]],
    first_sent: dict[int, float],
    counts: defaultdict[int, int],
    *,
    users: int,
    per_user: int,
) -> list[float]:
    """Each user asks, waits for the answer (and its follow-up messages), asks again."""
    loop = asyncio.get_running_loop()
    latencies: list[float] = []

    async def user(uid: int) -> None:
        for i in range(per_user):
            await settle(counts, uid)
            future: asyncio.Future[None] = loop.create_future()
            waiters[uid] = future
            update_id = fake.user_text(uid, QUESTIONS[(uid + i) % len(QUESTIONS)])
            await asyncio.wait_for(future, 30)
            latencies.append(first_sent[uid] - fake.pushed_at[update_id])

    await asyncio.gather(*(user(100_000 + n) for n in range(users)))
    return latencies


async def settle(counts: defaultdict[int, int], uid: int) -> None:
    """Let a multi-message answer finish before the next question (two quiet loop turns)."""
    seen = -1
    while counts[uid] != seen:
        seen = counts[uid]
        for _ in range(3):
            await asyncio.sleep(0)


async def burst_run(
    fake: FakeTelegram, counts: defaultdict[int, int], n: int, users: int
) -> float:
    """Push ``n`` updates at once from ``users`` users; updates/s until all are answered.

    The users already exist (the closed loop created them): a brand-new user's concurrent first
    updates race in ``touch_user`` (reported to handlers/).
    """
    base = 100_000
    before = {base + u: counts[base + u] for u in range(users)}
    start = time.perf_counter()
    for i in range(n):
        fake.user_text(base + i % users, QUESTIONS[i % len(QUESTIONS)])
    await fake.wait_for(
        lambda: sum(counts[base + u] - before[base + u] for u in range(users)) >= n, timeout=120
    )
    return n / (time.perf_counter() - start)


def table(results: list[Result]) -> str:
    """A small text table, with the ratio to the baseline."""
    lines = [
        f"{'run':<10} {'updates':>7} {'closed upd/s':>12} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'burst upd/s':>11}"
    ]
    for r in results:
        lines.append(
            f"{r.name:<10} {r.updates:>7} {r.closed_rate:>12.0f} {r.p50_ms:>7.1f} "
            f"{r.p99_ms:>7.1f} {r.burst_rate:>11.0f}"
        )
    base, real = results
    lines.append(
        f"hoctap/echo: throughput x{real.closed_rate / base.closed_rate:.2f} (closed), "
        f"x{real.burst_rate / base.burst_rate:.2f} (burst); p99 x{real.p99_ms / base.p99_ms:.2f}"
    )
    ok_rate = real.closed_rate >= TARGET_RATE and real.burst_rate >= TARGET_RATE
    ok_p99 = real.p99_ms < TARGET_P99_MS
    lines.append(
        f"targets: >= {TARGET_RATE:.0f} upd/s {'OK' if ok_rate else 'MISSED'}; "
        f"p99 < {TARGET_P99_MS:.0f} ms {'OK' if ok_p99 else 'MISSED'}"
    )
    return "\n".join(lines)


async def main(users: int, per_user: int) -> None:
    """Baseline first, then the real conversation."""
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    baseline = await run("echo", echo, users, per_user)
    real = await run("hoctap", None, users, per_user)
    print(table([baseline, real]))
    if importlib.util.find_spec("sniffio") is None:
        print(
            "note: sniffio is not installed, so httpcore retries `import sniffio` (a sys.path "
            "scan) on every request; installing it removes that cost"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--per-user", type=int, default=40)
    args = parser.parse_args()
    asyncio.run(main(args.users, args.per_user))
