"""``hoctap registrations``: the sign-ups of the classes, and one class's roster as a file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.app import App

registrations_cli = typer.Typer(help="Đăng ký lớp học qua trợ lý.", no_args_is_help=True)


@registrations_cli.command("list")
def list_() -> None:
    """Các lớp: số người có chỗ / số chỗ / số người chờ."""
    from bot.cli import _run, _settings, _utf8_stdio, _with_app

    _utf8_stdio()
    settings = _settings()

    async def work(app: App) -> None:
        from bot import registrations as views
        from db import registrations as reg_db

        live = await app.require_live()
        async with app.sessions() as session:
            counts = await reg_db.counts(session)
        lines = views.overview_lines(live.pack, counts, app.now().date())
        typer.echo("\n".join(lines) if lines else "Chưa có lớp nào nhận đăng ký qua trợ lý.")

    _run(lambda: _with_app(settings, work, import_default=True))


@registrations_cli.command("export")
def export(
    course_id: Annotated[str, typer.Argument(help="Mã lớp (id trong courses.yaml).")],
    xlsx: Annotated[Path, typer.Option("--xlsx", help="Ghi danh sách vào tệp Excel này.")],
) -> None:
    """Danh sách đăng ký của một lớp ra tệp Excel (có chỗ trước, rồi danh sách chờ)."""
    from bot.cli import _fail, _run, _settings, _utf8_stdio, _with_app

    _utf8_stdio()
    settings = _settings()

    async def work(app: App) -> None:
        from bot import registrations as views
        from db import registrations as reg_db
        from handlers.registration_rules import shown_phone

        live = await app.require_live()
        course = live.pack.course(course_id)
        if course is None:
            raise _fail(f"Không có lớp mã '{course_id}' trong nội dung đang dùng.", 1)
        async with app.sessions() as session:
            rows = await reg_db.roster(session, course_id)
        phones = {r.id: shown_phone(r.phone) for r in rows}
        xlsx.write_bytes(views.roster_workbook(course, rows, phones, app.tz))
        typer.echo(f"Đã ghi {len(rows)} người của lớp «{course.title}» vào {xlsx}")

    _run(lambda: _with_app(settings, work, import_default=True))
