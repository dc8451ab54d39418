"""Applying a previewed upload, with optimistic concurrency.

The preview records the version it was made against (``base``). If another version went live
since — a colleague's upload, a rollback, a preview left for days — applying would silently
undo their work; instead the staff member is shown what changed since and what the file would
change now, and asked to confirm again (the preview is re-based on the live version).
"""

from __future__ import annotations

from typing import Any

from bot.messages import Button, Reply
from bot.pack.diff import diff_packs
from bot.pack.models import Pack
from bot.pack.offload import read_upload
from bot.pack.xlsx import UploadError
from db import content as content_db
from db import staff as staff_db
from handlers.context import Ctx

UPLOAD = "upload"
MAX_VERSIONS_SHOWN = 5
MAX_LINES_SHOWN = 30
APPLY_BUTTONS = ((Button("✅ Áp dụng", "st:ap"), Button("✖️ Hủy", "st:cx")),)


async def apply_upload(ctx: Ctx) -> list[Reply]:
    """``st:ap``: apply the pending upload if it was previewed against the live version."""
    channel, user_id = ctx.incoming.channel, ctx.incoming.user_id
    dialog = await staff_db.get_dialog(ctx.session, channel, user_id, UPLOAD)
    if dialog is None or dialog.blob is None:
        return [Reply("Không còn tệp nào chờ áp dụng.", edit=True)]
    name = str(dialog.data.get("file_name", "upload"))
    raw_base = dialog.data.get("base")
    base = int(raw_base) if isinstance(raw_base, int) else None
    pack, problems = await _pack_of(name, dialog.data, dialog.blob)
    if pack is None:
        await staff_db.drop_dialogs(ctx.session, channel, user_id, UPLOAD)
        return [Reply("Tệp không còn hợp lệ: " + "; ".join(problems[:5]), edit=True)]
    try:
        applied = await content_db.apply_pack(
            ctx.session,
            pack,
            now=ctx.now,
            author=ctx.incoming.user_key,
            source=name,
            note=f"Tải lên {name}",
            base=base,
        )
    except content_db.StaleBase as stale:
        return await _recheck(ctx, name, stale.base, stale.live, dialog.data)
    await staff_db.drop_dialogs(ctx.session, channel, user_id, UPLOAD)
    ctx.content_changed = applied.version_id is not None
    if applied.version_id is None:
        return [Reply("Không có gì thay đổi.", edit=True)]
    return [Reply(f"✅ Đã áp dụng: phiên bản {applied.version_id} đang được dùng.", edit=True)]


async def _recheck(
    ctx: Ctx, name: str, base: int | None, live: int | None, data: dict[str, Any]
) -> list[Reply]:
    """Nothing applied: show what changed since the preview and the file's changes now."""
    channel, user_id = ctx.incoming.channel, ctx.incoming.user_id
    current = await content_db.current_pack(ctx.session)
    if current is None or live is None:
        return [Reply("Chưa có nội dung nào đang dùng; không áp dụng được.", edit=True)]
    dialog = await staff_db.get_dialog(ctx.session, channel, user_id, UPLOAD)
    assert dialog is not None and dialog.blob is not None
    pack, _ = await _pack_of(name, data, dialog.blob)
    assert pack is not None  # read just before
    newer = [v for v in await content_db.list_versions(ctx.session) if v.id > (base or 0)]
    lines = [
        f"⚠️ Chưa áp dụng {name}: nội dung đã thay đổi từ khi bạn xem trước "
        f"(khi đó là phiên bản {base}, nay là phiên bản {live}).",
        "Áp dụng tệp này sẽ thay toàn bộ nội dung, kể cả những thay đổi dưới đây. "
        "Các phiên bản mới hơn:",
    ]
    for v in newer[:MAX_VERSIONS_SHOWN]:
        when = v.created_at.astimezone(ctx.app.tz).strftime("%d/%m/%Y %H:%M")
        lines.append(f"• {v.id}: {v.note or v.source} ({v.author}, {when})")
    if len(newer) > MAX_VERSIONS_SHOWN:
        lines.append(f"• … và {len(newer) - MAX_VERSIONS_SHOWN} phiên bản nữa")
    old = await content_db.read_pack(ctx.session, base) if base is not None else None
    if old is not None:
        lines.append("Đã thay đổi kể từ lúc xem trước:")
        lines += _capped(diff_packs(old, current[1]).lines())
    changes = diff_packs(current[1], pack)
    if not changes:
        await staff_db.drop_dialogs(ctx.session, channel, user_id, UPLOAD)
        lines.append("Tệp của bạn giống hệt nội dung đang dùng; không cần áp dụng.")
        return [Reply("\n".join(lines), edit=True)]
    lines.append(f"Nếu áp dụng {name} bây giờ, so với phiên bản {live} sẽ thay đổi:")
    lines += _capped(changes.lines())
    lines.append("Hãy xem lại rồi bấm Áp dụng lần nữa nếu vẫn muốn dùng tệp này.")
    await staff_db.put_dialog(
        ctx.session,
        channel,
        user_id,
        UPLOAD,
        {**data, "base": live},
        now=ctx.now,
        blob=dialog.blob,
    )
    return [Reply("\n".join(lines), buttons=APPLY_BUTTONS)]


async def _pack_of(name: str, data: dict[str, Any], blob: bytes) -> tuple[Pack | None, list[str]]:
    """The pending upload's pack: stored as read at preview time (older dialogs: the file)."""
    try:
        if data.get("format") == "pack-json":
            return Pack.model_validate_json(blob), []
        return await read_upload(name, blob)
    except (UploadError, ValueError) as exc:
        return None, [str(exc)]


def _capped(lines: list[str]) -> list[str]:
    if len(lines) <= MAX_LINES_SHOWN:
        return lines
    return [*lines[:MAX_LINES_SHOWN], f"… và {len(lines) - MAX_LINES_SHOWN} dòng nữa."]
