"""Three real ``hoctap run --webhook`` processes on one PostgreSQL behind a round-robin
load balancer, with the fake Bot API delivering updates the way Telegram does (a POST per
update carrying the secret header).

1. 1,000 updates spread over the three instances are each answered exactly once.
2. A broadcast to 5,000 users survives SIGKILL of the scheduler's leader: another instance takes
   the advisory lock, everyone gets the message, and the only duplicates are the deliveries the
   dead leader had in flight (``sending``, at most workers × batch).
3. Only the leader sends: while it is frozen (still holding the lock), nothing reaches Telegram
   but the requests it already had in flight. How fast one sender sends (the configured
   ``HOCTAP_NOTIFY_RATE``) is the rate limiter's, tested exactly on a fake clock in
   ``tests/test_notify_rate.py``: no assertion here depends on the machine's speed.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import os
import re
import shutil
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select

from bot.app import build_app
from bot.clock import SystemClock
from bot.settings import Settings
from db.models_notify import BroadcastRow, DeliveryRow
from tests.conftest import DEV_PACK
from tests.fakes import free_port
from tests.fakes.telegram import FakeTelegram, WebhookPusher
from tests.seeding import seed_subscribers

pytestmark = pytest.mark.postgres

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
HOCTAP = Path(sys.executable).with_name("hoctap")
SECRET = "multi-instance-secret_1"
INSTANCES = 3

# Ten updates per user, each with a reply of its own (one message, a distinct opening), so the
# transcript of a chat says which of its updates were answered and how often.
QUESTIONS = (
    "/start",
    "/lophoc",
    "/giomocua",
    "/xethuvien",
    "/hoidap",
    "/thongbao",
    "/help",
    "/lang",
    "làm thẻ thư viện cần gì",
    "cảm ơn",
)
PREFIX = 14  # characters of a reply that identify it (the rest may depend on the hour)
USERS = 100
FIRST_UID = 500_000

# The broadcast under a leader kill.
RECIPIENTS = 5000
FIRST_CHAT = 100_000
RATE = 200.0  # HOCTAP_NOTIFY_RATE, messages per second
WORKERS, BATCH = 2, 20  # HOCTAP_NOTIFY_WORKERS / _BATCH: the in-flight bound is their product
LEASE_S = 2.0
BODY = "Thư viện tỉnh mở cửa thêm buổi tối thứ Năm."


# --- running instances -------------------------------------------------------------------


@dataclass
class Instance:
    """One ``hoctap run --webhook`` process."""

    port: int
    proc: asyncio.subprocess.Process
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def tail(self, lines: int = 15) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(text[-lines:])


@dataclass
class Cluster:
    """The instances, and an HTTP client for their /healthz and /metrics."""

    instances: list[Instance]
    client: httpx.AsyncClient
    killed: set[int] = field(default_factory=set)

    @property
    def alive(self) -> list[Instance]:
        return [i for i in self.instances if i.port not in self.killed]

    def check_running(self) -> None:
        for inst in self.alive:
            if inst.proc.returncode is not None:
                raise AssertionError(
                    f"instance :{inst.port} exited with {inst.proc.returncode}:\n{inst.tail()}"
                )

    async def leader_flag(self, inst: Instance) -> float | None:
        """``hoctap_scheduler_leader`` of one instance (None if it does not answer)."""
        try:
            response = await self.client.get(f"{inst.url}/metrics")
        except httpx.HTTPError:
            return None
        found = re.search(r"^hoctap_scheduler_leader (\S+)$", response.text, re.MULTILINE)
        return float(found.group(1)) if found else None

    async def handled(self) -> dict[int, int]:
        """``hoctap_updates_total`` (summed over its labels) per live instance, by port."""
        out = {}
        for inst in self.alive:
            response = await self.client.get(f"{inst.url}/metrics")
            found = re.findall(r"^hoctap_updates_total\{[^}]*\} (\S+)$", response.text, re.M)
            out[inst.port] = int(sum(float(v) for v in found))
        return out

    async def leaders(self) -> list[Instance]:
        flags = await asyncio.gather(*(self.leader_flag(i) for i in self.alive))
        return [i for i, flag in zip(self.alive, flags, strict=True) if flag == 1.0]


def instance_env(fake: FakeTelegram, url: str, content: Path, **extra: str) -> dict[str, str]:
    """The environment of every instance: the fake, the shared database, the pack."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("HOCTAP_", "TELEGRAM_"))}
    return {
        **base,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "HOCTAP_DATABASE_URL": url,
        "HOCTAP_CONTENT_DIR": str(content),
        "HOCTAP_WEBHOOK_URL": "http://127.0.0.1:9/lb",  # the load balancer's (unused) address
        "HOCTAP_WEBHOOK_SECRET": SECRET,
        "HOCTAP_LEADER_CHECK_SECONDS": "1",
        "HOCTAP_QUIET_START": "00:00",
        "HOCTAP_QUIET_END": "00:00",
        "HOCTAP_LOG_LEVEL": "WARNING",
        **extra,
    }


