"""Ask a person, the citizen's side: send a question to staff, add a line, see it, withdraw it.

Reached by the button under a fallback ("Gửi câu hỏi này cho cán bộ"), under a clarify whose
choices did not help, from the menu ("🙋 Hỏi cán bộ") or with ``/hoicanbo [câu hỏi]``. One
confirmation says what is kept and when to expect an answer; then the question reaches staff at
once through the outbox (``ask:<id>:new``). Only the author sees or changes their questions.
Button data: ``hq:<action>[:<id>]``. What the person is typing for staff is noted in their
conversation state (forgotten after its quiet period, or when they move on to an answer); the
draft waiting for its confirmation is a dialog of theirs (``ask``).
"""

from __future__ import annotations

from bot.messages import Button, Reply, one_line
from bot.notify.digest import digest_recipients
from bot.notify.outbox import create_broadcast
from bot.workhours import hours_text, main_library
from db import questions as questions_db
from db import staff as staff_db
from db.models import UserRow
from db.models_questions import StaffQuestionRow
from db.retention import printable
from handlers.context import Ctx
from handlers.question_texts import notice_buttons, notice_text, quoted

ASK = "ask"  # dialog: {"text": ..., "tried": {...}}, the draft waiting for its confirmation
WRITING = "ask"  # key in the person's conversation state: {} a question, {"q": id} a line to add
CITIZEN = "người hỏi"  # the audit's actor for a citizen's steps (no id: the audit is kept)


def _mine_buttons(ctx: Ctx, question_id: int) -> tuple[tuple[Button, ...], ...]:
    return (
        (
            Button(ctx.t("ask_add"), f"hq:add:{question_id}"),
            Button(ctx.t("ask_withdraw"), f"hq:w:{question_id}"),
        ),
        (Button(ctx.t("ask_mine"), "hq:list"),),
    )


def writing(user: UserRow) -> dict[str, object] | None:
    """What the person is typing for staff, kept in their conversation state (no query: it
    comes with the user row, and is forgotten after the quiet period like the rest of it)."""
    state = user.conversation
    value = state.get(WRITING) if isinstance(state, dict) else None
    return value if isinstance(value, dict) else None


def _set_writing(ctx: Ctx, value: dict[str, object] | None) -> None:
    state = dict(ctx.user.conversation or {})
    if value is None:
        if WRITING not in state:
            return
        state.pop(WRITING)
    else:
        state[WRITING] = value
    ctx.user.conversation = state or None


async def _dialog(ctx: Ctx, kind: str) -> dict[str, object] | None:
    """The person's open dialog of ``kind`` (None when absent or older than the quiet period)."""
    row = await staff_db.get_dialog(ctx.session, ctx.incoming.channel, ctx.incoming.user_id, kind)
    if row is None:
        return None
    if ctx.now - row.updated_at > ctx.app.settings.conversation_quiet:
        await staff_db.drop_dialogs(ctx.session, ctx.incoming.channel, ctx.incoming.user_id, kind)
        return None
    return dict(row.data)


async def _confirm(ctx: Ctx, text: str, tried: dict[str, object]) -> list[Reply]:
    """Check the limits, keep the question as a draft and ask for the one confirmation."""
    text = printable(text).strip()
    if not text:
        return [Reply(ctx.t("ask_type", limit=questions_db.MAX_CHARS))]
    if len(text) > questions_db.MAX_CHARS:
        return [Reply(ctx.t("ask_too_long", n=len(text), limit=questions_db.MAX_CHARS))]
    limit = ctx.app.settings.questions_open_max
    if await questions_db.open_count(ctx.session, ctx.user.id) >= limit:
        return [
            Reply(
                ctx.t("ask_too_many", n=limit), buttons=((Button(ctx.t("ask_mine"), "hq:list"),),)
            )
        ]
    await staff_db.put_dialog(
        ctx.session,
        ctx.incoming.channel,
        ctx.incoming.user_id,
        ASK,
        {"text": text, "tried": tried},
        now=ctx.now,
    )
    library = main_library(ctx.pack)
    hours = hours_text(library)
    hours = f" ({library.name}: {hours})" if library is not None and hours else ""
    body = ctx.t(
        "ask_confirm",
        text=one_line(text),
        days=ctx.app.settings.retention_days,
        hours=hours,
        contact=ctx.pack.info.contact,
    )
    buttons = ((Button(ctx.t("ask_send"), "hq:ok"), Button(ctx.t("ask_cancel"), "hq:no")),)
    return [Reply(body, buttons=buttons)]


