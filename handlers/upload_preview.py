"""The preview of an upload, as one message: counts per kind, the first changes, and — when it
does not fit — the full list of changes as an attached text file. Áp dụng / Hủy on that one
message (a 19,000-row sheet once made a preview of 36 messages, Áp dụng on the last)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.messages import Attachment, Button, Reply
from bot.notify.outbox import existing_sources
from bot.pack.consistency import Warning as ConsistencyWarning
from bot.pack.diff import KIND_LABELS, PackDiff, summary_words

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

MAX_PREVIEW_CHARS = 3000  # a preview longer than this is summarised, the rest attached
FIRST_LINES = 15  # changes shown in the summary
FIRST_WARNINGS = 5
MAX_LINE = 200
APPLY = ((Button("✅ Áp dụng", "st:ap"), Button("✖️ Hủy", "st:cx")),)


def _cut(line: str) -> str:
    return line if len(line) <= MAX_LINE else line[: MAX_LINE - 1] + "…"


async def reused_announcements(session: AsyncSession, diff: PackDiff) -> list[str]:
    """A warning for each new or edited announcement whose id was sent before: its source is
    taken, so it would never be sent (silently, until now)."""
    kind = diff.kinds.get("announcements")
    if not kind:
        return []
    sent = await existing_sources(session, "pack:")
    return [
        f"⚠️ Thông báo «{item}» dùng lại mã của một thông báo đã gửi trước đây nên sẽ KHÔNG "
        "được gửi. Muốn gửi, hãy đặt cho nó một mã (id) mới."
        for item in (*kind.added, *kind.changed)
        if f"pack:{item}" in sent
    ]


def preview(
    name: str,
    diff: PackDiff,
    warnings: Sequence[ConsistencyWarning],
    notes: Sequence[str] = (),
) -> Reply:
    """One reply with the buttons; the full list attached when it is long. ``notes`` (such
    as a reused announcement id) are always shown in full."""
    full = [f"Tệp {name} hợp lệ. Sẽ thay đổi:", *notes, *diff.lines()]
    if warnings:
        full.append(f"⚠️ {len(warnings)} cảnh báo (vẫn áp dụng được):")
        full += [f"- {w.item}: {w.message}" for w in warnings]
    text = "\n".join(full)
    if len(text) <= MAX_PREVIEW_CHARS:
        return Reply(text, buttons=APPLY)
    lines = [f"Tệp {name} hợp lệ. Tóm tắt thay đổi:", *notes]
    for kind, counts in diff.counts().items():
        lines.append(f"• {KIND_LABELS.get(kind, kind)}: {summary_words(counts)}")
    changes = diff.lines()
    lines.append(f"Một số thay đổi đầu tiên ({min(FIRST_LINES, len(changes))}/{len(changes)}):")
    lines += [_cut(line) for line in changes[:FIRST_LINES]]
    if warnings:
        lines.append(f"⚠️ {len(warnings)} cảnh báo (vẫn áp dụng được), ví dụ:")
        lines += [_cut(f"- {w.item}: {w.message}") for w in warnings[:FIRST_WARNINGS]]
    file_name = "thay-doi.txt"
    lines.append(f"Toàn bộ thay đổi có trong tệp đính kèm {file_name}.")
    attachment = Attachment(file_name, text.encode("utf-8"), "document")
    return Reply("\n".join(lines), buttons=APPLY, attachment=attachment)
