"""Questions citizens sent to staff, the staff side: ``/cauhoi``, answer, close, save as FAQ.

One tap **Trả lời** claims the question (for ``HOCTAP_QUESTION_CLAIM_MINUTES``, so two staff
never answer it twice), the typed answer is shown exactly as the citizen will see it, and
**Gửi** puts it in the outbox (``ask:<id>:answer``). **Đóng** closes it with a reason the
citizen is told. After answering, one tap adds the question to a suggested FAQ as another way
of asking, or makes question and answer a new FAQ. Every step is in the audit log.
Button data: ``st:q:<action>:<id>[:<n>]``; the caller checked the staff role.
"""

from __future__ import annotations

import datetime as dt

from bot.inbox import faq_suggestions
from bot.messages import Button, Reply, one_line, short_label
from bot.notify.outbox import create_broadcast
from bot.pack.models import Faq, Pack
from bot.wording import slugify
from db import content as content_db
from db import questions as questions_db
from db import staff as staff_db
from db import users as users_db
from db.models import UserRow
from db.models_privacy import TextProvenanceRow, text_hash
from db.models_questions import StaffQuestionRow
from db.retention import printable
from handlers.context import Ctx
from handlers.question_texts import (
    answer_text,
    channel_name,
    closed_text,
    notice_text,
    quoted,
    staff_buttons,
)

ANSWER = "q_answer"  # dialog: {"q": id, "answer": draft}
CLOSE = "q_close"  # dialog: {"q": id}
SAVE = "q_save"  # dialog: {"q": id, "faq": [suggested ids]}
LISTED = 10
ZALO_WINDOW = dt.timedelta(days=7)
REASONS = (
    "Tin nhắn không phải là câu hỏi (quảng cáo, thử nghiệm hoặc nội dung không phù hợp).",
    "Câu hỏi trùng với một câu hỏi khác của bạn đã được trả lời.",
    "Câu hỏi không thuộc phạm vi thư viện và các trung tâm học tập cộng đồng.",
)
REASON_LABELS = ("🚫 Không phải câu hỏi / spam", "🔁 Trùng lặp", "🧭 Ngoài phạm vi")


def actor(ctx: Ctx) -> str:
    return ctx.incoming.user_key


async def open_list(ctx: Ctx) -> list[Reply]:
    """/cauhoi: the open questions, oldest first, each with Trả lời / Đóng."""
    rows = await questions_db.open_questions(ctx.session, LISTED)
    if not rows:
        return [Reply("Không có câu hỏi nào đang chờ cán bộ trả lời. 🎉")]
    replies = [Reply(f"Câu hỏi đang chờ trả lời (cũ nhất trước, tối đa {LISTED}):")]
    for row in rows:
        text = notice_text(ctx.pack, row, ctx.app.tz).split("\n", 1)[1]
        held = row.claimed_until
        claimed = row.claimed_by and held is not None and held > ctx.now
        if claimed and held is not None and row.claimed_by != actor(ctx):
            until = held.astimezone(ctx.app.tz).strftime("%H:%M")
            text += f"\n✍️ {row.claimed_by} đang trả lời (giữ chỗ đến {until})"
        replies.append(Reply(f"#{row.id} · {text}", buttons=staff_buttons(row.id)))
    return replies


async def _open_row(ctx: Ctx, question_id: int) -> tuple[StaffQuestionRow | None, Reply | None]:
    row = await questions_db.get(ctx.session, question_id)
    if row is None:
        return None, Reply(f"Không còn câu hỏi #{question_id} (người hỏi đã xóa dữ liệu).")
    if row.status != "open":
        done = {
            "answered": "đã được trả lời",
            "closed": "đã được đóng",
            "withdrawn": "đã được người hỏi rút lại",
        }
        who = f" bởi {row.answered_by}" if row.answered_by and row.status != "withdrawn" else ""
        return None, Reply(f"Câu hỏi #{row.id} {done.get(row.status, row.status)}{who}.")
    return row, None