async def wait_until(
    predicate: Callable[[], Awaitable[bool]] | Callable[[], bool],
    limit: float,
    cluster: Cluster,
    what: str,
    every: float = 0.02,
    progress: Callable[[], int] | None = None,
) -> None:
    """Poll (sync or async predicate) until true; fail on timeout or a dead instance.

    With ``progress`` (a count that grows while the work goes on, e.g. messages received),
    ``limit`` is how long nothing may move: a slow machine takes longer, only a stall fails.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    seen = progress() if progress is not None else 0
    while True:
        value = predicate()
        if not isinstance(value, bool):
            value = await value
        if value:
            return
        cluster.check_running()
        if progress is not None and progress() > seen:
            seen, deadline = progress(), loop.time() + limit
        if loop.time() > deadline:
            stalled = f"nothing moved for {limit}s" if progress is not None else f"{limit}s"
            raise AssertionError(f"timed out ({stalled}) waiting for {what}")
        await asyncio.sleep(every)


@contextlib.asynccontextmanager
async def cluster_of(n: int, env: dict[str, str], logs: Path) -> AsyncIterator[Cluster]:
    """Start ``n`` instances, wait until each answers /healthz; stop them all afterwards."""
    instances: list[Instance] = []
    async with httpx.AsyncClient(timeout=5, trust_env=False) as client:
        cluster = Cluster(instances, client)
        try:
            for k in range(n):
                port = free_port()
                log = logs / f"instance-{k}.log"
                with log.open("wb") as out:
                    proc = await asyncio.create_subprocess_exec(
                        str(HOCTAP),
                        "run",
                        "--webhook",
                        "--port",
                        str(port),
                        env=env,
                        cwd=logs,
                        stdout=out,
                        stderr=out,
                    )
                instances.append(Instance(port, proc, log))

            async def healthy() -> bool:
                for inst in instances:
                    try:
                        response = await client.get(f"{inst.url}/healthz")
                    except httpx.HTTPError:
                        return False
                    if response.status_code != 200:
                        return False
                return True

            await wait_until(healthy, 40, cluster, "every instance to be healthy", every=0.1)
            yield cluster
        finally:
            for inst in instances:
                if inst.proc.returncode is None:
                    inst.proc.send_signal(signal.SIGTERM)
            for inst in instances:
                try:
                    await asyncio.wait_for(inst.proc.wait(), 15)
                except TimeoutError:
                    inst.proc.kill()
                    await inst.proc.wait()


async def prepare_database(url: str, content: Path, recipients: int = 0) -> None:
    """Migrate and import the pack once (before the instances start, so they do not race to
    create the schema), and optionally write opted-in users directly."""
    app = build_app(Settings(_env_file=None, database_url=url, content_dir=content))
    await app.prepare()
    try:
        if recipients:
            chats = range(FIRST_CHAT, FIRST_CHAT + recipients)
            await seed_subscribers(app, chats, purpose="nhận mọi thông báo")
    finally:
        await app.close()


async def delivery_counts(url: str) -> dict[str, int]:
    """Deliveries per status, as the database has them."""
    app = build_app(Settings(_env_file=None, database_url=url, content_dir=DEV_PACK))
    try:
        async with app.sessions() as session:
            rows = await session.execute(
                select(DeliveryRow.status, func.count()).group_by(DeliveryRow.status)
            )
            return {status: int(n) for status, n in rows.all()}
    finally:
        await app.close()


def pack_due_now(tmp_path: Path) -> Path:
    """The dev pack with one announcement for everyone, published two minutes ago."""
    target = tmp_path / "pack"
    shutil.copytree(DEV_PACK, target)
    when = SystemClock(TZ).now() - dt.timedelta(minutes=2)
    (target / "announcements.yaml").write_text(
        "- id: nhieu-may\n"
        "  title: Thông báo thử nghiệm\n"
        f"  body: {BODY}\n"
        f"  publish_at: {when:%Y-%m-%dT%H:%M}\n",
        encoding="utf-8",
    )
    return target


def opening(message: dict[str, object]) -> str:
    return str(message["text"])[:PREFIX]


# --- 1. updates over three instances -----------------------------------------------------


async def test_updates_over_three_instances_answered_exactly_once(
    postgres_url: str, tmp_path: Path
) -> None:
    await prepare_database(postgres_url, DEV_PACK)
    async with FakeTelegram() as fake:
        env = instance_env(fake, postgres_url, DEV_PACK)
        async with cluster_of(INSTANCES, env, tmp_path) as cluster:
            targets = [i.url for i in cluster.instances]
            assert len(fake.calls_of("setWebhook")) == INSTANCES
            assert all(c.params["secret_token"] == SECRET for c in fake.calls_of("setWebhook"))
            # A POST is retried (and its update may be answered twice) after an error, or after
            # `timeout` seconds without an answer: generous, so that a loaded machine is no error.
            async with WebhookPusher(targets, SECRET, timeout=60) as pusher:
                # What each question is answered with: one fresh user per question, in turn.
                expected: dict[str, str] = {}
                for k, question in enumerate(QUESTIONS):
                    uid = FIRST_UID - 1 - k
                    assert await pusher.push(fake.text_update(uid, question))
                    await wait_until(lambda u=uid: bool(fake.sent_to(u)), 10, cluster, question)
                    expected[question] = opening(fake.sent_to(uid)[0])
                assert len(set(expected.values())) == len(QUESTIONS), expected
                calibration = len(fake.sent)

                # 1,000 updates: every user asks all ten questions, interleaved across users.
                updates = [
                    fake.text_update(FIRST_UID + u, question)
                    for question in QUESTIONS
                    for u in range(USERS)
                ]
                started = time.monotonic()
                accepted = await pusher.push_all(updates)
                total = len(updates)
                await wait_until(
                    lambda: len(fake.sent) - calibration >= total,
                    30,
                    cluster,
                    "the answers",
                    progress=lambda: len(fake.sent),
                )
                elapsed = time.monotonic() - started
                # Every update was handled (dispatched) once, none twice: the instances' counters.
                handled = await cluster.handled()
                cluster.check_running()
            per_target = dict(pusher.per_target)
            retries, failures = pusher.retries, pusher.failures

    assert accepted == total and not failures, failures
    assert retries == 0  # a retried update could legitimately be answered twice
    # The load balancer spread the updates evenly over the three instances.
    assert len(per_target) == INSTANCES
    assert max(per_target.values()) - min(per_target.values()) <= 1, per_target
    wanted = collections.Counter(expected.values())
    answers = fake.sent[calibration:]
    assert len(answers) == total, (len(answers), total)
    by_chat: dict[int, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for message in answers:
        by_chat[message["chat"]["id"]][opening(message)] += 1
    assert set(by_chat) == set(range(FIRST_UID, FIRST_UID + USERS))
    wrong = {chat: got for chat, got in by_chat.items() if got != wanted}
    assert not wrong, list(wrong.items())[:3]  # each of a user's ten updates answered once
    assert not fake.errors, fake.errors[:5]
    assert sum(handled.values()) == total + len(QUESTIONS), handled
    print(
        f"\n{total} updates over {INSTANCES} instances (handled {handled}): "
        f"{len(answers)} answers, "
        f"0 duplicates, 0 lost, {total / elapsed:.0f} updates/s"
    )


# --- 2 and 3. a broadcast while the leader is killed --------------------------------------


async def test_broadcast_survives_leader_kill_with_one_sender(
    postgres_url: str, tmp_path: Path
) -> None:
    content = pack_due_now(tmp_path)
    await prepare_database(postgres_url, content, recipients=RECIPIENTS)
    async with FakeTelegram() as fake:
        env = instance_env(
            fake,
            postgres_url,
            content,
            HOCTAP_NOTIFY_TICK_SECONDS="0.5",
            HOCTAP_NOTIFY_RATE=f"{RATE:g}",
            HOCTAP_NOTIFY_WORKERS=str(WORKERS),
            HOCTAP_NOTIFY_BATCH=str(BATCH),
            HOCTAP_NOTIFY_LEASE_SECONDS=f"{LEASE_S:g}",
        )

        def sent() -> int:
            return len(fake.sent)

        async with cluster_of(INSTANCES, env, tmp_path) as cluster:
            # Exactly one instance leads, and it is sending.
            await wait_until(
                lambda: sent() >= 1500, 40, cluster, "the broadcast to be under way", progress=sent
            )
            leaders = await cluster.leaders()
            assert len(leaders) == 1, [i.port for i in leaders]
            leader = leaders[0]
            # Freeze the leader (it keeps the lock: its connection stays open), read what it has
            # in flight, then kill it: those rows are the only ones that may be sent twice.
            leader.proc.send_signal(signal.SIGSTOP)
            sent_at_freeze = sent()
            app = build_app(
                Settings(_env_file=None, database_url=postgres_url, content_dir=content)
            )
            try:
                async with app.sessions() as session:
                    in_flight = set(
                        await session.scalars(
                            select(DeliveryRow.chat_id).where(DeliveryRow.status == "sending")
                        )
                    )
            finally:
                await app.close()
            sent_at_kill = sent()
            while_frozen = {str(m["chat"]["id"]) for m in fake.sent[sent_at_freeze:sent_at_kill]}
            killed_at = time.monotonic()
            leader.proc.send_signal(signal.SIGKILL)
            await leader.proc.wait()
            cluster.killed.add(leader.port)

            # Another instance takes the lock and finishes the broadcast.
            new_leaders: list[Instance] = []

            async def taken_over() -> bool:
                new_leaders[:] = await cluster.leaders()
                return bool(new_leaders)

            await wait_until(taken_over, 15, cluster, "another instance to lead", every=0.05)
            takeover_s = time.monotonic() - killed_at

            def chats() -> set[int]:
                return {m["chat"]["id"] for m in fake.sent}

            await wait_until(
                lambda: len(chats()) >= RECIPIENTS, 30, cluster, "every recipient", progress=sent
            )

            async def all_recorded() -> bool:
                return await delivery_counts(postgres_url) == {"sent": RECIPIENTS}

            await wait_until(all_recorded, 15, cluster, "every delivery recorded", every=0.2)
            assert len(await cluster.leaders()) == 1
            app = build_app(
                Settings(_env_file=None, database_url=postgres_url, content_dir=content)
            )
            try:
                async with app.sessions() as session:
                    rows = await session.execute(select(BroadcastRow.kind, BroadcastRow.status))
                    statuses = sorted(tuple(r) for r in rows.all())
            finally:
                await app.close()

    assert ("announcement", "done") in statuses and all(s == "done" for _, s in statuses)
    assert BODY in fake.sent[0]["text"]
    assert all(m["text"] == fake.sent[0]["text"] for m in fake.sent)  # only the broadcast
    per_chat = collections.Counter(m["chat"]["id"] for m in fake.sent)
    assert set(per_chat) == set(range(FIRST_CHAT, FIRST_CHAT + RECIPIENTS))  # nobody lost
    duplicated = {chat for chat, n in per_chat.items() if n > 1}
    duplicates = sum(per_chat[c] - 1 for c in duplicated)
    assert len(in_flight) <= WORKERS * BATCH, len(in_flight)
    assert duplicates <= len(in_flight), (duplicates, len(in_flight))
    assert {str(c) for c in duplicated} <= in_flight  # only rows that were in flight
    assert all(per_chat[c] == 2 for c in duplicated)
    after = [t for t in fake.sent_at if t > killed_at]
    first_send_s = min(after) - killed_at if after else float("nan")

    # 3. One sender at a time: while the leader was frozen, only its own requests in flight
    # reached Telegram (the other instances, not leading, sent nothing).
    assert while_frozen <= in_flight, sorted(while_frozen - in_flight)[:5]
    duration = fake.sent_at[-1] - fake.sent_at[0]
    print(
        f"\nbroadcast to {RECIPIENTS}: leader :{leader.port} killed after {sent_at_kill} sent, "
        f"{len(in_flight)} in flight; :{new_leaders[0].port} leads {takeover_s:.2f}s later, "
        f"first send after the kill at {first_send_s:.2f}s; {duplicates} duplicates; "
        f"{sent_at_kill - sent_at_freeze} arrived while it was frozen; "
        f"{len(fake.sent) / duration:.0f} msgs/s overall"
    )
