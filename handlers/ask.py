"""Free text goes to the answering engine; clarify shows buttons, fallback the menu."""

from __future__ import annotations

from bot.understanding import Answer
from db.users import log_question
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


async def free_text(ctx: Ctx, text: str) -> list[Reply]:
    """Answer a typed question and log it (every question, so staff can see what is asked)."""
    answer = ctx.live.engine.ask(text, ctx.now)
    await log_question(
        ctx.session,
        user_pk=ctx.user.id,
        channel=ctx.incoming.channel,
        text=text,
        kind=answer.kind,
        ids=list(answer.ids),
        score=answer.score,
        now=ctx.now,
    )
    return [answer_reply(ctx, answer)]
