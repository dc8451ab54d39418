"""A PostgreSQL outage loses no message: while the database is unreachable the bot neither
acknowledges nor apologises, and once it is back every question is answered.

The database is reached through a TCP proxy on 127.0.0.1 that the test closes (dropping every
connection) and opens again; the shared PostgreSQL server itself is never stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.fakes.telegram import FakeTelegram, WebhookPusher
from tests.test_intake_kill import (
    APOLOGY,
    QUESTION,
    SECRET,
    answered,
    bot_env,
    free_port,
    intake_counts,
    prepare,
    stop,
    wait_until,
)

HOCTAP = Path(sys.executable).with_name("hoctap")
# How long the database is away: 3 s in the suite (the same code path as a long outage, within
# the suite's time budget); HOCTAP_TEST_OUTAGE_SECONDS=30 runs the 30-second outage.
OUTAGE = float(os.environ.get("HOCTAP_TEST_OUTAGE_SECONDS", "3"))
BEFORE, DURING = 20, 60
FIRST = 700_000


class Proxy:
    """A TCP proxy to ``target`` that can be cut (every connection dropped) and restored."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self.server: asyncio.Server | None = None
        self.pipes: set[asyncio.StreamWriter] = set()
        self.refused = 0

    async def open(self) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port)

    async def cut(self) -> None:
        """Stop listening and drop every connection: the database is unreachable."""
        assert self.server is not None
        self.server.close()
        for writer in list(self.pipes):
            writer.transport.abort()
        self.pipes.clear()
        await self.server.wait_closed()
        self.server = None

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.pipes |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.IncompleteReadError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self.pipes -= {writer, up_writer}


@pytest.mark.postgres
@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_postgres_outage_loses_no_message(
    mode: str, postgres_url: str, tmp_path: Path
) -> None:
    await prepare(postgres_url)
    real = make_url(postgres_url)
    proxy = Proxy((real.host or "127.0.0.1", real.port or 5432))
    await proxy.open()
    via_proxy = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    port = free_port()
    args = ["run"]
    extra: dict[str, str] = {}
    if mode == "webhook":
        args += ["--webhook", "--host", "127.0.0.1", "--port", str(port)]
        extra = {"HOCTAP_WEBHOOK_URL": f"http://127.0.0.1:{port}", "HOCTAP_WEBHOOK_SECRET": SECRET}
    before = range(FIRST, FIRST + BEFORE)
    during = range(FIRST + BEFORE, FIRST + BEFORE + DURING)
    async with FakeTelegram(token="123:OUTAGE") as fake:
        env = bot_env(fake, via_proxy, **extra)
        log = (tmp_path / "bot.log").open("wb")
        bot = await asyncio.create_subprocess_exec(
            str(HOCTAP), *args, env=env, cwd=tmp_path, stdout=log, stderr=log
        )
        pusher = WebhookPusher([f"http://127.0.0.1:{port}"], SECRET, attempts=400)
        pushing: asyncio.Task[int] | None = None
        try:
            if mode == "polling":
                await wait_until(lambda: bool(fake.calls_of("getUpdates")), 30, bot)
                for uid in before:
                    fake.user_text(uid, QUESTION)
            else:
                await wait_until(lambda: fake.webhook is not None, 30, bot)
                await pusher.push_all(fake.text_update(uid, QUESTION) for uid in before)
            await wait_until(lambda: answered(fake) >= set(before), 30, bot)

            await proxy.cut()  # the database goes away…
            if mode == "polling":
                for uid in during:
                    fake.user_text(uid, QUESTION)
            else:
                updates = [fake.text_update(uid, QUESTION) for uid in during]
                pushing = asyncio.create_task(pusher.push_all(updates))
            await asyncio.sleep(OUTAGE)  # …for a while, with citizens asking all along
            outage_answers = answered(fake) & set(during)
            if mode == "polling":
                assert fake.pending, "updates were confirmed while nothing could store them"
            else:
                assert pusher.retries > 0  # 503: Telegram was told to deliver them again
            await proxy.open()  # …and comes back

            await wait_until(lambda: answered(fake) >= set(during), 60, bot)
            if pushing is not None:
                assert await pushing == DURING
            for _ in range(100):
                by, _ = await intake_counts(postgres_url)
                if by.get("done") == BEFORE + DURING:
                    break
                await asyncio.sleep(0.1)
        finally:
            if pushing is not None and not pushing.done():
                pushing.cancel()
            await pusher.close()
            if bot.returncode is None:
                await stop(bot)
            if proxy.server is not None:
                await proxy.cut()
    assert not outage_answers  # nothing could be stored, so nothing was handled
    assert answered(fake) == set(before) | set(during)  # nobody lost
    assert not any(APOLOGY in m["text"] for m in fake.sent)  # and nobody told "try later"
    by, bodies = await intake_counts(postgres_url)
    assert by == {"done": BEFORE + DURING}
    assert bodies == 0
    assert bot.returncode in (0, -signal.SIGTERM)
