"""The unanswered-question inbox: ``/chuatraloi`` groups similar questions the bot could not
answer; one tap adds a group's wordings to a FAQ, ignores it, or starts a new FAQ whose answer
is typed next. The role was checked by the caller."""

from __future__ import annotations

import datetime as dt

from bot.inbox import faq_suggestions, group_questions
from bot.messages import Button, Reply, one_line
from bot.pack.models import Faq
from bot.wording import slugify
from db import staff as staff_db
from db.retention import printable, record_provenance
from handlers import dialogs
from handlers.context import Ctx
from handlers.dialogs import Inbox, InboxGroup
from handlers.staff_content import apply_pack
from handlers.staff_roles import actor

INBOX_DAYS = 30
INBOX_GROUPS = 5
INBOX = "inbox"
NEW_FAQ = "newfaq"


async def inbox(ctx: Ctx) -> list[Reply]:
    """/chuatraloi: groups of similar unanswered questions, most frequent first."""
    since = ctx.now - dt.timedelta(days=INBOX_DAYS)
    rows = await staff_db.open_questions(ctx.session, since)
    groups = group_questions([(r.id, r.text) for r in rows])[:INBOX_GROUPS]
    if not groups:
        return [Reply(f"Không có câu hỏi nào chưa trả lời trong {INBOX_DAYS} ngày qua. 🎉")]
    stored = Inbox()
    replies = []
    for n, group in enumerate(groups):
        faq_ids = _faq_suggestions(ctx, group.text)
        stored.groups.append(
            InboxGroup(rows=list(group.row_ids), texts=list(group.texts[:5]), faq=faq_ids)
        )
        variants = "; ".join(f"“{t}”" for t in group.texts[1:3])
        text = f"❓ “{group.text}” — {group.count} lần" + (
            f"\nCách hỏi khác: {variants}" if variants else ""
        )
        buttons: list[tuple[Button, ...]] = []
        for m, faq_id in enumerate(faq_ids):
            faq = ctx.pack.faq_entry(faq_id)
            if faq is not None:
                buttons.append((Button(f"➕ Thêm vào: {faq.question}"[:60], f"st:alt:{n}:{m}"),))
        buttons.append(
            (Button("✍️ Viết câu trả lời mới", f"st:new:{n}"), Button("🙈 Bỏ qua", f"st:ign:{n}"))
        )
        replies.append(Reply(text, buttons=tuple(buttons)))
    await dialogs.save_data(ctx, INBOX, stored.to_data())
    return replies


def _faq_suggestions(ctx: Ctx, question: str) -> list[str]:
    """Up to three FAQ ids the question most likely belongs to (:func:`faq_suggestions`)."""
    return faq_suggestions(ctx.live.engine, ctx.pack, question, ctx.now)


async def _inbox_group(ctx: Ctx, index: int) -> InboxGroup | None:
    data = await dialogs.load_data(ctx, INBOX)
    stored = Inbox.from_data(data) if data is not None else None
    groups = stored.groups if stored is not None else []
    return groups[index] if 0 <= index < len(groups) else None


async def add_alternate(ctx: Ctx, index: int, pick: int) -> list[Reply]:
    group = await _inbox_group(ctx, index)
    faq_ids = list(group.faq) if group else []
    if group is None or not 0 <= pick < len(faq_ids):
        return [Reply("Danh sách đã cũ, gõ /chuatraloi để xem lại.")]
    faq = ctx.pack.faq_entry(faq_ids[pick])
    if faq is None:
        return [Reply("Câu hỏi đáp này không còn nữa.")]
    texts = [one_line(t) for t in group.texts]
    known = {faq.question, *faq.alternates}
    added = [t for t in texts if t not in known]
    updated = faq.model_copy(update={"alternates": [*faq.alternates, *added]})
    pack = ctx.pack.model_copy(
        update={"faq": [updated if f.id == faq.id else f for f in ctx.pack.faq]}
    )
    version = await apply_pack(ctx, pack, source="inbox", note=f"Thêm cách hỏi cho {faq.id}")
    rows = list(group.rows)
    await record_provenance(
        ctx.session, faq=faq.id, kind="alternate", texts=added, question_ids=rows, now=ctx.now
    )  # whose wordings these are: erasing their data removes them again
    await staff_db.close_questions(ctx.session, rows, "resolved")
    return [Reply(f"✅ Đã thêm {len(added)} cách hỏi vào “{faq.question}” (phiên bản {version}).")]


async def start_new_faq(ctx: Ctx, index: int) -> list[Reply]:
    group = await _inbox_group(ctx, index)
    if group is None:
        return [Reply("Danh sách đã cũ, gõ /chuatraloi để xem lại.")]
    await dialogs.save_data(ctx, NEW_FAQ, group.to_data())
    question = group.texts[0]
    return [Reply(f"Gõ câu trả lời cho “{question}” (hoặc /huybo để thôi):")]


async def ignore(ctx: Ctx, index: int) -> list[Reply]:
    group = await _inbox_group(ctx, index)
    if group is None:
        return [Reply("Danh sách đã cũ, gõ /chuatraloi để xem lại.")]
    rows = list(group.rows)
    await staff_db.close_questions(ctx.session, rows, "ignored")
    detail = {"questions": rows, "count": len(rows)}  # ids only: no citizen's text in the audit
    await staff_db.audit(ctx.session, actor(ctx), "inbox.ignore", detail, now=ctx.now)
    return [Reply("Đã bỏ qua nhóm câu hỏi này.", edit=True)]


async def dialog_text(ctx: Ctx, text: str) -> list[Reply] | None:
    """The answer typed for a new FAQ started from the inbox, or None when none is."""
    data = await dialogs.load_data(ctx, NEW_FAQ)
    if data is None:
        return None
    group = InboxGroup.from_data(data)
    if group is None:  # unreadable (another version's): no dialog
        await dialogs.drop(ctx, NEW_FAQ)
        return None
    texts = [one_line(t) for t in group.texts]
    text = printable(text)
    question = texts[0] if texts else text
    await dialogs.drop(ctx, NEW_FAQ)
    base = slugify(question)[:50].strip("-") or "hoi-dap"
    taken = {f.id for f in ctx.pack.faq}
    faq_id, n = base, 2
    while faq_id in taken:
        faq_id, n = f"{base}-{n}", n + 1
    entry = Faq(id=faq_id, question=question, alternates=texts[1:], answer=text)
    pack = ctx.pack.model_copy(update={"faq": [*ctx.pack.faq, entry]})
    version = await apply_pack(ctx, pack, source="inbox", note=f"Hỏi đáp mới {faq_id}")
    rows = list(group.rows)
    for kind, adopted in (("question", [question]), ("alternate", texts[1:])):
        await record_provenance(
            ctx.session, faq=faq_id, kind=kind, texts=adopted, question_ids=rows, now=ctx.now
        )
    await staff_db.close_questions(ctx.session, rows, "resolved")
    return [
        Reply(f"✅ Đã thêm hỏi đáp “{question}” (phiên bản {version}). Bot trả lời được ngay.")
    ]