async def command(ctx: Ctx) -> list[Reply]:
    """/hoicanbo [câu hỏi]: with words, confirm sending them; without, ask for them."""
    text = " ".join(ctx.incoming.args).strip()
    if text:
        answer = ctx.live.engine.ask(text, ctx.now)
        return await _confirm(ctx, text, {"kind": answer.kind, "ids": list(answer.ids)[:5]})
    return await start(ctx)


async def start(ctx: Ctx) -> list[Reply]:
    """From the menu: ask for the question (typed next), with the person's questions if any."""
    _set_writing(ctx, {})
    replies = []
    if await questions_db.open_count(ctx.session, ctx.user.id):
        replies += await my_questions(ctx)
    buttons = ((Button(ctx.t("ask_cancel"), "hq:no"),),)
    return [*replies, Reply(ctx.t("ask_type", limit=questions_db.MAX_CHARS), buttons=buttons)]


async def _last(ctx: Ctx) -> list[Reply]:
    """The button under a fallback or a clarify: the person's latest unanswered question."""
    row = await questions_db.last_unanswered(ctx.session, ctx.user.id)
    if row is None:
        return [Reply(ctx.t("ask_nothing"))]
    return await _confirm(ctx, row.text, {"kind": row.kind, "ids": list(row.ids or [])[:5]})


async def _send(ctx: Ctx) -> list[Reply]:
    draft = await _dialog(ctx, ASK)
    text = str(draft.get("text", "")) if draft else ""
    if not text:
        return [Reply(ctx.t("ask_expired"))]
    limit = ctx.app.settings.questions_open_max
    if await questions_db.open_count(ctx.session, ctx.user.id) >= limit:
        return [Reply(ctx.t("ask_too_many", n=limit))]
    if not await questions_db.take_dialog(
        ctx.session, ctx.incoming.channel, ctx.incoming.user_id, ASK
    ):  # a second tap on "Gửi" at the same moment sends nothing
        return [Reply(ctx.t("ask_expired"))]
    stored = draft.get("tried") if draft else None
    tried: dict[str, object] = dict(stored) if isinstance(stored, dict) else {}
    who = ctx.incoming.display_name or f"mã {ctx.incoming.user_id}"
    row = await questions_db.create(
        ctx.session,
        ctx.user,
        text,
        who=who,
        tried=tried,
        now=ctx.now,
    )
    await _notify_staff(
        ctx, row, questions_db.source(row.id, "new"), notice_text(ctx.pack, row, ctx.app.tz)
    )
    await staff_db.audit(ctx.session, CITIZEN, "question.ask", {"question": row.id}, now=ctx.now)
    return [Reply(ctx.t("ask_sent", id=row.id), buttons=_mine_buttons(ctx, row.id))]


async def _notify_staff(ctx: Ctx, row: StaffQuestionRow, source: str, text: str) -> None:
    """A notice to every staff member's private chat, or to the one staff chat, at once."""
    recipients = await digest_recipients(ctx.session, ctx.app.settings)
    await create_broadcast(
        ctx.session,
        source=source,
        kind="staff_question",
        title=f"Câu hỏi #{row.id}",
        text=text,
        recipients=recipients,
        due_at=ctx.now,
        now=ctx.now,
        buttons=notice_buttons(bool(ctx.app.settings.staff_chat), row.id),
    )


async def my_questions(ctx: Ctx) -> list[Reply]:
    """The person's own questions to staff, newest first, with what happened to each."""
    rows = await questions_db.mine(ctx.session, ctx.user.id)
    if not rows:
        return [Reply(ctx.t("ask_list_none"), buttons=((Button(ctx.t("ask_new"), "hq:menu"),),))]
    lines = [ctx.t("ask_list")]
    buttons: list[tuple[Button, ...]] = []
    for row in rows:
        when = row.asked_at.astimezone(ctx.app.tz).strftime("%d/%m %H:%M")
        state = ctx.t(f"ask_state_{row.status}")
        lines.append(f"• Số {row.id} ({when}): {quoted(row)} — {state}")
        if row.status == "open":
            buttons.append(
                (
                    Button(f"{ctx.t('ask_add')} {row.id}", f"hq:add:{row.id}"),
                    Button(f"{ctx.t('ask_withdraw')} {row.id}", f"hq:w:{row.id}"),
                )
            )
    return [Reply("\n".join(lines), buttons=tuple(buttons[:5]))]


