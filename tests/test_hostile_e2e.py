"""Hostile and odd input through the real Telegram path (PTB against the fake Bot API).

Every message gets a polite reply, nothing user-typed is rendered as markup, and the bot keeps
serving others, including while one user floods it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.telegram import FakeTelegram, bot_settings, polling_bot, running_app

HOSTILE = [
    ("whitespace only", "   \t  "),
    ("4096 characters", "thư viện " * 455 + "a"),
    ("control characters", "x\x00y\x07z\x1b[31m đỏ"),
    ("zero-width and bidi marks", "thư\u200bviện\u200d tỉnh\u200e mở\u202e cửa"),
    ("emoji only", "😀😀😀🙏"),
    ("html", "<b>đậm</b> <script>alert(1)</script> <a href='x'>l</a> &amp;"),
    ("markdown", "*đậm* _nghiêng_ [link](http://x) `code`"),
    ("sql", "'; DROP TABLE users; --"),
    ("other scripts", "Библиотека открыта? 图书馆开门吗 مكتبة"),
    ("very long word", "thưviệntỉnhmởcửamấygiờ" * 60),
]


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch, clean_env: dict[str, str]) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def fake(tmp_path: Path) -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        settings = bot_settings(server, tmp_path)
        async with running_app(settings) as app, polling_bot(app, settings):
            yield server
        assert server.errors == [], "the bot made calls Telegram would refuse"


@pytest.mark.parametrize(("name", "text"), HOSTILE, ids=[n for n, _ in HOSTILE])
async def test_hostile_message_gets_a_polite_reply(
    fake: FakeTelegram, name: str, text: str
) -> None:
    uid = 7000 + len(name)
    fake.user_text(uid, text)
    await fake.wait_for(lambda: fake.sent_to(uid))
    reply = fake.sent_to(uid)[-1]
    assert reply["text"].strip() and "trục trặc" not in reply["text"]
    if "<" in text:
        assert "<script>" not in reply["html"]  # escaped if echoed, never rendered
    fake.user_text(9999, "thư viện tỉnh mấy giờ mở cửa")  # and the bot serves others
    await fake.wait_for(lambda: any("07:30" in m["text"] for m in fake.sent_to(9999)))


async def test_a_flood_is_slowed_without_starving_others(fake: FakeTelegram) -> None:
    for n in range(30):
        fake.user_text(4444, f"câu hỏi số {n}")
    fake.user_text(5555, "thư viện tỉnh mấy giờ mở cửa")
    await fake.wait_for(lambda: any("07:30" in m["text"] for m in fake.sent_to(5555)))
    await fake.wait_for(lambda: any("gửi nhanh quá" in m["text"] for m in fake.sent_to(4444)))
    flooded = fake.sent_to(4444)
    assert sum("gửi nhanh quá" in m["text"] for m in flooded) == 1
    assert len(flooded) <= 21  # 20 answered, one polite warning, the rest not answered
