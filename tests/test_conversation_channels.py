"""Three-turn conversations through the real channels (Zalo OA webhooks, Zalo Bot polling, the
terminal chat; Telegram is in test_telegram_e2e): every message is read in the state the last
answer left, and the state is kept with the person in the database."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import App
from bot.channels.terminal import chat
from bot.channels.zalo import start_zalo
from bot.settings import load_settings
from bot.understanding import Context
from db.models import UserRow
from handlers import dispatch
from tests.conftest import DEV_PACK
from tests.conversation_helpers import Recorder, same, stored
from tests.fakes.zalo import FakeZaloBot, running_app, wait_for, zalo_settings
from tests.test_zalo_oa import World, world  # noqa: F401  (the OA fixture)

HOURS = "thư viện tỉnh mở cửa mấy giờ"
TURNS = [HOURS, "thế còn chủ nhật?", "các lớp tin học"]


async def only_user(app: App, channel: str) -> str:
    async with app.sessions() as session:
        [user_id] = (
            await session.scalars(select(UserRow.user_id).where(UserRow.channel == channel))
        ).all()
    return user_id


def check_three_turns(seen: Recorder, after_first: Context | None) -> Context | None:
    assert [t.question for t in seen.turns[:3]] == TURNS
    assert after_first is not None and after_first.ids == ("thu-vien-tinh",)
    assert seen.turns[0].given is None and same(seen.turns[1].given, after_first)
    kept = seen.check_chain()
    assert kept is not None and kept.kind == "courses"
    return kept


async def test_zalo_oa_three_turns(
    world: World,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = Recorder(monkeypatch)
    assert "07:30" in await world.say(HOURS)
    user = await only_user(world.app, "zalo_oa")
    after_first = await stored(world.app, "zalo_oa", user)
    await world.say(TURNS[1])
    await world.say(TURNS[2])
    kept = check_three_turns(seen, after_first)
    assert same(await stored(world.app, "zalo_oa", user), kept)

    # A numbered choice is a button press: it sets the state for the next message.
    text = await world.say("1")
    pressed = await stored(world.app, "zalo_oa", user)
    assert pressed is not None and pressed.kind == "course", text
    assert pressed.ids[0] in kept.ids  # type: ignore[union-attr]
    await world.say("học phí bao nhiêu?")
    assert same(seen.turns[-1].given, pressed)


@pytest.fixture
async def zalo_bot(tmp_path: Path) -> AsyncIterator[tuple[App, FakeZaloBot]]:
    async with FakeZaloBot().running() as fake:
        settings = zalo_settings(f"sqlite:///{tmp_path / 'b.db'}", bot=fake)
        async with running_app(settings) as app:
            runtime = await start_zalo(
                app,
                app.settings,
                dispatch=dispatch,
                webhook=False,
                bot={"poll_timeout": 1, "min_poll_interval": 0},
            )
            try:
                yield app, fake
            finally:
                await runtime.stop()


async def test_zalo_bot_three_turns(
    zalo_bot: tuple[App, FakeZaloBot], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, fake = zalo_bot
    chat_id = "6ede9afa66b88fe6d6a9"
    seen = Recorder(monkeypatch)
    after_first = None

    def answered(before: int) -> Callable[[], bool]:
        return lambda: len(fake.texts_to(chat_id)) > before

    for n, text in enumerate(TURNS):
        before = len(fake.texts_to(chat_id))
        fake.user_text(chat_id, text)
        await wait_for(answered(before), what=f"reply to {text!r}")
        if n == 0:
            after_first = await stored(app, "zalo_bot", await only_user(app, "zalo_bot"))
    kept = check_three_turns(seen, after_first)
    assert same(await stored(app, "zalo_bot", await only_user(app, "zalo_bot")), kept)


@pytest.fixture
async def app(tmp_path: Path, clean_env: dict[str, str]) -> AsyncIterator[App]:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 't.db'}", content_dir=DEV_PACK)
    async with running_app(settings) as prepared:
        yield prepared


async def test_terminal_three_turns_and_a_numbered_choice(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = Recorder(monkeypatch)
    script = [*TURNS, "1", "học phí bao nhiêu?", "/start", "thế còn chủ nhật?", "/quit"]
    out = io.StringIO()
    await chat(app, io.StringIO("\n".join(script) + "\n"), out, dispatch=dispatch)
    assert "07:30" in out.getvalue()
    typed = seen.turns
    assert [t.question for t in typed] == [*TURNS, "học phí bao nhiêu?", "thế còn chủ nhật?"]
    assert typed[0].given is None and typed[0].answer.context is not None
    assert same(typed[1].given, typed[0].answer.context)
    courses = typed[2].answer.context
    assert courses is not None and courses.kind == "courses"
    pressed = seen.rendered[-1].context  # "1": the first class of the list, as a button
    assert pressed is not None and pressed.kind == "course" and pressed.ids[0] == courses.ids[0]
    assert same(typed[3].given, pressed)
    assert typed[4].given is None  # /start cleared it
    assert same(await stored(app, "terminal", "local"), typed[4].answer.context)