async def _own_open(ctx: Ctx, question_id: int) -> StaffQuestionRow | Reply:
    row = await questions_db.of_user(ctx.session, ctx.user.id, question_id)
    if row is None:  # not theirs (or gone): nothing about it is said
        return Reply(ctx.t("stale_button"))
    if row.status != "open":
        return Reply(ctx.t("ask_not_open", id=row.id))
    return row


async def _start_add(ctx: Ctx, question_id: int) -> list[Reply]:
    row = await _own_open(ctx, question_id)
    if isinstance(row, Reply):
        return [row]
    if len(row.additions or []) >= questions_db.MAX_ADDITIONS:
        return [Reply(ctx.t("ask_add_full", id=row.id, n=questions_db.MAX_ADDITIONS))]
    _set_writing(ctx, {"q": row.id})
    return [
        Reply(ctx.t("ask_add_type", id=row.id), buttons=((Button(ctx.t("ask_cancel"), "hq:no"),),))
    ]


async def _add(ctx: Ctx, question_id: int, text: str) -> list[Reply]:
    row = await _own_open(ctx, question_id)
    if isinstance(row, Reply):
        return [row]
    text = printable(text).strip()
    if len(text) > questions_db.MAX_CHARS:
        return [Reply(ctx.t("ask_too_long", n=len(text), limit=questions_db.MAX_CHARS))]
    if len(row.additions or []) >= questions_db.MAX_ADDITIONS:
        return [Reply(ctx.t("ask_add_full", id=row.id, n=questions_db.MAX_ADDITIONS))]
    row.additions = [*(row.additions or []), text]
    n = len(row.additions)
    notice = f"➕ Người hỏi bổ sung câu hỏi #{row.id}:\n{quoted(row)}"
    await _notify_staff(ctx, row, questions_db.source(row.id, f"add:{n}"), notice)
    await staff_db.audit(ctx.session, CITIZEN, "question.add", {"question": row.id}, now=ctx.now)
    return [Reply(ctx.t("ask_added", id=row.id), buttons=_mine_buttons(ctx, row.id))]


async def _withdraw(ctx: Ctx, question_id: int) -> list[Reply]:
    row = await _own_open(ctx, question_id)
    if isinstance(row, Reply):
        return [row]
    if not await questions_db.withdraw(ctx.session, ctx.user.id, row.id, now=ctx.now):
        return [Reply(ctx.t("ask_not_open", id=row.id))]
    await staff_db.audit(
        ctx.session, CITIZEN, "question.withdraw", {"question": row.id}, now=ctx.now
    )
    return [Reply(ctx.t("ask_withdrawn", id=row.id))]


async def button(ctx: Ctx, rest: str) -> list[Reply]:
    """A pressed ``hq:`` button."""
    action, _, arg = rest.partition(":")
    number = int(arg) if arg.isdecimal() else None
    if action == "menu":
        return await start(ctx)
    if action == "last":
        return await _last(ctx)
    if action == "ok":
        return await _send(ctx)
    if action == "no":
        _set_writing(ctx, None)
        await staff_db.drop_dialogs(ctx.session, ctx.incoming.channel, ctx.incoming.user_id, ASK)
        return [Reply(ctx.t("ask_cancelled"))]
    if action == "list":
        return await my_questions(ctx)
    if action == "add" and number is not None:
        return await _start_add(ctx, number)
    if action == "w" and number is not None:
        return await _withdraw(ctx, number)
    return [Reply(ctx.t("stale_button"))]


async def dialog_text(ctx: Ctx, text: str) -> list[Reply] | None:
    """Typed text that is the question being written or a line being added; None otherwise."""
    value = writing(ctx.user)
    if value is None:
        return None
    if not printable(text).strip():
        return [Reply(ctx.t("ask_type", limit=questions_db.MAX_CHARS))]  # still writing
    _set_writing(ctx, None)
    number = str(value.get("q", ""))
    if number.isdecimal():
        return await _add(ctx, int(number), text)
    answer = ctx.live.engine.ask(text, ctx.now)
    return await _confirm(ctx, text, {"kind": answer.kind, "ids": list(answer.ids)[:5]})
