"""End to end: the real PTB application from ``build_telegram`` long-polls a fake Bot API.

Fresh SQLite per test, the dev pack, the clock fixed at 2026-12-02 09:00 (Asia/Ho_Chi_Minh).
The assertions are on what the fake server received: structure and key facts, not sentences.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.channels.telegram import COMMANDS
from bot.messages import Button, Incoming, Reply
from bot.settings import Settings
from tests.conversation_helpers import Recorder as EngineRecorder
from tests.conversation_helpers import same, stored
from tests.fakes.telegram import FakeTelegram, Fault, bot_settings, polling_bot, running_app

UID = 4242
# A "typing…" threshold no test lives to reach (pytest-timeout ends it long before): whatever the
# machine's speed, every answer is ready before it.
NEVER = 24 * 3600.0


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch, clean_env: dict[str, str]) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server
        assert server.errors == [], "the bot made calls Telegram would refuse"


@pytest.fixture
async def env(fake: FakeTelegram, tmp_path: Path) -> AsyncIterator[tuple[Settings, App]]:
    settings = bot_settings(fake, tmp_path)
    async with running_app(settings) as app:
        yield settings, app


@pytest.fixture
async def bot(fake: FakeTelegram, env: tuple[Settings, App]) -> AsyncIterator[FakeTelegram]:
    """The real conversation (``handlers.dispatch``) behind the real PTB stack."""
    settings, app = env
    async with polling_bot(app, settings):
        yield fake


class Recorder:
    """A dispatch that records what the channel made of each update and answers ``script``."""

    def __init__(self, script: Any = None) -> None:
        self.seen: list[Incoming] = []
        self.script = script

    async def __call__(self, incoming: Incoming, app: App) -> list[Reply]:
        self.seen.append(incoming)
        if self.script is not None:
            return list(await self.script(incoming))
        return [Reply(f"echo {incoming.text or incoming.command or incoming.button or '-'}")]


async def say(fake: FakeTelegram, text: str, uid: int = UID) -> dict[str, Any]:
    """Send a text and wait for the next message the bot sends to that chat."""
    before = len(fake.sent_to(uid))
    fake.user_text(uid, text)
    await fake.wait_for(lambda: len(fake.sent_to(uid)) > before)
    return fake.sent_to(uid)[-1]


async def press(fake: FakeTelegram, message: dict[str, Any], data: str) -> None:
    """Press a button and wait until the query is answered and something was sent or edited."""
    answered, sent, edits = len(fake.answers), len(fake.sent), len(fake.edits)
    fake.user_press(message["chat"]["id"], message["message_id"], data)
    await fake.wait_for(
        lambda: len(fake.answers) > answered and (len(fake.sent) > sent or len(fake.edits) > edits)
    )


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, data) of every inline button of a message."""
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


def first(message: dict[str, Any], prefix: str) -> tuple[str, str]:
    """The first button whose data starts with ``prefix``."""
    found = [b for b in buttons(message) if b[1].startswith(prefix)]
    assert found, f"no {prefix!r} button in {buttons(message)}"
    return found[0]


def all_callback_data(fake: FakeTelegram) -> list[str]:
    """Every callback_data the bot ever sent, in messages and edits."""
    return [data for m in [*fake.sent, *fake.edits] for _, data in buttons(m)]


async def test_command_menu_is_vietnamese(bot: FakeTelegram) -> None:
    assert bot.commands is not None
    described = {c["command"]: c["description"] for c in bot.commands}
    assert described == dict(COMMANDS)
    assert described["giomocua"] == "Giờ mở cửa thư viện"
    assert described["lang"] == "Ngôn ngữ / Language"


async def test_menus_to_course_details_edit_the_menu_message(bot: FakeTelegram) -> None:
    menu = await say(bot, "/start")
    assert any(data == "m:courses" for _, data in buttons(menu))
    await press(bot, menu, "m:courses")
    topics = bot.message(UID, menu["message_id"])
    await press(bot, topics, first(topics, "topic:")[1])
    listing = bot.message(UID, menu["message_id"])
    label, data = first(listing, "course:")
    await press(bot, listing, data)

    assert len(bot.sent_to(UID)) == 1, "menu navigation must edit, not send new messages"
    assert len(bot.edits) == 3
    details = bot.message(UID, menu["message_id"])
    assert label.rstrip("…") in details["text"]
    assert "edit_date" in details
    assert len(bot.answers) == 3  # every press answered, so no client spinner stays
    assert all(len(d.encode()) <= 64 for d in all_callback_data(bot))


async def test_question_without_diacritics_gets_opening_hours(bot: FakeTelegram) -> None:
    reply = await say(bot, "thu vien tinh may gio mo cua")
    assert "07:30" in reply["text"]
    assert "Thư viện tỉnh" in reply["text"]


