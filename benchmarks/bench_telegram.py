"""Throughput and reply latency of one bot process through the real PTB stack and a fake Bot API.

The fake Bot API server (``tests.fakes.telegram.FakeTelegram`` on uvicorn) and the simulated
users run in a *separate process*, so the figures are the bot's and not the harness's: the bot
process runs only what production runs (``build_telegram`` long-polling, the handlers, SQLite).
Latency is taken on the fake's clock, from the moment an update is available to ``getUpdates``
to the moment its first ``sendMessage`` arrives. 50 simulated users ask a mixed series of
questions in three phases, after a warm-up in which every user asks every question once:

* ``paced``: open loop at ``--rate`` updates/s (Poisson arrivals spread over the users); latency
  is measured from the *scheduled* time, so a bot that falls behind is not flattered by users
  waiting for it (no coordinated omission). This is the p50/p99 the target is about.
* ``closed``: each user asks, waits for the whole answer, asks again (saturation throughput;
  with 50 questions always in flight, latency here is mostly queueing: Little's law).
* ``burst``: ``users * per_user`` updates pushed at once; updates/s until all are answered.

A baseline runs the same traffic through the same PTB + fake stack with a trivial echo dispatch.
Both processes report their CPU use per phase (the harness must not be the bottleneck).

    python benchmarks/bench_telegram.py [--users 50] [--per-user 40] [--rate 300] [--runs 1]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import App, Dispatch
from bot.messages import Incoming, Reply
from bot.settings import Settings
from tests.fakes.telegram import FakeTelegram, polling_bot, running_app

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
BASE_UID = 100_000
ANSWER_TIMEOUT = 30.0  # seconds one question may wait for its answer
QUIET = 0.15  # seconds without a new message that end an answer during the warm-up


@dataclass
class Plan:
    """What the simulated users do."""

    users: int = 50
    per_user: int = 40
    rate: float = TARGET_RATE
    paced_seconds: float = 6.0
    seed: int = 1
    deadline: float = 300.0  # the whole run, seconds


@dataclass
class Phase:
    """One phase's figures (latencies in ms; CPU shares of one core)."""

    updates: int = 0
    seconds: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    fake_cpu: float = 0.0
    bot_cpu: float = 0.0

    @property
    def rate(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0


@dataclass
class Result:
    """One run: a phase per name, plus sanity counts."""

    name: str
    phases: dict[str, Phase] = field(default_factory=dict)
    unexpected_messages: int = 0


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def cpu_seconds() -> float:
    """User + system CPU time of this process."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- the fake's process: Bot API server + simulated users ----------------------------------------


class Users:
    """Plays the users against a FakeTelegram in the same loop and times the answers."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        self.counts: defaultdict[int, int] = defaultdict(int)
        self.expected: dict[str, int] = {}  # question -> messages in its answer (warm-up)
        self._waiting: dict[int, tuple[int, asyncio.Future[float]]] = {}
        self._first: dict[int, float] = {}
        self.promised = 0  # messages the questions asked so far should have produced
        fake.on_sent.append(self._on_sent)

    def _on_sent(self, message: dict[str, Any]) -> None:
        chat = message["chat"]["id"]
        now = time.monotonic()
        self.counts[chat] += 1
        self._first.setdefault(chat, now)
        waiting = self._waiting.get(chat)
        if waiting is not None and self.counts[chat] >= waiting[0] and not waiting[1].done():
            waiting[1].set_result(self._first[chat])

    async def ask(self, uid: int, text: str, messages: int) -> tuple[float, float]:
        """Push one question; wait for ``messages`` messages: (pushed at, first message at)."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting[uid] = (self.counts[uid] + messages, future)
        self._first.pop(uid, None)
        self.promised += messages
        update_id = self.fake.user_text(uid, text)
        try:
            first = await asyncio.wait_for(future, ANSWER_TIMEOUT)
        finally:
            self._waiting.pop(uid, None)
        return self.fake.pushed_at[update_id], first

    async def learn(self, uid: int, text: str) -> None:
        """Ask once and count the answer's messages (until QUIET seconds pass without one)."""
        before = self.counts[uid]
        await self.ask(uid, text, 1)
        seen = -1
        while seen != self.counts[uid]:
            seen = self.counts[uid]
            await asyncio.sleep(QUIET)
        self.promised += self.counts[uid] - before - 1
        self.expected[text] = max(self.expected.get(text, 0), self.counts[uid] - before)


async def warm_up(users: Users, plan: Plan) -> None:
    """Every user asks every question once: users exist, caches are hot, answers are counted."""

    async def one(n: int) -> None:
        for i in range(len(QUESTIONS)):
            await users.learn(BASE_UID + n, QUESTIONS[(n + i) % len(QUESTIONS)])

    await asyncio.gather(*(one(n) for n in range(plan.users)))


async def closed_loop(users: Users, plan: Plan) -> list[float]:
    """Each user asks, waits for the whole answer, asks again."""
    latencies: list[float] = []

    async def one(n: int) -> None:
        for i in range(plan.per_user):
            text = QUESTIONS[(n + i) % len(QUESTIONS)]
            pushed, first = await users.ask(BASE_UID + n, text, users.expected[text])
            latencies.append(first - pushed)

    await asyncio.gather(*(one(n) for n in range(plan.users)))
    return latencies


async def paced(users: Users, plan: Plan) -> list[float]:
    """Open loop: Poisson arrivals at ``plan.rate``; latency from the scheduled moment."""
    rng = random.Random(plan.seed)
    per_user = plan.rate / plan.users
    start = time.monotonic() + 0.05
    end = start + plan.paced_seconds
    latencies: list[float] = []

    async def one(n: int) -> None:
        due = start + rng.expovariate(per_user)
        i = 0
        while due < end:
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            text = QUESTIONS[(n + i) % len(QUESTIONS)]
            _, first = await users.ask(BASE_UID + n, text, users.expected[text])
            latencies.append(first - due)
            due += rng.expovariate(per_user)
            i += 1

    await asyncio.gather(*(one(n) for n in range(plan.users)))
    return latencies


async def burst(users: Users, plan: Plan) -> int:
    """Push every update at once; return how many once all answers arrived."""
    n = plan.users * plan.per_user
    total_before = sum(users.counts.values())
    want = 0
    for i in range(n):
        text = QUESTIONS[i % len(QUESTIONS)]
        users.fake.user_text(BASE_UID + i % plan.users, text)
        want += users.expected[text]
    users.promised += want
    await users.fake.wait_for(
        lambda: sum(users.counts.values()) - total_before >= want, timeout=120
    )
    return n


async def drive(fake: FakeTelegram, plan: Plan, conn: Connection) -> dict[str, Any]:
    """Wait for the bot's first long poll, warm up, then run the measured phases."""
    await fake.wait_for(lambda: fake.calls_of("getUpdates"), timeout=60)
    users = Users(fake)
    await warm_up(users, plan)
    phases: dict[str, dict[str, Any]] = {}

    async def measure(name: str, run: Callable[[], Any]) -> Any:
        conn.send(("begin", name))
        cpu, wall = cpu_seconds(), time.perf_counter()
        out = await run()
        phases[name] = {
            "seconds": time.perf_counter() - wall,
            "fake_cpu": (cpu_seconds() - cpu) / (time.perf_counter() - wall),
        }
        conn.send(("end", name))
        await asyncio.sleep(0.3)  # let stragglers land before the next phase
        return out

    for name, run in (
        ("paced", lambda: paced(users, plan)),
        ("closed", lambda: closed_loop(users, plan)),
    ):
        latencies = await measure(name, run)
        phases[name].update(
            updates=len(latencies),
            p50_ms=statistics.median(latencies) * 1000,
            p99_ms=percentile(latencies, 99) * 1000,
            max_ms=max(latencies) * 1000,
        )
    phases["burst"]["updates"] = await measure("burst", lambda: burst(users, plan))
    await asyncio.sleep(0.5)  # anything beyond the predicted answers would land now
    phases["_check"] = {"sent": sum(users.counts.values()), "promised": users.promised}
    return phases


def fake_process(conn: Connection, plan: Plan) -> None:
    """The child process: serve the fake on a free port, tell the parent, drive the users."""
    logging.basicConfig(level=logging.WARNING)

    async def main() -> None:
        fake = FakeTelegram()
        await fake.start()
        conn.send(("ready", fake.base_url, fake.token))
        try:
            phases = await asyncio.wait_for(drive(fake, plan, conn), plan.deadline)
            conn.send(("result", phases))
        except BaseException as exc:
            conn.send(("error", repr(exc)))
        finally:
            await fake.stop()

    asyncio.run(main())


# --- the bot's process ---------------------------------------------------------------------------


async def echo(incoming: Incoming, app: App) -> list[Reply]:
    """The baseline: no understanding, no database."""
    return [Reply(f"echo: {incoming.text or incoming.command or '-'}")]


def _receive(conn: Connection, timeout: float) -> Any:
    if not conn.poll(timeout):
        raise TimeoutError("the fake's process said nothing")
    return conn.recv()


async def bot_side(name: str, dispatch: Dispatch | None, conn: Connection, plan: Plan) -> Result:
    """Run the real bot against the fake until the fake's process reports its figures."""
    from tests.conftest import DEV_PACK

    loop = asyncio.get_running_loop()
    kind, base_url, token = await loop.run_in_executor(None, _receive, conn, 60)
    assert kind == "ready"
    result = Result(name)
    bot_cpu: dict[str, float] = {}
    started: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            _env_file=None,
            database_url=f"sqlite:///{Path(tmp) / 'hoctap.db'}",
            content_dir=DEV_PACK,
            telegram_bot_token=token,
            telegram_api_base_url=base_url,
        )
        async with running_app(settings) as app, polling_bot(app, settings, dispatch=dispatch):
            deadline = loop.time() + plan.deadline + 30
            while True:
                left = deadline - loop.time()
                message = await loop.run_in_executor(None, _receive, conn, max(left, 0.1))
                if message[0] == "begin":
                    started[message[1]] = (cpu_seconds(), time.perf_counter())
                elif message[0] == "end":
                    cpu, wall = started[message[1]]
                    bot_cpu[message[1]] = (cpu_seconds() - cpu) / (time.perf_counter() - wall)
                elif message[0] == "error":
                    raise RuntimeError(f"{name}: the fake's process failed: {message[1]}")
                else:
                    phases = message[1]
                    break
    check = phases.pop("_check")
    for phase, values in phases.items():
        result.phases[phase] = Phase(**values, bot_cpu=bot_cpu.get(phase, 0.0))
    result.unexpected_messages = check["sent"] - check["promised"]
    return result


