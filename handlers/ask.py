"""Free text goes to the answering engine; clarify shows buttons, fallback the menu."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Callable, Iterable
from typing import TYPE_CHECKING

from bot.app import App
from bot.messages import Button, Reply
from bot.pack.models import Pack
from bot.understanding import Answer, Engine
from db.models import UserRow
from db.users import log_question, touch_user
from handlers import demand, state
from handlers.context import Ctx, choice_button
from handlers.menu import feedback_row, main_buttons
from handlers.registration_rules import signup_rows
from handlers.subscriptions import remind_rows

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

LOGGED_KINDS = {"fallback", "clarify"}
SEPARATOR = "---"


def one_item(answer: Answer, pack: Pack | None = None) -> str | None:
    """The ref of the one class or the one van stop an answer names (None: none, or several).

    Stops the pack keeps apart only to change a schedule (the same spot in the same commune
    under several ids, one per period) are one place: the first listed, the next visit.
    """
    ids = list(dict.fromkeys(answer.ids))
    if answer.kind == "mobile_stops" and pack is not None and len(ids) > 1:
        stops = [pack.stop(i) for i in ids]
        places = {
            (s.commune, s.location.lat, s.location.lon) if s.location else (s.commune, s.place)
            for s in stops
            if s is not None
        }
        if len(places) == 1 and all(s is not None for s in stops):
            ids = ids[:1]
    if len(ids) != 1:
        return None
    if answer.kind in ("course", "courses"):
        return f"course:{ids[0]}"
    if answer.kind == "mobile_stops":
        return f"stop:{ids[0]}"
    return None


def answer_reply(ctx: Ctx, answer: Answer) -> Reply:
    """Turn an engine answer into a reply with the right buttons.

    An answer about one class or one van stop offers '⏰ Nhắc tôi', as its button does.
    """
    rows: list[tuple[Button, ...]] = [
        (choice_button(ctx.pack, c.label, c.ref),) for c in answer.choices
    ]
    ref = one_item(answer, ctx.pack)
    if ref is not None:
        rows += remind_rows(ctx, ref) + signup_rows(ctx, ref)
    if answer.kind == "faq" and answer.ids:
        rows.append(feedback_row(ctx, answer.ids[0]))
        return Reply(answer.text, buttons=tuple(rows), feedback_for=f"faq:{answer.ids[0]}")
    if answer.kind == "fallback":  # not understood: a person can answer it
        ask = (Button(ctx.t("ask_this"), "hq:last"),)
        return Reply(answer.text, buttons=(*rows, ask, *main_buttons(ctx, ask=False)))
    if answer.kind == "clarify":  # if none of the choices is it, a person can answer it
        rows.append((Button(ctx.t("ask_none_fit"), "hq:last"),))
    if answer.kind in ("greeting", "help"):
        return Reply(answer.text, buttons=(*rows, *main_buttons(ctx)))
    return Reply(answer.text, buttons=tuple(rows))


async def converse(
    session: AsyncSession,
    user: UserRow,
    engine: Engine,
    text: str,
    now: dt.datetime,
    *,
    channel: str,
) -> Answer:
    """Answer one typed message in the person's conversation: read it in their state, log it
    (every question, so staff can see what is asked) and keep the state for the next one.

    The one path from a typed message to an answer, for every channel and for ``hoctap ask
    --conversation``; the rules of the state are in :mod:`handlers.state`.
    """
    answer = engine.ask(text, now, state.current(user))
    state.keep(user, answer.context)
    await log_question(
        session,
        user_pk=user.id,
        channel=channel,
        text=text,
        kind=answer.kind,
        ids=list(answer.ids),
        score=answer.score,
        now=now,
        user=user,  # the state travels with the log row
    )
    return answer


async def free_text(ctx: Ctx, text: str) -> list[Reply]:
    """Answer a typed question."""
    answer = await converse(
        ctx.session, ctx.user, ctx.live.engine, text, ctx.now, channel=ctx.incoming.channel
    )
    reply = answer_reply(ctx, answer)
    wish = await demand.offer(ctx, answer, text)
    if wish:
        reply = dataclasses.replace(reply, buttons=(*wish, *reply.buttons))
    return [reply]


async def conversations(
    app: App, lines: Iterable[str], clock: Callable[[], dt.datetime]
) -> AsyncIterator[tuple[str, Answer]]:
    """``hoctap ask --conversation``: each line answered as a citizen's message on a channel.

    Lines are one citizen's messages in order; a line ``---`` ends a conversation (and gets no
    answer). Every conversation is a new person, whose messages go through the user upsert and
    :func:`converse` exactly as a chat message does, in a transaction rolled back at its end:
    an answer relies on the earlier lines of its own conversation and on nothing else, and
    the database (even a real one) keeps nothing of it.
    """
    live = await app.require_live()
    number = 0
    session: AsyncSession | None = None
    try:
        for line in lines:
            if line.strip() == SEPARATOR:
                if session is not None:
                    await session.rollback()
                    await session.close()
                    session = None
                number += 1
                continue
            if session is None:
                session = app.sessions()
            now = clock()
            user, _ = await touch_user(
                session,
                channel="terminal",
                user_id=f"ask-conversation-{number}",
                chat_id=f"ask-conversation-{number}",
                now=now,
                quiet=app.settings.conversation_quiet,
            )
            yield line, await converse(session, user, live.engine, line, now, channel="terminal")
    finally:
        if session is not None:
            await session.rollback()
            await session.close()