async def test_an_answer_ready_before_the_threshold_shows_no_typing(
    fake: FakeTelegram, env: tuple[Settings, App]
) -> None:
    """The real conversation, ready before the threshold: a "typing…" would only cost a request."""
    settings, app = env
    async with polling_bot(app, settings, typing_after=NEVER):
        reply = await say(fake, "thu vien tinh may gio mo cua")
    assert "07:30" in reply["text"]
    assert not fake.actions
    assert [c.method for c in fake.calls if c.method in ("sendChatAction", "sendMessage")] == [
        "sendMessage"
    ]


async def test_three_turn_conversation_keeps_its_state(
    bot: FakeTelegram, env: tuple[Settings, App], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each message is read in what the last answer left, kept with the person in the database."""
    _, app = env
    seen = EngineRecorder(monkeypatch)
    hours = await say(bot, "thư viện tỉnh mở cửa mấy giờ")
    assert "07:30" in hours["text"]
    after_hours = await stored(app, "telegram", str(UID))
    assert after_hours is not None and after_hours.ids == ("thu-vien-tinh",)
    await say(bot, "thế còn chủ nhật?")
    await say(bot, "các lớp tin học")
    assert [t.question for t in seen.turns] == [
        "thư viện tỉnh mở cửa mấy giờ",
        "thế còn chủ nhật?",
        "các lớp tin học",
    ]
    assert same(seen.turns[1].given, after_hours)
    kept = seen.check_chain()
    assert kept is not None and kept.kind == "courses"
    assert same(await stored(app, "telegram", str(UID)), kept)


async def test_a_follow_up_after_pressing_a_button(
    bot: FakeTelegram, env: tuple[Settings, App], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, app = env
    seen = EngineRecorder(monkeypatch)
    menu = await say(bot, "/giomocua")
    await press(bot, menu, "library:thu-vien-tinh")
    shown = await stored(app, "telegram", str(UID))
    assert shown is not None and shown.kind == "library_hours"
    assert shown.ids == ("thu-vien-tinh",)
    await say(bot, "thế còn chủ nhật?")
    assert same(seen.turns[-1].given, shown)
    await say(bot, "/start")
    assert await stored(app, "telegram", str(UID)) is None


async def test_slow_answer_shows_typing_first(
    fake: FakeTelegram, env: tuple[Settings, App]
) -> None:
    settings, app = env

    async def slow(incoming: Incoming) -> list[Reply]:
        # not ready until the threshold has passed and "typing…" has reached Telegram
        await fake.wait_for(lambda: fake.actions, timeout=60)
        return [Reply("xong")]

    async with polling_bot(app, settings, dispatch=Recorder(slow), typing_after=0.01):
        await say(fake, "câu hỏi khó")
    methods = [c.method for c in fake.calls if c.method in ("sendChatAction", "sendMessage")]
    assert methods == ["sendChatAction", "sendMessage"]
    assert fake.actions[0]["action"] == "typing"


async def test_clarify_choice_is_answered(bot: FakeTelegram) -> None:
    question = await say(bot, "xe thu vien")
    choices = buttons(question)
    assert len(choices) >= 2, "expected a clarify question with choices"
    label, data = choices[0]
    await press(bot, question, data)
    answer = bot.sent_to(UID)[-1]
    assert answer["message_id"] != question["message_id"]
    assert len(answer["text"]) > len(label.rstrip("…"))
    assert bot.answers[-1]["callback_query_id"].startswith("cq")


async def test_location_gets_nearest_places_with_distances(bot: FakeTelegram) -> None:
    bot.user_location(UID, 22.1468, 105.8345)  # next to the provincial library, Đức Xuân
    await bot.wait_for(lambda: bot.sent_to(UID))
    text = bot.sent_to(UID)[-1]["text"]
    assert "Đức Xuân" in text
    assert " m" in text or "km" in text


@pytest.mark.parametrize("kind", ["photo", "sticker", "voice"])
async def test_media_gets_the_text_only_apology(
    fake: FakeTelegram, env: tuple[Settings, App], kind: str
) -> None:
    settings, app = env
    async with polling_bot(app, settings, typing_after=0.0):  # any text would show "typing…"
        getattr(fake, f"user_{kind}")(UID)
        await fake.wait_for(lambda: fake.sent_to(UID))
    assert "chỉ đọc được" in fake.sent_to(UID)[-1]["text"]
    assert not fake.actions, "no typing indicator for media, however long the answer takes"


async def test_html_in_user_text_reaches_the_conversation_and_stays_plain(
    fake: FakeTelegram, env: tuple[Settings, App]
) -> None:
    settings, app = env
    recorder = Recorder()
    async with polling_bot(app, settings, dispatch=recorder):
        reply = await say(fake, "<b>lớp</b> & <script>x</script>")
    assert recorder.seen[0].text == "<b>lớp</b> & <script>x</script>"
    assert reply["text"] == "echo <b>lớp</b> & <script>x</script>"  # shown literally
    assert "&lt;b&gt;" in reply["html"]


async def test_real_conversation_survives_html_in_text(bot: FakeTelegram) -> None:
    await say(bot, "<i>giờ mở cửa</i> thư viện tỉnh & <b>")  # the fake rejects bad HTML (400)


async def test_long_reply_is_split_at_lines_with_buttons_on_the_last_part(
    fake: FakeTelegram, env: tuple[Settings, App]
) -> None:
    settings, app = env
    lines = [f"Dòng {i}: lớp học <miễn phí> & thư viện " + "x" * 60 for i in range(120)]
    long_text = "**Danh sách**\n" + "\n".join(lines)

    async def script(incoming: Incoming) -> list[Reply]:
        return [Reply(long_text, buttons=((Button("Tiếp", "m:more"),),))]

    async with polling_bot(app, settings, dispatch=Recorder(script)):
        fake.user_text(UID, "danh sach")
        await fake.wait_for(lambda: len(fake.sent_to(UID)) >= 3)
        parts = fake.sent_to(UID)
    assert len(parts) == 3
    assert all(len(p["text"]) <= 4096 for p in parts)
    assert buttons(parts[-1]) == [("Tiếp", "m:more")]
    assert not any(buttons(p) for p in parts[:-1])
    assert "\n".join(p["text"] for p in parts) == long_text.replace("**Danh sách**", "Danh sách")
    assert parts[0]["html"].startswith("<b>Danh sách</b>\n")


async def test_commands_buttons_documents_and_language_are_translated(
    fake: FakeTelegram, env: tuple[Settings, App]
) -> None:
    settings, app = env

    async def script(incoming: Incoming) -> list[Reply]:
        if incoming.document is not None:  # the conversation downloads the file while answering
            content = await incoming.document.fetch()
            return [Reply(f"{len(content)} bytes: {content.decode()}")]
        return [Reply("ok")]

    recorder = Recorder(script)
    async with polling_bot(app, settings, dispatch=recorder):
        await say(fake, "/LopHoc@hoctap_test_bot tin hoc")
        fake.user_text(UID, "/start@some_other_bot")  # addressed to another bot: ignored
        await say(fake, "/lang en")
        fake.user_document(UID, "lop.csv", b"id,title\n1,Tin hoc\n", "text/csv")
        await fake.wait_for(lambda: len(fake.sent_to(UID)) == 3)
        fake.user_location(UID, 22.5, 105.7)
        await fake.wait_for(lambda: len(recorder.seen) == 4)
    command, lang, document, location = recorder.seen
    assert (command.command, command.args) == ("lophoc", ("tin", "hoc"))
    assert (lang.command, lang.args) == ("lang", ("en",))
    assert command.language == "vi"
    assert (command.user_id, command.chat_id, command.channel) == (str(UID), str(UID), "telegram")
    assert document.document is not None
    assert document.document.file_name == "lop.csv"
    assert document.document.mime_type == "text/csv"
    assert fake.sent_to(UID)[2]["text"] == "19 bytes: id,title\n1,Tin hoc\n"
    assert location.location == (22.5, 105.7)


async def test_edit_fallbacks_and_notice(fake: FakeTelegram, env: tuple[Settings, App]) -> None:
    settings, app = env

    async def script(incoming: Incoming) -> list[Reply]:
        keys = ((Button("A", "a"), Button("B", "b")),)
        if incoming.button == "a":
            return [Reply("**Trang A**", buttons=keys, edit=True, notice="Đã chọn A")]
        if incoming.button == "b":
            return [Reply("Trang B", buttons=keys, edit=True)]
        return [Reply("Menu", buttons=keys)]

    async with polling_bot(app, settings, dispatch=Recorder(script)):
        menu = await say(fake, "menu")
        await press(fake, menu, "a")  # edited
        assert fake.answers[-1]["text"] == "Đã chọn A"
        assert fake.message(UID, menu["message_id"])["text"] == "Trang A"
        fake.user_press(UID, menu["message_id"], "a")  # same content again: "not modified"
        await fake.wait_for(lambda: len(fake.answers) == 2)
        await fake.wait_for(lambda: len(fake.calls_of("editMessageText")) == 2)
        fake.faults["editMessageText"].append(Fault.bad_request("message can't be edited"))
        await press(fake, menu, "b")  # the edit fails: a new message instead
        fake.errors.clear()  # the two refusals above were scripted
    assert [m["text"] for m in fake.sent_to(UID)] == ["Menu", "Trang B"]
    assert len(fake.answers) == 3
    assert "text" not in fake.answers[-1]


async def test_flood_wait_is_retried_and_blocked_users_do_not_stop_the_bot(
    fake: FakeTelegram, env: tuple[Settings, App]
) -> None:
    settings, app = env
    async with polling_bot(app, settings, dispatch=Recorder()):
        fake.faults["sendMessage"].append(Fault.flood(1))
        reply = await say(fake, "xin chào")
        assert reply["text"] == "echo xin chào"
        fake.user_blocks(UID + 1, push_update=False)
        fake.user_text(UID + 1, "alo")
        await fake.wait_for(lambda: any(e[1] == 403 for e in fake.errors))
        assert (await say(fake, "còn đó không"))["text"] == "echo còn đó không"
        fake.errors.clear()
    assert not fake.sent_to(UID + 1)
