"""No secret in any log line, at any level; no citizen's text at the default level.

The log-scan tests run the real ``hoctap run --webhook`` process against the fake Bot API, with
a bot token, the webhook secret and a Zalo bot configured, talk to it as citizens do, stop it,
and search everything it wrote. The unit tests pin the one redaction filter: it keeps the
arguments' shape, so other formatters (uvicorn's access formatter) keep working.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from uvicorn.logging import AccessFormatter

from bot import logs
from bot.settings import async_database_url
from db.engine import make_engine
from tests.conftest import DEV_PACK
from tests.fakes import free_port
from tests.fakes.telegram import FakeTelegram

HOCTAP = Path(sys.executable).with_name("hoctap")
TOKEN = "7012345678:AAHk-Tok3nSecretPart_abcdefghijklmnopq"
WEBHOOK_SECRET = "wh-Secret_0123456789abcdef"
ZALO_TOKEN = "2468013579:zaloBotTokenSecret_abcdefghijkl"
ZALO_SECRET = "zalo-hook-secret-98765"
CITIZEN_TEXTS = ("Nhà tôi ở xóm Pác Nặm, con tôi muốn học may", "thu vien tinh may gio mo cua")
ZALO_TEXT = "Tôi tên Hoàng Thị Mai, hỏi lớp tin học"
UID = 6161


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, clean_env: dict[str, str]) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def access_logger() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """``uvicorn.access`` with uvicorn's own access formatter on a handler of its own."""
    logger = logging.getLogger("uvicorn.access")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s'))
    saved = (logger.handlers[:], logger.propagate, logger.level)
    logger.handlers, logger.propagate = [handler], False
    logger.setLevel(logging.INFO)
    try:
        yield logger, stream
    finally:
        logger.handlers, logger.propagate = saved[0], saved[1]
        logger.setLevel(saved[2])


def test_access_formatter_keeps_working_with_secrets_registered(
    access_logger: tuple[logging.Logger, io.StringIO], capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 12 item 8: the Zalo filter emptied ``record.args`` and every access line became a
    "--- Logging error ---" traceback on stderr."""
    logger, stream = access_logger
    logs.redact_secrets(ZALO_SECRET)  # what configuring Zalo does
    logs.install()
    # exactly how uvicorn's httptools/h11 protocols log a request
    logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "POST", "/zalo/bot", "1.1", 200)
    logger.info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5001", "GET", f"/x?k={ZALO_SECRET}", "1.1", 404
    )
    written = stream.getvalue()
    assert "Logging error" not in capsys.readouterr().err
    assert '"POST /zalo/bot HTTP/1.1" 200' in written
    assert '"GET /x?k=*** HTTP/1.1" 404' in written
    assert ZALO_SECRET not in written


def test_filter_redacts_message_args_and_traceback_keeping_their_shape() -> None:
    f = logs.RedactingFilter()
    f.add("hush-hush-value")

    class Url:
        def __str__(self) -> str:
            return f"https://api.telegram.org/bot{TOKEN}/getMe"

    try:
        raise RuntimeError("failed with hush-hush-value")
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "httpx",
        logging.INFO,
        __file__,
        1,
        'HTTP Request: %s %s "%s %d"',
        ("GET", Url(), "HTTP/1.1", 200),
        exc_info,
    )
    assert f.filter(record)
    line = logging.Formatter().format(record)
    assert TOKEN not in line and "hush-hush-value" not in line
    assert 'HTTP Request: GET https://api.telegram.org/bot***/getMe "HTTP/1.1 200"' in line
    assert isinstance(record.args, tuple) and record.args[3] == 200  # types kept for %d
    mapping = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "%(a)s %(b)d", ({"a": "hush-hush-value", "b": 3},), None
    )
    f.filter(mapping)
    assert mapping.getMessage() == "*** 3"
    plain = logging.LogRecord("x", logging.INFO, __file__, 1, "%s of %d", ("nothing", 2), None)
    f.filter(plain)
    assert plain.args == ("nothing", 2)


async def test_sql_parameters_never_appear_in_errors(database_url: str) -> None:
    """On PostgreSQL an error's message carried the statement's parameters: a citizen's text."""
    engine = make_engine(async_database_url(database_url))
    try:
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError) as caught:
                await conn.execute(text("SELEC :question"), {"question": CITIZEN_TEXTS[0]})
    finally:
        await engine.dispose()
    assert CITIZEN_TEXTS[0] not in str(caught.value)


async def _stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), 20)
    except TimeoutError:
        proc.kill()
        await proc.wait()


