"""Free text goes to the answering engine; clarify shows buttons, fallback the menu."""

from __future__ import annotations

from bot.understanding import Answer
from db.users import log_question
from handlers.context import Ctx, choice_button
from handlers.menu import feedback_row, main_buttons
from handlers.subscriptions import remind_rows
from handlers.types import Button, Reply

LOGGED_KINDS = {"fallback", "clarify"}


def one_item(answer: Answer) -> str | None:
    """The ref of the one class or the one van stop an answer names (None: none, or several)."""
    ids = list(dict.fromkeys(answer.ids))
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
    ref = one_item(answer)
    if ref is not None:
        rows += remind_rows(ctx, ref)
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