async def _claim(ctx: Ctx, question_id: int) -> list[Reply]:
    row, refused = await _open_row(ctx, question_id)
    if row is None:
        return [refused] if refused else []
    until = ctx.now + dt.timedelta(minutes=ctx.app.settings.question_claim_minutes)
    if not await questions_db.claim(ctx.session, row.id, actor(ctx), until=until, now=ctx.now):
        row = await questions_db.get(ctx.session, question_id)
        holder = row.claimed_by if row else "cán bộ khác"
        return [
            Reply(f"Câu hỏi #{question_id} đang được {holder} trả lời; bạn chọn câu khác nhé.")
        ]
    await staff_db.put_dialog(
        ctx.session,
        ctx.incoming.channel,
        ctx.incoming.user_id,
        ANSWER,
        {"q": row.id},
        now=ctx.now,
    )
    await staff_db.audit(
        ctx.session, actor(ctx), "question.claim", {"question": row.id}, now=ctx.now
    )
    shown = until.astimezone(ctx.app.tz).strftime("%H:%M")
    return [
        Reply(
            f"✍️ Bạn đang trả lời câu hỏi #{row.id} (giữ chỗ đến {shown}, cán bộ khác không "
            f"trả lời trùng được).\n{quoted(row)}\nGõ câu trả lời (hoặc /huybo để thôi):"
        )
    ]


async def dialog_text(ctx: Ctx, text: str) -> list[Reply] | None:
    """Typed text that is an answer or a closing reason being written; None otherwise."""
    channel, user_id = ctx.incoming.channel, ctx.incoming.user_id
    dialog = await staff_db.get_dialog(ctx.session, channel, user_id, ANSWER)
    kind = ANSWER
    if dialog is None:
        dialog = await staff_db.get_dialog(ctx.session, channel, user_id, CLOSE)
        kind = CLOSE
    if dialog is None:
        return None
    question_id = int(dialog.data.get("q", 0))
    text = printable(text).strip()
    if not text:
        return [Reply("Câu trả lời đang trống; bạn gõ lại nhé (hoặc /huybo để thôi).")]
    if len(text) > questions_db.MAX_CHARS:
        return [
            Reply(
                f"Dài quá ({len(text)} ký tự); tối đa {questions_db.MAX_CHARS}. "
                "Bạn gõ lại gọn hơn nhé."
            )
        ]
    row, refused = await _open_row(ctx, question_id)
    if row is None:
        await staff_db.drop_dialogs(ctx.session, channel, user_id, kind)
        return [refused] if refused else []
    if kind == CLOSE:
        await staff_db.drop_dialogs(ctx.session, channel, user_id, CLOSE)
        return await _close(ctx, row, text, "typed")
    await staff_db.put_dialog(
        ctx.session, channel, user_id, ANSWER, {"q": row.id, "answer": text}, now=ctx.now
    )
    buttons = (
        (Button("📤 Gửi", f"st:q:s:{row.id}"), Button("✏️ Viết lại", f"st:q:a:{row.id}")),
        (Button("✖️ Hủy", f"st:q:x:{row.id}"),),
    )
    return [
        Reply(
            f"Xem trước: người hỏi (#{row.id}, {channel_name(row.channel)}) sẽ nhận đúng như sau."
        ),
        Reply(answer_text(row, text), buttons=buttons),
    ]


async def _recipient(ctx: Ctx, row: StaffQuestionRow) -> UserRow | None:
    return await users_db.by_pk(ctx.session, row.user_pk)


async def _send(ctx: Ctx, question_id: int) -> list[Reply]:
    channel, user_id = ctx.incoming.channel, ctx.incoming.user_id
    dialog = await staff_db.get_dialog(ctx.session, channel, user_id, ANSWER)
    draft = (
        str(dialog.data.get("answer", ""))
        if dialog and dialog.data.get("q") == question_id
        else ""
    )
    if not draft:
        return [
            Reply(f"Chưa có câu trả lời nào cho #{question_id}: bấm Trả lời rồi gõ câu trả lời.")
        ]
    row, refused = await _open_row(ctx, question_id)
    if row is None:
        await staff_db.drop_dialogs(ctx.session, channel, user_id, ANSWER)
        return [refused] if refused else []
    if not await questions_db.finish(
        ctx.session, row.id, actor(ctx), status="answered", answer=draft, now=ctx.now
    ):
        return [
            Reply(
                f"Câu hỏi #{row.id} đang được cán bộ khác trả lời; "
                "câu trả lời của bạn chưa được gửi."
            )
        ]
    citizen = await _recipient(ctx, row)
    await staff_db.drop_dialogs(ctx.session, channel, user_id, ANSWER)
    await questions_db.resolve_logged(ctx.session, row)  # no longer in /chuatraloi
    lines = [f"✅ Đã gửi câu trả lời cho câu hỏi #{row.id}."]
    if citizen is not None:
        await create_broadcast(
            ctx.session,
            source=questions_db.source(row.id, "answer"),
            kind="answer",
            title=f"Trả lời câu hỏi #{row.id}",
            text=answer_text(row, draft),
            recipients=[(citizen.id, citizen.channel, citizen.chat_id)],
            due_at=ctx.now,
            now=ctx.now,
        )
        if citizen.channel == "zalo_oa" and ctx.now - citizen.last_seen > ZALO_WINDOW:
            lines.append(
                "⏳ Người hỏi đã không nhắn gì hơn 7 ngày: Zalo chỉ cho gửi trong 7 ngày, nên "
                "câu trả lời được giữ lại và sẽ tự gửi khi họ nhắn lại."
            )
    await staff_db.audit(
        ctx.session, actor(ctx), "question.answer", {"question": row.id}, now=ctx.now
    )
    faq_ids = faq_suggestions(ctx.live.engine, ctx.pack, row.text, ctx.now)
    await staff_db.put_dialog(
        ctx.session, channel, user_id, SAVE, {"q": row.id, "faq": faq_ids}, now=ctx.now
    )
    lines.append("Lưu thành hỏi đáp để bot tự trả lời lần sau?")
    buttons: list[tuple[Button, ...]] = []
    for n, faq_id in enumerate(faq_ids):
        faq = ctx.pack.faq_entry(faq_id)
        if faq is not None:
            label = short_label(f"➕ Thêm cách hỏi vào: {faq.question}", 60)
            buttons.append((Button(label, f"st:q:f:{row.id}:{n}"),))
    buttons.append((Button("📝 Lưu thành hỏi đáp mới", f"st:q:n:{row.id}"),))
    return [Reply("\n".join(lines), buttons=tuple(buttons))]


