"""Clients too slow to send a request head are dropped by the webhook server (``run_bot``):
silent connections, heads sent a byte at a time, and half a head after a kept-alive request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot import http as bot_http
from bot.runner import run_bot
from tests.fakes import free_port
from tests.fakes.telegram import FakeTelegram, bot_settings

TIMEOUT = 0.5
GUARD_S = 30  # only against a hang: no assertion is on how fast the machine is


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, clean_env: dict[str, str]) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    monkeypatch.setattr(bot_http, "HEADER_TIMEOUT", TIMEOUT)


@pytest.fixture
async def port(tmp_path: Path) -> AsyncIterator[int]:
    async with FakeTelegram() as fake:
        port = free_port()
        settings = bot_settings(
            fake,
            tmp_path,
            webhook_url="https://bot.example.org/hook",
            webhook_secret="slow_client_secret",
        )
        stop = asyncio.Event()
        task = asyncio.create_task(
            run_bot(settings, webhook=True, host="127.0.0.1", port=port, stop=stop)
        )
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            for _ in range(500):
                if task.done():
                    task.result()
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.02)
        yield port
        stop.set()
        await asyncio.wait_for(task, 10)


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> bytes:
    """What the server sent before closing; fails if it is still open after ``seconds``
    (a reset, for bytes written after the close, is a close too)."""
    try:
        return await asyncio.wait_for(reader.read(), seconds)
    except ConnectionResetError:
        return b""


async def test_a_silent_connection_is_closed(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = asyncio.get_running_loop().time()
    assert await closed_within(reader, GUARD_S) == b""
    # not before the timeout (a timer never fires early, however slow the machine)
    assert asyncio.get_running_loop().time() - started >= TIMEOUT * 0.8
    writer.close()


async def test_a_head_sent_a_byte_at_a_time_is_cut_off(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 400
    # Sending it takes at least 430 × 20 ms of this event loop's time, the server's with it: far
    # beyond TIMEOUT, however slow the machine. So it is cut off long before the end.
    written = 0
    try:
        for byte in head:
            writer.write(bytes([byte]))
            await writer.drain()
            written += 1
            await asyncio.sleep(0.02)  # always "making progress", never finishing
            if reader.at_eof():
                break
    except ConnectionError:
        pass
    assert await closed_within(reader, GUARD_S) == b""
    assert written < len(head), "the trickle was never cut off"
    writer.close()


async def test_half_a_head_after_a_kept_alive_request_is_cut_off(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    await writer.drain()
    status = await asyncio.wait_for(reader.readline(), 5)
    assert status.startswith(b"HTTP/1.1 200")
    await asyncio.sleep(0.1)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # and then nothing more
    await writer.drain()
    rest = await closed_within(reader, GUARD_S)  # the first answer's tail, then EOF
    assert b"HTTP/1.1" not in rest.split(b"\r\n\r\n", 1)[-1]  # no second answer
    writer.close()


async def test_ordinary_requests_are_unaffected(port: int) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        for _ in range(3):
            assert (await http.get("/healthz")).status_code == 200
            await asyncio.sleep(TIMEOUT / 2)
