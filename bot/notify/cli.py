"""``hoctap broadcasts``: every broadcast with its delivery counts and a progress bar."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from bot.app import App, build_app
from bot.settings import SettingsError, load_settings
from db import outbox as outbox_db

BAR = 20


def progress_bar(done: int, total: int, width: int = BAR) -> str:
    """'[#########-----------]  45%'."""
    share = done / total if total else 1.0
    filled = round(share * width)
    return f"[{'#' * filled}{'-' * (width - filled)}] {share:4.0%}"


async def broadcast_lines(app: App, limit: int) -> list[str]:
    """One line per broadcast (newest first), and a progress bar under running ones."""
    async with app.sessions() as session:
        rows = await outbox_db.recent_broadcasts(session, limit)
        by_status = await outbox_db.counts(session, [b.id for b in rows])
    lines = []
    for b in rows:
        c = by_status.get(b.id, {})
        sent, failed, skipped = c.get("sent", 0), c.get("failed", 0), c.get("skipped", 0)
        pending = c.get("pending", 0) + c.get("sending", 0)
        due = b.due_at.astimezone(app.tz)
        line = (
            f"#{b.id:<5} {b.status:<9} {due:%Y-%m-%d %H:%M}  {b.source}  "
            f"sent {sent} · pending {pending} · failed {failed} · skipped {skipped}"
        )
        if b.reason:
            line += f"  ({b.reason})"
        lines.append(line)
        if b.status == "running" or pending:
            total = sent + failed + skipped + pending
            lines.append(f"        {progress_bar(total - pending, total)} {b.title[:50]}")
    return lines


def broadcasts(
    limit: Annotated[int, typer.Option("--limit", "-n", help="Số dòng tối đa.")] = 30,
) -> None:
    """Liệt kê các đợt gửi tin: đã gửi / đang chờ / lỗi / bỏ qua, tiến độ đợt đang chạy."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        typer.echo(f"hoctap: {exc}", err=True)
        raise typer.Exit(2) from None

    async def main() -> list[str]:
        app = build_app(settings)
        try:
            await app.prepare(import_default=False)
            return await broadcast_lines(app, limit)
        finally:
            await app.close()

    lines = asyncio.run(main())
    typer.echo("\n".join(lines) if lines else "Chưa có đợt gửi tin nào.")