async def _cancel(ctx: Ctx, question_id: int) -> list[Reply]:
    await staff_db.drop_dialogs(ctx.session, ctx.incoming.channel, ctx.incoming.user_id, ANSWER)
    await questions_db.release(ctx.session, question_id, actor(ctx))
    return [Reply(f"Đã hủy; câu hỏi #{question_id} vẫn chờ trả lời.", edit=True)]


async def _close_menu(ctx: Ctx, question_id: int) -> list[Reply]:
    row, refused = await _open_row(ctx, question_id)
    if row is None:
        return [refused] if refused else []
    rows = [(Button(label, f"st:q:r:{row.id}:{n}"),) for n, label in enumerate(REASON_LABELS)]
    rows.append((Button("✍️ Gõ lý do khác", f"st:q:r:{row.id}:t"),))
    return [
        Reply(
            f"Đóng câu hỏi #{row.id} mà không trả lời? Người hỏi sẽ được báo lý do:",
            buttons=tuple(rows),
        )
    ]


async def _close_reason(ctx: Ctx, question_id: int, pick: str) -> list[Reply]:
    row, refused = await _open_row(ctx, question_id)
    if row is None:
        return [refused] if refused else []
    if pick == "t":
        await staff_db.put_dialog(
            ctx.session,
            ctx.incoming.channel,
            ctx.incoming.user_id,
            CLOSE,
            {"q": row.id},
            now=ctx.now,
        )
        return [Reply(f"Gõ lý do đóng câu hỏi #{row.id} (người hỏi sẽ đọc được):")]
    if not pick.isdecimal() or int(pick) >= len(REASONS):
        return [Reply("Nút này không còn dùng được.")]
    return await _close(ctx, row, REASONS[int(pick)], pick)


async def _close(ctx: Ctx, row: StaffQuestionRow, reason: str, pick: str) -> list[Reply]:
    if not await questions_db.finish(
        ctx.session, row.id, actor(ctx), status="closed", reason=reason, now=ctx.now
    ):
        return [Reply(f"Câu hỏi #{row.id} đang được cán bộ khác xử lý; chưa đóng.")]
    citizen = await _recipient(ctx, row)
    if citizen is not None:
        await create_broadcast(
            ctx.session,
            source=questions_db.source(row.id, "closed"),
            kind="answer",
            title=f"Đóng câu hỏi #{row.id}",
            text=closed_text(row, reason, ctx.pack.info.contact),
            recipients=[(citizen.id, citizen.channel, citizen.chat_id)],
            due_at=ctx.now,
            now=ctx.now,
        )
    detail = {"question": row.id, "reason": pick}
    await staff_db.audit(ctx.session, actor(ctx), "question.close", detail, now=ctx.now)
    return [Reply(f"Đã đóng câu hỏi #{row.id}; người hỏi được báo lý do: {reason}")]


async def _answered(ctx: Ctx, question_id: int) -> StaffQuestionRow | None:
    row = await questions_db.get(ctx.session, question_id)
    return row if row is not None and row.status == "answered" and row.answer else None


