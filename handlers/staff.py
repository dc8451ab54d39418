"""Staff tools in the chat: roles, uploads with preview and rollback, the unanswered inbox.

Every action checks the sender's role here, on the server, whatever way it arrived (command,
button data, upload). A citizen who reaches any of it gets the ordinary help, no hint.
Button data of staff actions starts with ``st:``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from openpyxl.utils.exceptions import IllegalCharacterError

from bot import stats
from bot.inbox import faq_suggestions, group_questions
from bot.messages import Attachment, Button, Reply, one_line
from bot.pack import consistency
from bot.pack.diff import diff_packs
from bot.pack.models import Faq, Pack
from bot.pack.xlsx import MAX_UPLOAD_BYTES, UploadError, write_workbook
from db import content as content_db
from db import staff as staff_db
from db.retention import printable, record_provenance
from handlers import announce, questions, upload_apply, upload_preview, uploads
from handlers.context import Ctx, slugify

INBOX_DAYS = 30
INBOX_GROUPS = 5
MAX_ERRORS_SHOWN = 40
UPLOAD = "upload"
INBOX = "inbox"
NEW_FAQ = "newfaq"

StaffHandler = Callable[[Ctx], Awaitable[list[Reply]]]


def actor(ctx: Ctx) -> str:
    return ctx.incoming.user_key


async def _apply(ctx: Ctx, pack: Pack, *, source: str, note: str) -> int | None:
    """Make ``pack`` live as a new version now; every instance picks it up."""
    applied = await content_db.apply_pack(
        ctx.session, pack, now=ctx.now, author=actor(ctx), source=source, note=note
    )
    ctx.content_changed = applied.version_id is not None
    return applied.version_id


async def staff_help(ctx: Ctx) -> list[Reply]:
    """/canbo: what staff can do."""
    lines = [
        "Công cụ cho cán bộ:",
        "• Gửi tệp Excel (.xlsx) hoặc .zip bộ nội dung để cập nhật (xem trước rồi mới áp dụng)",
        "• /xuat: tải nội dung hiện tại dạng Excel",
        "• /phienban: các phiên bản nội dung, khôi phục",
        "• /chuatraloi: câu hỏi bot chưa trả lời được",
        "• /cauhoi: câu hỏi người dân gửi cán bộ, trả lời ngay trong chat",
        "• /thongke: thống kê 30 ngày, kèm biểu đồ; /dangky: người đăng ký các lớp, danh sách",
        "• /thongbaomoi: soạn và lên lịch một thông báo; /guitin: tiến độ gửi, hủy",
        "• /huybo: hủy thao tác đang dở",
    ]
    if ctx.role == "admin":
        lines.append("• /nhanvien: quản lý cán bộ (chỉ quản trị)")
    return [Reply("\n".join(lines))]


async def staff_members(ctx: Ctx) -> list[Reply]:
    """/nhanvien [them KÊNH:MÃ admin|editor | xoa KÊNH:MÃ] (admins only)."""
    if ctx.role != "admin":
        return [Reply("Chỉ quản trị viên được quản lý cán bộ.")]
    args = list(ctx.incoming.args)  # ids keep their case (Zalo's may have letters)
    if args:
        args[0] = args[0].lower()
    try:
        if len(args) >= 2 and args[0] in ("them", "thêm", "add"):
            role = args[2].lower() if len(args) > 2 else "editor"
            row = await staff_db.set_staff(ctx.session, args[1], role, by=actor(ctx), now=ctx.now)
            return [Reply(f"Đã thêm {row.channel}:{row.user_id} với vai trò {role}.")]
        if len(args) >= 2 and args[0] in ("xoa", "xóa", "remove"):
            if args[1] == actor(ctx):
                return [Reply("Bạn không thể tự xóa mình.")]
            removed = await staff_db.remove_staff(ctx.session, args[1], by=actor(ctx), now=ctx.now)
            return [Reply(f"Đã xóa {args[1]}." if removed else f"{args[1]} không phải cán bộ.")]
    except ValueError as exc:
        return [Reply(str(exc))]
    rows = await staff_db.list_staff(ctx.session)
    lines = ["Cán bộ:"] + [f"• {r.channel}:{r.user_id} ({r.role})" for r in rows]
    lines += [
        "",
        "Thêm: /nhanvien them telegram:123456 editor (hoặc admin)",
        "Xóa: /nhanvien xoa telegram:123456",
    ]
    return [Reply("\n".join(lines))]


async def versions(ctx: Ctx) -> list[Reply]:
    """/phienban: the recent content versions with who and when, and rollback buttons."""
    live = ctx.live.version
    rows = (await content_db.list_versions(ctx.session))[:10]
    lines = ["Các phiên bản nội dung (mới nhất trước):"]
    buttons = []
    for v in rows:
        when = v.created_at.astimezone(ctx.app.tz).strftime("%d/%m/%Y %H:%M")
        mark = " (đang dùng)" if v.id == live else ""
        lines.append(f"• {v.id}{mark}: {when}, {v.author}. {v.note or v.source}")
        if v.id != live:
            buttons.append((Button(f"Khôi phục {v.id}", f"st:rb:{v.id}"),))
    return [Reply("\n".join(lines), buttons=tuple(buttons[:6]))]


def _printable_pack(pack: Pack) -> Pack:
    """``pack`` with control characters removed from every text (for content added before
    adopted wordings were cleaned)."""

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return printable(value)
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        return value

    return Pack.model_validate(clean(pack.model_dump()))


async def export(ctx: Ctx) -> list[Reply]:
    """/xuat: the live content as a spreadsheet."""
    try:
        data = write_workbook(ctx.pack)
    except IllegalCharacterError:
        data = write_workbook(_printable_pack(ctx.pack))
    name = f"noi-dung-phien-ban-{ctx.live.version}.xlsx"
    text = f"Nội dung phiên bản {ctx.live.version}. Sửa rồi gửi lại tệp này để cập nhật."
    return [Reply(text, attachment=Attachment(name, data, "document"))]


async def upload(ctx: Ctx) -> list[Reply]:
    """A staff member sent a file: validate, show what would change, ask to apply."""
    doc = ctx.incoming.document
    assert doc is not None
    if doc.size is not None and doc.size > MAX_UPLOAD_BYTES:
        return [Reply("Tệp quá lớn (tối đa 5 MB). Không có gì thay đổi.")]
    try:
        _, pack, problems = await uploads.read_document(doc)
    except UploadError as exc:
        return [Reply(f"Không đọc được tệp {doc.file_name}: {exc}. Không có gì thay đổi.")]
    if pack is None:
        shown = problems[:MAX_ERRORS_SHOWN]
        more = len(problems) - len(shown)
        lines = [f"Tệp {doc.file_name} có {len(problems)} lỗi, chưa áp dụng gì:", *shown]
        if more:
            lines.append(f"… và {more} lỗi nữa.")
        return [Reply("\n".join(lines))]
    diff = diff_packs(ctx.pack, pack)
    if not diff:
        return [
            Reply("Nội dung trong tệp giống hệt phiên bản đang dùng; không có gì để cập nhật.")
        ]
    await staff_db.put_dialog(
        ctx.session, ctx.incoming.channel, ctx.incoming.user_id, UPLOAD,
        {"file_name": doc.file_name, "base": ctx.live.version, "format": "pack-json"},
        now=ctx.now, blob=pack.model_dump_json().encode(),
    )  # fmt: skip  # the pack as read, so applying it never reads the file again
    notes = await upload_preview.reused_announcements(ctx.session, diff)
    return [upload_preview.preview(doc.file_name, diff, consistency.check(pack), notes)]


async def _rollback(ctx: Ctx, version: int) -> list[Reply]:
    try:
        applied = await content_db.rollback(ctx.session, version, now=ctx.now, author=actor(ctx))
    except LookupError:
        return [Reply(f"Không có phiên bản {version}.")]
    ctx.content_changed = True
    return [Reply(f"↩️ Đã khôi phục phiên bản {version} (thành phiên bản {applied.version_id}).")]


async def inbox(ctx: Ctx) -> list[Reply]:
    """/chuatraloi: groups of similar unanswered questions, most frequent first."""
    since = ctx.now - dt.timedelta(days=INBOX_DAYS)
    rows = await staff_db.open_questions(ctx.session, since)
    groups = group_questions([(r.id, r.text) for r in rows])[:INBOX_GROUPS]
    if not groups:
        return [Reply(f"Không có câu hỏi nào chưa trả lời trong {INBOX_DAYS} ngày qua. 🎉")]
    stored = []
    replies = []
    for n, group in enumerate(groups):
        faq_ids = _faq_suggestions(ctx, group.text)
        stored.append(
            {"rows": list(group.row_ids), "texts": list(group.texts[:5]), "faq": faq_ids}
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
    await staff_db.put_dialog(
        ctx.session, ctx.incoming.channel, ctx.incoming.user_id, INBOX, {"groups": stored},
        now=ctx.now,
    )  # fmt: skip
    return replies


def _faq_suggestions(ctx: Ctx, question: str) -> list[str]:
    """Up to three FAQ ids the question most likely belongs to (:func:`faq_suggestions`)."""
    return faq_suggestions(ctx.live.engine, ctx.pack, question, ctx.now)


async def _inbox_group(ctx: Ctx, index: int) -> dict[str, object] | None:
    dialog = await staff_db.get_dialog(
        ctx.session, ctx.incoming.channel, ctx.incoming.user_id, INBOX
    )
    groups = (dialog.data.get("groups") if dialog else None) or []
    return groups[index] if 0 <= index < len(groups) else None


async def _add_alternate(ctx: Ctx, index: int, pick: int) -> list[Reply]:
    group = await _inbox_group(ctx, index)
    faq_ids = list(group.get("faq", [])) if group else []  # type: ignore[call-overload]
    if group is None or not 0 <= pick < len(faq_ids):
        return [Reply("Danh sách đã cũ, gõ /chuatraloi để xem lại.")]
    faq = ctx.pack.faq_entry(faq_ids[pick])
    if faq is None:
        return [Reply("Câu hỏi đáp này không còn nữa.")]
    texts = [one_line(str(t)) for t in group["texts"]]  # type: ignore[attr-defined]
    known = {faq.question, *faq.alternates}
    added = [t for t in texts if t not in known]
    updated = faq.model_copy(update={"alternates": [*faq.alternates, *added]})
    pack = ctx.pack.model_copy(
        update={"faq": [updated if f.id == faq.id else f for f in ctx.pack.faq]}
    )
    version = await _apply(ctx, pack, source="inbox", note=f"Thêm cách hỏi cho {faq.id}")
    rows = [int(r) for r in group["rows"]]  # type: ignore[attr-defined]
    await record_provenance(
        ctx.session, faq=faq.id, kind="alternate", texts=added, question_ids=rows, now=ctx.now
    )  # whose wordings these are: erasing their data removes them again
    await staff_db.close_questions(ctx.session, rows, "resolved")
    return [Reply(f"✅ Đã thêm {len(added)} cách hỏi vào “{faq.question}” (phiên bản {version}).")]


async def _start_new_faq(ctx: Ctx, index: int) -> list[Reply]:
    group = await _inbox_group(ctx, index)
    if group is None:
        return [Reply("Danh sách đã cũ, gõ /chuatraloi để xem lại.")]
    await staff_db.put_dialog(
        ctx.session, ctx.incoming.channel, ctx.incoming.user_id, NEW_FAQ, dict(group),
        now=ctx.now,
    )  # fmt: skip
    question = group["texts"][0]  # type: ignore[index]
    return [Reply(f"Gõ câu trả lời cho “{question}” (hoặc /huybo để thôi):")]


async def _ignore(ctx: Ctx, index: int) -> list[Reply]:
    group = await _inbox_group(ctx, index)
    if group is None:
        return [Reply("Danh sách đã cũ, gõ /chuatraloi để xem lại.")]
    await staff_db.close_questions(ctx.session, group["rows"], "ignored")  # type: ignore[arg-type]
    rows = [int(r) for r in group["rows"]]  # type: ignore[attr-defined]
    detail = {"questions": rows, "count": len(rows)}  # ids only: no citizen's text in the audit
    await staff_db.audit(ctx.session, actor(ctx), "inbox.ignore", detail, now=ctx.now)
    return [Reply("Đã bỏ qua nhóm câu hỏi này.", edit=True)]


async def dialog_text(ctx: Ctx, text: str) -> list[Reply] | None:
    """Typed text that continues a staff dialog, or None when there is none."""
    for continues in (questions.dialog_text, announce.dialog_text):
        replies = await continues(ctx, text)
        if replies is not None:
            return replies
    dialog = await staff_db.get_dialog(
        ctx.session, ctx.incoming.channel, ctx.incoming.user_id, NEW_FAQ
    )
    if dialog is None:
        return None
    texts = [one_line(str(t)) for t in dialog.data.get("texts", [])]
    text = printable(text)
    question = texts[0] if texts else text
    await staff_db.drop_dialogs(ctx.session, ctx.incoming.channel, ctx.incoming.user_id, NEW_FAQ)
    base = slugify(question)[:50].strip("-") or "hoi-dap"
    taken = {f.id for f in ctx.pack.faq}
    faq_id, n = base, 2
    while faq_id in taken:
        faq_id, n = f"{base}-{n}", n + 1
    entry = Faq(id=faq_id, question=question, alternates=texts[1:], answer=text)
    pack = ctx.pack.model_copy(update={"faq": [*ctx.pack.faq, entry]})
    version = await _apply(ctx, pack, source="inbox", note=f"Hỏi đáp mới {faq_id}")
    rows = [int(r) for r in dialog.data.get("rows", [])]
    for kind, adopted in (("question", [question]), ("alternate", texts[1:])):
        await record_provenance(
            ctx.session, faq=faq_id, kind=kind, texts=adopted, question_ids=rows, now=ctx.now
        )
    await staff_db.close_questions(ctx.session, rows, "resolved")
    return [
        Reply(f"✅ Đã thêm hỏi đáp “{question}” (phiên bản {version}). Bot trả lời được ngay.")
    ]


async def statistics(ctx: Ctx) -> list[Reply]:
    """/thongke: the 30-day figures, with a chart of daily questions and the answer rate."""
    figures = await stats.collect(ctx.session, ctx.now, ctx.app.tz)
    text = stats.render_text(figures, pack_name=ctx.pack.info.name)
    chart = Attachment("thong-ke.png", stats.render_chart(figures), "photo")
    return [Reply(text, attachment=chart)]


async def cancel(ctx: Ctx) -> list[Reply]:
    """/huybo: drop any unfinished staff dialog."""
    await staff_db.drop_dialogs(ctx.session, ctx.incoming.channel, ctx.incoming.user_id)
    return [Reply("Đã hủy thao tác đang dở.")]


COMMANDS: dict[str, tuple[str, StaffHandler]] = {
    # command: (least role, handler)
    "canbo": ("editor", staff_help),
    "nhanvien": ("admin", staff_members),
    "phienban": ("editor", versions),
    "xuat": ("editor", export),
    "chuatraloi": ("editor", inbox),
    "cauhoi": ("editor", questions.open_list),
    "thongke": ("editor", statistics),
    "thongbaomoi": ("editor", announce.start),
    "guitin": ("editor", announce.progress),
    "huybo": ("editor", cancel),
}


def allowed(role: str | None, least: str) -> bool:
    """Whether ``role`` may do what needs ``least``."""
    return role == "admin" or (role == "editor" and least == "editor")


async def button(ctx: Ctx, data: str) -> list[Reply] | None:
    """A pressed ``st:`` button; None when the sender may not press it (the caller shows help)."""
    if not allowed(ctx.role, "editor"):
        return None
    parts = data.split(":")[1:]
    action, args = parts[0] if parts else "", parts[1:]
    numbers = [int(a) for a in args if a.isdecimal()]
    if action == "an":
        return await announce.button(ctx, args)
    if action == "q":
        return await questions.button(ctx, args)
    if action == "ap":
        return await upload_apply.apply_upload(ctx)
    if action == "cx":
        await staff_db.drop_dialogs(
            ctx.session, ctx.incoming.channel, ctx.incoming.user_id, UPLOAD
        )
        return [Reply("Đã hủy, không có gì thay đổi.", edit=True)]
    if action == "rb" and numbers:
        return await _rollback(ctx, numbers[0])
    if action == "alt" and len(numbers) == 2:
        return await _add_alternate(ctx, numbers[0], numbers[1])
    if action == "new" and numbers:
        return await _start_new_faq(ctx, numbers[0])
    if action == "ign" and numbers:
        return await _ignore(ctx, numbers[0])
    return [Reply("Nút này không còn dùng được.")]