def _update(update_id: int, body: str) -> dict[str, Any]:
    user = {"id": UID, "is_bot": False, "first_name": "Lan", "language_code": "vi"}
    message: dict[str, Any] = {
        "message_id": update_id,
        "date": 1795000000,
        "chat": {"id": UID, "type": "private", "first_name": "Lan"},
        "from": user,
        "text": body,
    }
    if body.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(body)}]
    return {"update_id": update_id, "message": message}


ZALO_UPDATE = {
    "event_name": "message.text.received",
    "message": {
        "from": {"id": "z1", "display_name": "Mai", "is_bot": False},
        "chat": {"id": "z1", "chat_type": "PRIVATE"},
        "message_id": "m0001",
        "date": 1795000000000,
        "text": ZALO_TEXT,
    },
}


async def _talk_by_webhook(
    fake: FakeTelegram, port: int, proc: asyncio.subprocess.Process, log_path: Path
) -> None:
    """Citizens write through both webhooks (Telegram's answers go to the fake)."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        for _ in range(750):
            if proc.returncode is not None:
                raise AssertionError(f"the bot exited with {proc.returncode}; see {log_path}")
            try:
                if (await http.get("/healthz")).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.02)
        headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        for n, body in enumerate(["/start", *CITIZEN_TEXTS], start=1):
            before = len(fake.sent_to(UID))
            sent = await http.post(
                "/telegram", content=json.dumps(_update(n, body)), headers=headers
            )
            assert sent.status_code == 200
            await fake.wait_for(lambda b=before: len(fake.sent_to(UID)) > b, 30)  # type: ignore[misc]
        answered = await http.post(
            "/zalo/bot",
            content=json.dumps(ZALO_UPDATE),
            headers={"X-Bot-Api-Secret-Token": ZALO_SECRET},
        )
        assert answered.status_code == 200
        await asyncio.sleep(1.0)  # its reply fails against the dead Zalo server: logged


async def _talk_by_polling(fake: FakeTelegram) -> None:
    for body in ["/start", *CITIZEN_TEXTS]:
        before = len(fake.sent_to(UID))
        fake.user_text(UID, body)
        await fake.wait_for(lambda b=before: len(fake.sent_to(UID)) > b, 30)  # type: ignore[misc]
    await asyncio.sleep(1.5)  # a few more long polls, each with the token in its URL


@pytest.mark.parametrize(
    ("level", "mode"), [("INFO", "webhook"), ("DEBUG", "webhook"), ("INFO", "polling")]
)
async def test_a_real_run_logs_no_secret(tmp_path: Path, level: str, mode: str) -> None:
    port = free_port()
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("HOCTAP_", "TELEGRAM_", "ZALO_"))
        },
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "HOCTAP_WEBHOOK_URL": "https://bot.example.org/hook",
        "HOCTAP_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "ZALO_BOT_TOKEN": ZALO_TOKEN,
        "ZALO_BOT_WEBHOOK_SECRET": ZALO_SECRET,
        "ZALO_BOT_API_BASE_URL": "http://127.0.0.1:9",  # nobody listens: every call fails
        "HOCTAP_DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "HOCTAP_CONTENT_DIR": str(DEV_PACK),
    }
    if level != "INFO":
        env["HOCTAP_LOG_LEVEL"] = level  # else the default level
    log_path = tmp_path / "run.log"
    async with FakeTelegram(token=TOKEN) as fake:
        env["TELEGRAM_API_BASE_URL"] = fake.base_url
        args = ["--webhook", "--port", str(port)] if mode == "webhook" else []
        with log_path.open("wb") as sink:
            proc = await asyncio.create_subprocess_exec(
                str(HOCTAP), "run", *args, env=env, cwd=tmp_path, stdout=sink, stderr=sink
            )
            try:
                if mode == "webhook":
                    await _talk_by_webhook(fake, port, proc, log_path)
                else:
                    await _talk_by_polling(fake)
            finally:
                await _stop(proc)
    written = log_path.read_text(encoding="utf-8", errors="replace")
    assert "Logging error" not in written
    if mode == "webhook":
        assert "POST /telegram HTTP/1.1" in written  # the access log was written, formatted
    for secret in (TOKEN, TOKEN.split(":")[1], WEBHOOK_SECRET, ZALO_TOKEN, ZALO_SECRET):
        assert secret not in written, f"{secret[:6]}… leaked at {level}"
    if level == "INFO":
        for said in (*CITIZEN_TEXTS, ZALO_TEXT):
            assert said not in written, f"a citizen's text was logged: {said}"
    else:
        assert "HTTP Request" in written  # at DEBUG httpx logs its URLs, redacted
        assert "bot***/" in written