async def _apply(ctx: Ctx, pack: Pack, note: str) -> int | None:
    applied = await content_db.apply_pack(
        ctx.session, pack, now=ctx.now, author=actor(ctx), source="question", note=note
    )
    ctx.content_changed = applied.version_id is not None
    return applied.version_id


def _provenance(ctx: Ctx, row: StaffQuestionRow, faq: str, kind: str, text: str) -> None:
    """Whose wording this is: erasing their data removes it from the content again."""
    ctx.session.add(
        TextProvenanceRow(
            text_hash=text_hash(text), faq=faq, kind=kind, user_pk=row.user_pk, at=ctx.now
        )
    )


async def _save_alternate(ctx: Ctx, question_id: int, pick: int) -> list[Reply]:
    row = await _answered(ctx, question_id)
    dialog = await staff_db.get_dialog(
        ctx.session, ctx.incoming.channel, ctx.incoming.user_id, SAVE
    )
    faq_ids = (
        list(dialog.data.get("faq", [])) if dialog and dialog.data.get("q") == question_id else []
    )
    if row is None or not 0 <= pick < len(faq_ids):
        return [Reply("Nút này đã cũ; gõ /cauhoi để xem lại.")]
    faq = ctx.pack.faq_entry(faq_ids[pick])
    if faq is None:
        return [Reply("Câu hỏi đáp này không còn nữa.")]
    wording = printable(one_line(row.text))
    if wording in {faq.question, *faq.alternates}:
        return [Reply(f"“{faq.question}” đã có cách hỏi này rồi.")]
    updated = faq.model_copy(update={"alternates": [*faq.alternates, wording]})
    pack = ctx.pack.model_copy(
        update={"faq": [updated if f.id == faq.id else f for f in ctx.pack.faq]}
    )
    version = await _apply(ctx, pack, f"Thêm cách hỏi từ câu hỏi #{row.id} cho {faq.id}")
    _provenance(ctx, row, faq.id, "alternate", wording)
    await staff_db.drop_dialogs(ctx.session, ctx.incoming.channel, ctx.incoming.user_id, SAVE)
    detail = {"question": row.id, "faq": faq.id, "as": "alternate"}
    await staff_db.audit(ctx.session, actor(ctx), "question.faq", detail, now=ctx.now)
    return [
        Reply(
            f"✅ Đã thêm cách hỏi vào “{faq.question}” (phiên bản {version}). "
            "Bot trả lời được ngay."
        )
    ]


async def _save_new(ctx: Ctx, question_id: int) -> list[Reply]:
    row = await _answered(ctx, question_id)
    if row is None or row.answer is None:
        return [Reply("Nút này đã cũ; gõ /cauhoi để xem lại.")]
    question = printable(one_line(row.text))
    base = slugify(question)[:50].strip("-") or "hoi-dap"
    taken = {f.id for f in ctx.pack.faq}
    faq_id, n = base, 2
    while faq_id in taken:
        faq_id, n = f"{base}-{n}", n + 1
    entry = Faq(id=faq_id, question=question, alternates=[], answer=printable(row.answer))
    pack = ctx.pack.model_copy(update={"faq": [*ctx.pack.faq, entry]})
    version = await _apply(ctx, pack, f"Hỏi đáp mới {faq_id} từ câu hỏi #{row.id}")
    _provenance(ctx, row, faq_id, "question", question)
    await staff_db.drop_dialogs(ctx.session, ctx.incoming.channel, ctx.incoming.user_id, SAVE)
    detail = {"question": row.id, "faq": faq_id, "as": "new"}
    await staff_db.audit(ctx.session, actor(ctx), "question.faq", detail, now=ctx.now)
    return [
        Reply(f"✅ Đã thêm hỏi đáp “{question}” (phiên bản {version}). Bot trả lời được ngay.")
    ]


async def button(ctx: Ctx, args: list[str]) -> list[Reply]:
    """A pressed ``st:q:`` button (the sender is staff)."""
    action = args[0] if args else ""
    number = int(args[1]) if len(args) > 1 and args[1].isdecimal() else None
    extra = args[2] if len(args) > 2 else ""
    if number is None:
        return [Reply("Nút này không còn dùng được.")]
    if action == "a":
        return await _claim(ctx, number)
    if action == "s":
        return await _send(ctx, number)
    if action == "x":
        return await _cancel(ctx, number)
    if action == "c":
        return await _close_menu(ctx, number)
    if action == "r" and extra:
        return await _close_reason(ctx, number, extra)
    if action == "f" and extra.isdecimal():
        return await _save_alternate(ctx, number, int(extra))
    if action == "n":
        return await _save_new(ctx, number)
    return [Reply("Nút này không còn dùng được.")]
