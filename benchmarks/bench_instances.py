"""Updates per second with 1, 2 and 3 ``hoctap run --webhook`` instances on one PostgreSQL.

Everything is a real process on 127.0.0.1: the fake Bot API (``benchmarks/fake_server.py``,
``FakeTelegram`` in its own process), N bot instances (``hoctap run --webhook --port P``) and
this process, which plays Telegram's webhook side behind a round-robin load balancer
(:class:`tests.fakes.telegram.WebhookPusher`: one POST per update with the secret header, at
most 40 at a time, Telegram's default ``max_connections``). Each run gets a fresh database,
warms every instance up, then pushes ``--updates`` questions (one per simulated user, a mix of
commands and free text) and waits until the fake has received every answer.

Reported per instance count: updates/s, the scaling ratio against one instance, and the CPU
the processes used (instances, fake, this pusher) with the machine's overall CPU busy share:
on a two-core machine the instances, PostgreSQL, the fake and the pusher share two cores, so
scaling stops once the machine is saturated, whatever the design.

    python benchmarks/bench_instances.py [--updates 600] [--instances 1,2,3] [--runs 1]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import build_app
from bot.settings import Settings
from tests.conftest import DEV_PACK
from tests.fakes import free_port
from tests.fakes.telegram import WebhookPusher

ROOT = Path(__file__).resolve().parent.parent
HOCTAP = Path(sys.executable).with_name("hoctap")
FAKE_SERVER = ROOT / "benchmarks" / "fake_server.py"
DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
TOKEN = "123456:TEST"  # the default of FakeTelegram, which benchmarks/fake_server.py uses
SECRET = "bench-instances-secret"
QUESTIONS = (
    "thu vien tinh may gio mo cua",
    "Thư viện tỉnh mở cửa chủ nhật không?",
    "/start",
    "/giomocua",
    "lớp học tin học",
    "hoc phi lop tin hoc van phong",
    "xe thư viện lưu động tuần này ở đâu",
    "/lophoc",
    "làm thẻ bạn đọc thế nào",
    "xin chào",
)
WARMUP_PER_INSTANCE = 40
START_TIMEOUT = 60.0  # seconds for the instances to become healthy
ANSWER_TIMEOUT = 120.0  # seconds for one run's answers
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def postgres_cpu() -> float:
    """CPU seconds of every process named ``postgres`` on this machine (server + backends)."""
    total = 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            if (proc / "comm").read_text().strip().startswith("postgres"):
                total += cpu_seconds(int(proc.name))
    return total


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine (Linux /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return float(sum(values) - idle), float(sum(values))


def self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def admin(url: str, sql: str) -> None:
    import asyncpg

    u = make_url(url)
    conn = await asyncpg.connect(
        host=u.host or "127.0.0.1",
        port=u.port or 5432,
        user=u.username or "postgres",
        password=u.password,
        database=u.database or "postgres",
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def fresh_database(base: str) -> AsyncIterator[str]:
    """A new database, migrated with the dev pack imported; dropped afterwards."""
    name = f"hoctap_bench_{uuid.uuid4().hex[:10]}"
    await admin(base, f'CREATE DATABASE "{name}"')
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        app = build_app(Settings(_env_file=None, database_url=url, content_dir=DEV_PACK))
        await app.prepare()
        await app.close()
        yield url
    finally:
        await admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Fake:
    """The fake Bot API in its own process."""

    proc: asyncio.subprocess.Process
    port: int
    client: httpx.AsyncClient

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def sent(self) -> int:
        response = await self.client.get(f"{self.base_url}/fake/sent")
        return int(response.json()["sent"])

    async def wait_sent(self, count: int, limit: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while await self.sent() < count:
            if loop.time() > deadline:
                raise TimeoutError(f"only {await self.sent()} of {count} answers")
            if self.proc.returncode is not None:
                raise RuntimeError("the fake server exited")
            await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def fake_process(workdir: Path) -> AsyncIterator[Fake]:
    """``benchmarks/fake_server.py`` with no rate cap; it serves until its stdin closes."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(FAKE_SERVER),
        "1e9",
        str(workdir / "fake.json"),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        async with httpx.AsyncClient(timeout=5, trust_env=False) as client:
            yield Fake(proc, int(line), client)
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
            await proc.wait()


