"""Content versions in the chat: an upload previewed then applied (or cancelled), ``/phienban``
with rollback, ``/xuat`` the live content as a spreadsheet. The role was checked by the caller."""

from __future__ import annotations

from typing import Any

from openpyxl.utils.exceptions import IllegalCharacterError

from bot.messages import Attachment, Button, Reply
from bot.pack import consistency
from bot.pack.diff import diff_packs
from bot.pack.models import Pack
from bot.pack.xlsx import MAX_UPLOAD_BYTES, UploadError, write_workbook
from db import content as content_db
from db import staff as staff_db
from db.retention import printable
from handlers import upload_apply, upload_preview, uploads
from handlers.context import Ctx
from handlers.staff_roles import actor

MAX_ERRORS_SHOWN = 40
UPLOAD = upload_apply.UPLOAD


async def apply_pack(ctx: Ctx, pack: Pack, *, source: str, note: str) -> int | None:
    """Make ``pack`` live as a new version now; every instance picks it up."""
    applied = await content_db.apply_pack(
        ctx.session, pack, now=ctx.now, author=actor(ctx), source=source, note=note
    )
    ctx.content_changed = applied.version_id is not None
    return applied.version_id


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
        ctx.session,
        ctx.incoming.channel,
        ctx.incoming.user_id,
        UPLOAD,
        {"file_name": doc.file_name, "base": ctx.live.version, "format": "pack-json"},
        now=ctx.now,
        blob=pack.model_dump_json().encode(),
    )  # the pack as read, so applying it never reads the file again
    notes = await upload_preview.reused_announcements(ctx.session, diff)
    return [upload_preview.preview(doc.file_name, diff, consistency.check(pack), notes)]


async def rollback(ctx: Ctx, version: int) -> list[Reply]:
    try:
        applied = await content_db.rollback(ctx.session, version, now=ctx.now, author=actor(ctx))
    except LookupError:
        return [Reply(f"Không có phiên bản {version}.")]
    ctx.content_changed = True
    return [Reply(f"↩️ Đã khôi phục phiên bản {version} (thành phiên bản {applied.version_id}).")]


async def cancel_upload(ctx: Ctx) -> list[Reply]:
    """Hủy under an upload's preview: the pending upload is dropped."""
    await staff_db.drop_dialogs(ctx.session, ctx.incoming.channel, ctx.incoming.user_id, UPLOAD)
    return [Reply("Đã hủy, không có gì thay đổi.", edit=True)]
