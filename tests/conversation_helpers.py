"""Watching the conversation state: what the engine was given, and what the database keeps.

The engine may or may not use the context yet; these helpers check the plumbing only: that
every turn is read in the state the previous turns left (``Recorder.check_chain``) and that the
state on the user row is the one the last answer asked to keep.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import event, select

from bot.app import App
from bot.understanding import Answer, Context, Engine
from db.models import UserRow


@dataclass
class Turn:
    """One typed message as the engine saw it."""

    question: str
    given: Context | None
    answer: Answer


class Recorder:
    """Wraps ``Engine.ask`` and ``Engine.render`` (the real ones) to record what they got."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.turns: list[Turn] = []
        self.rendered: list[Answer] = []
        ask, render = Engine.ask, Engine.render

        def recording_ask(
            engine: Engine, question: str, now: dt.datetime, context: Context | None = None
        ) -> Answer:
            answer = ask(engine, question, now, context)
            self.turns.append(Turn(question, context, answer))
            return answer

        def recording_render(engine: Engine, ref: str, now: dt.datetime) -> Answer:
            answer = render(engine, ref, now)
            self.rendered.append(answer)
            return answer

        monkeypatch.setattr(Engine, "ask", recording_ask)
        monkeypatch.setattr(Engine, "render", recording_render)

    def given(self) -> list[Context | None]:
        return [t.given for t in self.turns]

    def check_chain(self, start: Context | None = None) -> Context | None:
        """Every turn was given what the turn before kept (an answer without a context keeps
        the previous one); returns the state after the last turn."""
        kept = start
        for turn in self.turns:
            assert same(turn.given, kept), (turn.question, turn.given, kept)
            if turn.answer.context is not None:
                kept = turn.answer.context
        return kept


def same(a: Context | None, b: Context | None) -> bool:
    """Equal as stored (the JSON form), so a round trip through the database compares equal."""
    return (a.to_json() if a else None) == (b.to_json() if b else None)


async def stored(app: App, channel: str, user_id: str) -> Context | None:
    """The conversation state on the person's user row."""
    async with app.sessions() as session:
        data = await session.scalar(
            select(UserRow.conversation).where(
                UserRow.channel == channel, UserRow.user_id == user_id
            )
        )
    return Context.from_json(data) if data is not None else None


class Statements:
    """Counts the SQL statements an app sends (``with Statements(app) as seen: …``)."""

    def __init__(self, app: App) -> None:
        self.engine = app.db.sync_engine
        self.seen: list[str] = []

    def _record(self, *args: object) -> None:
        self.seen.append(" ".join(str(args[2]).split()[:3]))

    def __enter__(self) -> list[str]:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self.seen

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)