@contextlib.asynccontextmanager
async def instances(
    n: int, url: str, fake: Fake, workdir: Path
) -> AsyncIterator[list[tuple[int, asyncio.subprocess.Process]]]:
    """N ``hoctap run --webhook`` processes, healthy; SIGTERM (then SIGKILL) afterwards."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOCTAP_", "TELEGRAM_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=fake.base_url,
        HOCTAP_DATABASE_URL=url,
        HOCTAP_CONTENT_DIR=str(DEV_PACK),
        HOCTAP_WEBHOOK_URL="http://127.0.0.1:9/lb",
        HOCTAP_WEBHOOK_SECRET=SECRET,
        HOCTAP_FLOOD_PER_MINUTE="100000",
        HOCTAP_LOG_LEVEL="WARNING",
    )
    procs: list[tuple[int, asyncio.subprocess.Process]] = []
    try:
        for k in range(n):
            port = free_port()
            with (workdir / f"instance-{n}-{k}.log").open("wb") as log:
                proc = await asyncio.create_subprocess_exec(
                    str(HOCTAP),
                    "run",
                    "--webhook",
                    "--port",
                    str(port),
                    env=env,
                    cwd=workdir,
                    stdout=log,
                    stderr=log,
                )
            procs.append((port, proc))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT
        for port, proc in procs:
            while True:
                if proc.returncode is not None:
                    raise RuntimeError(f"instance :{port} exited; see {workdir}")
                with contextlib.suppress(httpx.HTTPError):
                    response = await fake.client.get(f"http://127.0.0.1:{port}/healthz")
                    if response.status_code == 200:
                        break
                if loop.time() > deadline:
                    raise TimeoutError(f"instance :{port} did not become healthy")
                await asyncio.sleep(0.1)
        yield procs
    finally:
        for _, proc in procs:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        for _, proc in procs:
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()


def update(update_id: int, uid: int, text: str) -> dict[str, object]:
    """A private text message (``/command`` with its entity), as Telegram would POST it."""
    message: dict[str, object] = {
        "message_id": update_id,
        "date": int(time.time()),
        "chat": {"id": uid, "type": "private", "first_name": f"U{uid}"},
        "from": {"id": uid, "is_bot": False, "first_name": f"U{uid}", "language_code": "vi"},
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return {"update_id": update_id, "message": message}


@dataclass
class Result:
    instances: int
    updates: int
    seconds: float
    cpu_instances: float
    cpu_fake: float
    cpu_pusher: float
    cpu_postgres: float
    machine_busy: float  # share of all cores busy during the run
    per_instance: list[int]

    @property
    def rate(self) -> float:
        return self.updates / self.seconds


async def one_run(n: int, count: int, base_pg: str, fake: Fake, workdir: Path) -> Result:
    """Fresh database, N instances, warm-up, then ``count`` updates as fast as they go."""
    async with fresh_database(base_pg) as url, instances(n, url, fake, workdir) as procs:
        targets = [f"http://127.0.0.1:{port}" for port, _ in procs]
        ids = iter(range(1, 10**9))
        uid = 10_000_000 * n
        async with WebhookPusher(targets, SECRET) as pusher:
            before = await fake.sent()
            warm = [
                update(next(ids), uid + i, QUESTIONS[i % len(QUESTIONS)])
                for i in range(WARMUP_PER_INSTANCE * n)
            ]
            await pusher.push_all(warm)
            await fake.wait_sent(before + len(warm), ANSWER_TIMEOUT)
            uid += len(warm)
            batch = [
                update(next(ids), uid + i, QUESTIONS[i % len(QUESTIONS)]) for i in range(count)
            ]
            before = await fake.sent()
            pids = [p.pid for _, p in procs]
            cpu0 = [cpu_seconds(pid) for pid in pids]
            fake0, self0, machine0 = cpu_seconds(fake.proc.pid), self_cpu(), machine_busy()
            pg0 = postgres_cpu()
            for target in pusher.targets:
                pusher.per_target[target] = 0
            started = time.monotonic()
            accepted = await pusher.push_all(batch)
            await fake.wait_sent(before + count, ANSWER_TIMEOUT)
            seconds = time.monotonic() - started
            machine1 = machine_busy()
            if accepted != count or pusher.failures:
                raise RuntimeError(f"{count - accepted} updates refused: {pusher.failures[:3]}")
            return Result(
                instances=n,
                updates=count,
                seconds=seconds,
                cpu_instances=sum(cpu_seconds(p) for p in pids) - sum(cpu0),
                cpu_fake=cpu_seconds(fake.proc.pid) - fake0,
                cpu_pusher=self_cpu() - self0,
                cpu_postgres=postgres_cpu() - pg0,
                machine_busy=(machine1[0] - machine0[0]) / max(1.0, machine1[1] - machine0[1]),
                per_instance=[pusher.per_target[t] for t in pusher.targets],
            )


async def main(args: argparse.Namespace) -> None:
    counts = [int(x) for x in args.instances.split(",")]
    results: dict[int, list[Result]] = {n: [] for n in counts}
    with tempfile.TemporaryDirectory(prefix="bench-instances-") as tmp:
        workdir = Path(tmp)
        async with fake_process(workdir) as fake:
            for round_ in range(args.runs):
                for n in counts:
                    result = await one_run(n, args.updates, args.postgres, fake, workdir)
                    results[n].append(result)
                    print(
                        f"run {round_ + 1}, {n} instance(s): {result.rate:6.1f} updates/s "
                        f"({result.updates} in {result.seconds:.2f}s, split "
                        f"{result.per_instance}); CPU s: instances {result.cpu_instances:.1f}, "
                        f"fake {result.cpu_fake:.1f}, pusher {result.cpu_pusher:.1f}, "
                        f"postgres {result.cpu_postgres:.1f}; "
                        f"machine busy {result.machine_busy:.0%} of {os.cpu_count()} cores",
                        flush=True,
                    )
    best = {n: statistics.median(r.rate for r in rs) for n, rs in results.items()}
    print(f"\nupdates/s (median of {args.runs} run(s)), {os.cpu_count()} cores:")
    for n in counts:
        ratio = f"  ({best[n] / best[counts[0]]:.2f}× {counts[0]})" if n != counts[0] else ""
        per_update_ms = 1000 * statistics.median(r.cpu_instances / r.updates for r in results[n])
        print(
            f"  {n} instance(s): {best[n]:6.1f}{ratio}; "
            f"instances' CPU {per_update_ms:.1f} ms/update"
        )


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--updates", type=int, default=600, help="updates per run (measured)")
    parser.add_argument("--instances", default="1,2,3", help="instance counts to run")
    parser.add_argument("--runs", type=int, default=1, help="rounds over the instance counts")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("HOCTAP_TEST_POSTGRES_URL") or DEFAULT_PG,
        help="a PostgreSQL server URL (a database is created and dropped per run)",
    )
    args = parser.parse_args()
    if not 1 <= args.updates <= 20_000 or not 1 <= args.runs <= 10:
        parser.error("--updates must be 1..20000 and --runs 1..10")
    return args


if __name__ == "__main__":
    asyncio.run(main(parse()))
