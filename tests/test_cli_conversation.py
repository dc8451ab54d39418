"""``hoctap ask --conversation``: the format of CONTENT_FORMAT.md, and the chat's own state."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import func, select

from bot.app import build_app
from bot.settings import load_settings
from db.models import QuestionLogRow, UserRow
from tests.conftest import DEV_PACK
from tests.conversation_helpers import Recorder, same
from tests.test_cli import hoctap

HOURS = "thư viện tỉnh mở cửa mấy giờ"
INPUT = "\n".join(
    [
        HOURS,
        "thế còn chủ nhật?",
        "",  # an empty line is a message too: one answer
        "---",
        "các lớp tin học",
        "  ---  ",  # a separator with stray spaces is still a separator
        "---",  # an empty conversation
        "thế còn chủ nhật?",
        "---",
    ]
)
ANSWERED = [HOURS, "thế còn chủ nhật?", "", "các lớp tin học", "thế còn chủ nhật?"]


@pytest.fixture
def env(clean_env: dict[str, str], database_url: str) -> dict[str, str]:
    return {**clean_env, "HOCTAP_DATABASE_URL": database_url, "PYTHONIOENCODING": "utf-8"}


def ask(env: dict[str, str], *extra: str, stdin: str = INPUT) -> list[str]:
    result = hoctap(
        "ask",
        "--content",
        str(DEV_PACK),
        "--now",
        "2026-12-02T09:00",
        "--conversation",
        *extra,
        env=env,
        stdin=stdin,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.splitlines()


def test_one_answer_per_line_but_separators(
    clean_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = Recorder(monkeypatch)
    lines = ask(clean_env, "--json")
    records = [json.loads(line) for line in lines]
    assert [r["question"] for r in records] == ANSWERED
    assert records[0]["kind"] == "library_hours" and records[0]["ids"] == ["thu-vien-tinh"]
    assert all(set(r) == {"question", "kind", "ids", "score", "text"} for r in records)
    assert len(ask(clean_env)) == len(ANSWERED)  # plain text: one line per answer too

    # Each answer relies on the earlier lines of its own conversation and nothing else.
    turns = seen.turns[: len(ANSWERED)]
    assert turns[0].given is None
    assert same(turns[1].given, turns[0].answer.context)
    assert same(turns[2].given, turns[1].answer.context or turns[0].answer.context)
    assert turns[3].given is None and turns[4].given is None


def test_the_real_command_in_one_process(clean_env: dict[str, str]) -> None:
    result = hoctap(
        "ask",
        "--content",
        str(DEV_PACK),
        "--now",
        "2026-12-02T09:00",
        "--conversation",
        "--json",
        env=clean_env,
        stdin=INPUT + "\n",
        real=True,
    )
    assert result.returncode == 0, result.stderr
    assert [json.loads(x)["question"] for x in result.stdout.splitlines()] == ANSWERED


def test_nothing_is_kept_in_the_database(env: dict[str, str]) -> None:
    """Without --content it answers from the configured database and leaves no trace there."""
    assert hoctap("content", "import", str(DEV_PACK), env=env).returncode == 0
    result = hoctap(
        "ask", "--now", "2026-12-02T09:00", "--conversation", "--json", env=env, stdin=INPUT
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(result.stdout.splitlines()) == len(ANSWERED)

    async def counts() -> tuple[int, int]:
        settings = load_settings(database_url=env["HOCTAP_DATABASE_URL"], content_dir=DEV_PACK)
        app = build_app(settings)
        try:
            async with app.sessions() as session:
                users = await session.scalar(select(func.count()).select_from(UserRow))
                logged = await session.scalar(select(func.count()).select_from(QuestionLogRow))
            return users or 0, logged or 0
        finally:
            await app.close()

    assert asyncio.run(counts()) == (0, 0)