def run(name: str, dispatch: Dispatch | None, plan: Plan) -> Result:
    """One measured run: a fresh fake process, a fresh database, the bot in this process."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=fake_process, args=(theirs, plan), daemon=True)
    process.start()
    try:
        return asyncio.run(bot_side(name, dispatch, ours, plan))
    finally:
        process.join(10)
        if process.is_alive():
            process.terminate()
            process.join(5)


# --- report --------------------------------------------------------------------------------------


def table(results: list[Result]) -> str:
    """A small text table, with the ratio to the baseline and the verdict on the targets."""
    lines = [
        f"{'run':<8} {'phase':<7} {'updates':>7} {'upd/s':>6} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'max ms':>7} {'bot cpu':>7} {'fake cpu':>8}"
    ]
    for r in results:
        for phase_name, p in r.phases.items():
            latency = (
                f"{p.p50_ms:>7.1f} {p.p99_ms:>7.1f} {p.max_ms:>7.1f}"
                if p.p50_ms
                else f"{'-':>7} {'-':>7} {'-':>7}"
            )
            lines.append(
                f"{r.name:<8} {phase_name:<7} {p.updates:>7} {p.rate:>6.0f} {latency} "
                f"{p.bot_cpu:>7.0%} {p.fake_cpu:>8.0%}"
            )
    return "\n".join(lines)


def summary(base: list[Result], real: list[Result]) -> str:
    """Medians over runs, the ratio hoctap/echo and the targets."""

    def med(results: list[Result], phase: str, attr: str) -> float:
        values: list[float] = [getattr(r.phases[phase], attr) for r in results]
        return statistics.median(values)

    lines = []
    for phase in ("paced", "closed", "burst"):
        b_rate, r_rate = med(base, phase, "rate"), med(real, phase, "rate")
        text = f"median {phase:<6}: echo {b_rate:5.0f} upd/s, hoctap {r_rate:5.0f} upd/s"
        text += f" (x{r_rate / b_rate:.2f})"
        if phase != "burst":
            b99, r99 = med(base, phase, "p99_ms"), med(real, phase, "p99_ms")
            r50 = med(real, phase, "p50_ms")
            text += f"; hoctap p50 {r50:.1f} ms, p99 {r99:.1f} ms (echo p99 {b99:.1f} ms)"
        lines.append(text)
    capacity = min(med(real, "closed", "rate"), med(real, "burst", "rate"))
    p99 = med(real, "paced", "p99_ms")
    rate = med(real, "paced", "rate")
    lines.append(
        f"targets: capacity >= {TARGET_RATE:.0f} upd/s: {capacity:.0f} "
        f"{'OK' if capacity >= TARGET_RATE else 'MISSED'}; p99 < {TARGET_P99_MS:.0f} ms at "
        f"{rate:.0f} upd/s offered: {p99:.1f} ms {'OK' if p99 < TARGET_P99_MS else 'MISSED'}"
    )
    for r in base + real:
        if r.unexpected_messages:
            lines.append(
                f"warning: {r.name}: {r.unexpected_messages:+d} messages against the answers "
                "counted in the warm-up (latencies may be matched to the wrong question)"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--per-user", type=int, default=40)
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="paced phase, upd/s")
    parser.add_argument("--seconds", type=float, default=6.0, help="paced phase duration")
    parser.add_argument("--runs", type=int, default=1, help="runs of each; medians reported")
    parser.add_argument("--only", choices=("echo", "hoctap"), help="skip the other run")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    os.environ.setdefault("HOCTAP_FLOOD_PER_MINUTE", "1000000")  # users here ask very often
    plan = Plan(
        users=args.users, per_user=args.per_user, rate=args.rate, paced_seconds=args.seconds
    )
    base: list[Result] = []
    real: list[Result] = []
    for _ in range(args.runs):
        if args.only != "hoctap":
            base.append(run("echo", echo, plan))
        if args.only != "echo":
            real.append(run("hoctap", None, plan))
        print(table(base[-1:] + real[-1:]), flush=True)
    if base and real:
        print(summary(base, real))
    print(f"(plan: {asdict(plan)}; {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
