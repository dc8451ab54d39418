"""Free text goes to the answering engine; clarify shows buttons, fallback the menu."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from bot.understanding import Answer, Engine
from db.models import UserRow
from db.users import log_question
from handlers import state
from handlers.context import Ctx, button
from handlers.menu import feedback_row, main_buttons
from handlers.types import Button, Reply

LOGGED_KINDS = {"fallback", "clarify"}


def answer_reply(ctx: Ctx, answer: Answer) -> Reply:
    """Turn an engine answer into a reply with the right buttons."""
    rows: list[tuple[Button, ...]] = [(button(c.label, c.ref),) for c in answer.choices]
    if answer.kind == "faq" and answer.ids:
        rows.append(feedback_row(ctx, answer.ids[0]))
        return Reply(answer.text, buttons=tuple(rows), feedback_for=f"faq:{answer.ids[0]}")
    if answer.kind in ("fallback", "greeting", "help"):
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
    await log_question(
        session,
        user_pk=user.id,
        channel=channel,
        text=text,
        kind=answer.kind,
        ids=list(answer.ids),
        score=answer.score,
        now=now,
    )
    state.keep(user, answer.context)
    return answer


async def free_text(ctx: Ctx, text: str) -> list[Reply]:
    """Answer a typed question."""
    answer = await converse(
        ctx.session, ctx.user, ctx.live.engine, text, ctx.now, channel=ctx.incoming.channel
    )
    return [answer_reply(ctx, answer)]
