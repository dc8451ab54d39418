"""The ``hoctap`` command line: run the bot, ask questions, manage content and the database."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from bot.app import App, build_app
from bot.clock import FixedClock
from bot.logs import configure_logging, protect
from bot.notify.cli import broadcasts
from bot.pack import PackError, consistency, dump_pack, load_pack
from bot.pack.diff import KIND_LABELS, diff_packs, summary_words
from bot.pack.sources import read_source
from bot.pack.xlsx import UploadError, write_workbook
from bot.registrations_cli import registrations_cli
from bot.settings import Settings, SettingsError, load_settings
from bot.understanding import Answer
from handlers.ask import conversations

T = TypeVar("T")

cli = typer.Typer(
    name="hoctap",
    help="Trợ lý học tập: chatbot hỏi đáp về lớp học, thư viện và xe thư viện lưu động.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
content_cli = typer.Typer(help="Kiểm tra, nhập, xuất và khôi phục nội dung.", no_args_is_help=True)
db_cli = typer.Typer(help="Cơ sở dữ liệu.", no_args_is_help=True)
staff_cli = typer.Typer(help="Cán bộ quản trị nội dung.", no_args_is_help=True)
cli.add_typer(content_cli, name="content")
cli.add_typer(db_cli, name="db")
cli.add_typer(staff_cli, name="staff")
cli.add_typer(registrations_cli, name="registrations")
cli.command("broadcasts")(broadcasts)


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def _settings(**overrides: Any) -> Settings:
    try:  # a bad HOCTAP_NOTIFY_*/REMIND/QUIET value fails here too (settings.notify)
        settings = load_settings(**overrides)
    except SettingsError as exc:
        raise _fail(f"hoctap: {exc}") from None
    protect(settings)  # whatever the command, its secrets never reach a log line
    return settings


def _parse_now(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise _fail(f"hoctap: --now: '{value}' không đúng dạng YYYY-MM-DDTHH:MM") from None


def _run(main: Callable[[], Awaitable[T]], *, fast_loop: bool = False) -> T:
    """Run a coroutine; the long-running server gets uvloop when it is installed."""
    if fast_loop:
        try:
            import uvloop
        except ImportError:  # optional: the plain asyncio loop works the same
            pass
        else:
            return uvloop.run(main())  # type: ignore[arg-type]
    return asyncio.run(main())  # type: ignore[arg-type]


async def _with_app(
    settings: Settings,
    work: Callable[[App], Awaitable[T]],
    *,
    import_default: bool,
    clock: FixedClock | None = None,
    database_url: str | None = None,
) -> T:
    app = build_app(settings, clock=clock, database_url=database_url)
    try:
        try:
            await app.prepare(import_default=import_default)
        except PackError as exc:
            raise _fail("\n".join(str(p) for p in exc.problems), 1) from None
        except OSError as exc:
            raise _fail(f"hoctap: không kết nối được cơ sở dữ liệu: {exc}") from None
        return await work(app)
    finally:
        await app.close()


def _utf8_stdio() -> None:
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="utf-8", errors="replace")


@cli.command()
def ask(
    questions: Annotated[
        list[str] | None, typer.Argument(help="Câu hỏi; không có thì đọc từng dòng từ stdin.")
    ] = None,
    content: Annotated[
        Path | None, typer.Option("--content", help="Trả lời từ bộ nội dung này (CSDL tạm).")
    ] = None,
    now: Annotated[
        str | None, typer.Option("--now", help="Giờ giả định, YYYY-MM-DDTHH:MM (giờ địa phương).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Mỗi câu trả lời một dòng JSON.")
    ] = False,
    conversation: Annotated[
        bool,
        typer.Option(
            "--conversation", help="stdin là các cuộc hội thoại, ngăn cách bằng dòng ---."
        ),
    ] = False,
) -> None:
    """Trả lời câu hỏi bằng cùng bộ máy mà các kênh chat dùng."""
    _utf8_stdio()
    overrides: dict[str, Any] = {}
    if content is not None:
        pack, problems = load_pack(content)
        if pack is None:
            raise _fail("\n".join(str(p) for p in problems), 1)
        overrides["content_dir"] = content
    settings = _settings(**overrides)
    when = _parse_now(now)
    lines: Iterable[str] = questions if questions else (line.rstrip("\r\n") for line in sys.stdin)

    def show(question: str, answer: Answer) -> None:
        if as_json:
            record = {
                "question": question,
                "kind": answer.kind,
                "ids": list(answer.ids),
                "score": round(answer.score, 4),
                "text": answer.text,
            }
            typer.echo(json.dumps(record, ensure_ascii=False))
        else:
            typer.echo(answer.text.replace("\n", " / "))
        sys.stdout.flush()

    async def work(app: App) -> None:
        def moment() -> dt.datetime:
            return when.replace(tzinfo=app.tz) if when else app.now()

        if conversation:
            async for question, answer in conversations(app, lines, moment):
                show(question, answer)
            return
        live = await app.require_live()
        for question in lines:
            show(question, live.engine.ask(question, moment()))

    clock = FixedClock(when, settings.tz) if when else None
    if content is not None:
        with tempfile.TemporaryDirectory(prefix="hoctap-ask-") as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'ask.db'}"
            _run(
                lambda: _with_app(
                    settings, work, import_default=True, clock=clock, database_url=url
                )
            )
    else:
        _run(lambda: _with_app(settings, work, import_default=True, clock=clock))


@cli.command()
def run(
    webhook: Annotated[
        bool, typer.Option("--webhook", help="Phục vụ webhook thay vì long polling.")
    ] = False,
    host: Annotated[
        str, typer.Option("--host", help="Địa chỉ lắng nghe của webhook.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Cổng của webhook.")] = 8080,
) -> None:
    """Chạy bot: có token thì trên Telegram/Zalo; không có thì trò chuyện trong terminal."""
    _utf8_stdio()
    settings = _settings()
    configure_logging(settings.log_level)
    if not settings.any_channel:
        from bot.channels.terminal import chat
        from handlers import dispatch

        if "HOCTAP_LOG_LEVEL" not in os.environ:
            logging.getLogger().setLevel(logging.WARNING)  # a chat, not a server log

        async def work(app: App) -> None:
            await chat(app, dispatch=dispatch)

        _run(lambda: _with_app(settings, work, import_default=True))
        return
    from bot.runner import run_bot

    with contextlib.suppress(KeyboardInterrupt):
        _run(lambda: run_bot(settings, webhook=webhook, host=host, port=port), fast_loop=True)


def _content_source(path: Path | None, command: str) -> Path:
    """The pack to read; said in Vietnamese when it was left out (not click's English)."""
    if path is None:
        raise _fail(
            f"hoctap: thiếu thư mục hoặc tệp cần {'kiểm tra' if command == 'check' else 'nạp'}; "
            f"ví dụ: hoctap content {command} content/  (hoặc noi-dung.xlsx, noi-dung.zip)",
            2,
        )
    return path


@content_cli.command("check")
def content_check(
    folder: Annotated[
        Path | None,
        typer.Argument(metavar="THƯ_MỤC|TỆP", help="Thư mục bộ nội dung, tệp .xlsx hoặc .zip."),
    ] = None,
) -> None:
    """Kiểm tra một bộ nội dung: in mỗi lỗi một dòng; mã thoát 0 nếu hợp lệ."""
    _utf8_stdio()
    folder = _content_source(folder, "check")
    try:
        pack, problems = read_source(folder)
    except UploadError as exc:
        raise _fail(f"hoctap: {folder}: {exc}", 1) from None
    if pack is None:
        for problem in problems:
            typer.echo(str(problem))
        typer.echo(f"{len(problems)} lỗi.", err=True)
        raise typer.Exit(1)
    typer.echo(
        f"Hợp lệ: {len(pack.topics)} chủ đề, {len(pack.centers)} trung tâm, "
        f"{len(pack.courses)} lớp học, {len(pack.libraries)} thư viện, "
        f"{len(pack.stops)} điểm dừng xe, {len(pack.faq)} hỏi đáp, "
        f"{len(pack.announcements)} thông báo."
    )
    for warning in consistency.check(pack):
        typer.echo(str(warning))


@content_cli.command("import")
def content_import(
    folder: Annotated[
        Path | None,
        typer.Argument(metavar="THƯ_MỤC|TỆP", help="Thư mục bộ nội dung, tệp .xlsx hoặc .zip."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Chỉ cho biết sẽ thay đổi gì.")
    ] = False,
    author: Annotated[str, typer.Option("--author", help="Ghi vào lịch sử phiên bản.")] = "cli",
) -> None:
    """Nhập một bộ nội dung thành phiên bản mới (tất cả hoặc không gì cả)."""
    _utf8_stdio()
    folder = _content_source(folder, "import")
    try:
        pack, problems = read_source(folder)
    except UploadError as exc:
        raise _fail(f"hoctap: {folder}: {exc}", 1) from None
    if pack is None:
        for problem in problems:
            typer.echo(problem)
        raise _fail(f"{len(problems)} lỗi; không có gì thay đổi.", 1)
    settings = _settings()

    async def work(app: App) -> None:
        from db import content as content_db

        async with app.sessions.begin() as session:
            if dry_run:
                live = await content_db.current_pack(session)
                diff = diff_packs(live[1] if live else None, pack)
                for line in diff.lines():
                    typer.echo(line)
                typer.echo("(chạy thử: chưa thay đổi gì)")
                return
            applied = await content_db.apply_pack(
                session, pack, now=app.clock.now(), author=author, source=str(folder)
            )
        for line in applied.diff.lines():
            typer.echo(line)
        if applied.version_id is None:
            typer.echo("Nội dung giống phiên bản hiện tại; không tạo phiên bản mới.")
        else:
            typer.echo(f"Đã áp dụng: phiên bản {applied.version_id}.")

    _run(lambda: _with_app(settings, work, import_default=False))


@content_cli.command("export")
def content_export(
    folder: Annotated[Path | None, typer.Argument(help="Thư mục sẽ ghi bộ nội dung YAML.")] = None,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Xuất thành tệp Excel này.")] = None,
) -> None:
    """Xuất phiên bản hiện tại thành bộ nội dung YAML hoặc tệp Excel."""
    _utf8_stdio()
    if (folder is None) == (xlsx is None):
        raise _fail("hoctap: cho một thư mục, hoặc --xlsx TỆP", 2)
    settings = _settings()

    async def work(app: App) -> None:
        live = await app.require_live()
        if xlsx is not None:
            xlsx.write_bytes(write_workbook(live.pack))
            typer.echo(f"Đã xuất phiên bản {live.version} vào {xlsx}.")
            return
        assert folder is not None
        from db import content as content_db

        # The folder this version was imported from (if it is still there) gives the comments
        # and the way of writing to keep; files already in the target folder come first.
        async with app.sessions() as session:
            versions = await content_db.list_versions(session)
        source = next((v.source for v in versions if v.id == live.version), None)
        written = dump_pack(live.pack, folder, template=Path(source) if source else None)
        typer.echo(f"Đã xuất phiên bản {live.version}: {len(written)} tệp vào {folder}.")

    _run(lambda: _with_app(settings, work, import_default=True))


@content_cli.command("versions")
def content_versions() -> None:
    """Liệt kê các phiên bản nội dung, mới nhất trước."""
    _utf8_stdio()
    settings = _settings()

    async def work(app: App) -> None:
        from db import content as content_db

        async with app.sessions() as session:
            live = await content_db.current_version(session)
            versions = await content_db.list_versions(session)
            # the newest versions get their changes spelled out, before → after
            packs = {v.id: await content_db.read_pack(session, v.id) for v in versions[:21]}
        if not versions:
            typer.echo("Chưa có phiên bản nào.")
        for index, v in enumerate(versions):
            mark = "*" if v.id == live else " "
            when = v.created_at.astimezone(app.tz).strftime("%Y-%m-%d %H:%M")
            changes = "; ".join(
                f"{KIND_LABELS.get(kind, kind)}: {summary_words(c, whole=kind == 'pack')}"
                for kind, c in (v.summary or {}).items()
            )
            typer.echo(f"{mark}{v.id:>4}  {when}  {v.author:<12} {v.note or v.source}  {changes}")
            older = versions[index + 1].id if index + 1 < len(versions) else None
            new_pack = packs.get(v.id)
            if older is None or new_pack is None:
                continue  # the first version adds everything: its counts say it all
            for line in diff_packs(packs.get(older), new_pack).lines():
                if line.startswith("  • "):
                    typer.echo(f"        {line.strip()}")

    _run(lambda: _with_app(settings, work, import_default=False))


@content_cli.command("rollback")
def content_rollback(
    version_text: Annotated[
        str, typer.Argument(metavar="PHIÊN_BẢN", help="Số phiên bản muốn khôi phục, ví dụ 3.")
    ],
) -> None:
    """Khôi phục một phiên bản cũ (tạo phiên bản mới có cùng nội dung)."""
    _utf8_stdio()
    if not version_text.strip().isdecimal():
        raise _fail(
            f"hoctap: '{version_text}' không phải số phiên bản; xem các số bằng "
            "'hoctap content versions', rồi gõ ví dụ: hoctap content rollback 3",
            2,
        )
    version = int(version_text)
    settings = _settings()

    async def work(app: App) -> None:
        from db import content as content_db

        try:
            async with app.sessions.begin() as session:
                applied = await content_db.rollback(session, version, now=app.clock.now())
        except LookupError as exc:
            raise _fail(f"hoctap: {exc}", 1) from None
        for line in applied.diff.lines():
            typer.echo(line)
        typer.echo(f"Đã khôi phục phiên bản {version} thành phiên bản {applied.version_id}.")

    _run(lambda: _with_app(settings, work, import_default=False))


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Tạo hoặc nâng cấp lược đồ cơ sở dữ liệu."""
    settings = _settings()

    async def work(app: App) -> None:
        from db.engine import schema_revisions

        current, head = await schema_revisions(app.db)
        typer.echo(f"Cơ sở dữ liệu ở phiên bản lược đồ {current} (mới nhất: {head}).")

    _run(lambda: _with_app(settings, work, import_default=False))


@staff_cli.command("add")
def staff_add(
    key: Annotated[str, typer.Argument(help="kênh:mã người dùng, ví dụ telegram:123456")],
    role: Annotated[str, typer.Option("--role", help="admin hoặc editor")] = "editor",
) -> None:
    """Thêm (hoặc đổi vai trò) một cán bộ."""
    _utf8_stdio()
    settings = _settings()

    async def work(app: App) -> None:
        from db import staff as staff_db

        try:
            async with app.sessions.begin() as session:
                await staff_db.set_staff(session, key, role, by="cli", now=app.clock.now())
        except ValueError as exc:
            raise _fail(f"hoctap: {exc}", 1) from None
        typer.echo(f"Đã thêm {key} ({role}).")

    _run(lambda: _with_app(settings, work, import_default=False))


@staff_cli.command("remove")
def staff_remove(key: Annotated[str, typer.Argument(help="kênh:mã người dùng")]) -> None:
    """Xóa một cán bộ."""
    _utf8_stdio()
    settings = _settings()

    async def work(app: App) -> None:
        from db import staff as staff_db

        try:
            async with app.sessions.begin() as session:
                removed = await staff_db.remove_staff(session, key, by="cli", now=app.clock.now())
        except ValueError as exc:
            raise _fail(f"hoctap: {exc}", 1) from None
        typer.echo(f"Đã xóa {key}." if removed else f"{key} không phải cán bộ.")

    _run(lambda: _with_app(settings, work, import_default=False))


@staff_cli.command("list")
def staff_list() -> None:
    """Liệt kê cán bộ."""
    _utf8_stdio()
    settings = _settings()

    async def work(app: App) -> None:
        from db import staff as staff_db

        async with app.sessions() as session:
            rows = await staff_db.list_staff(session)
        for key in settings.staff_ids:
            typer.echo(f"{key}  admin  (HOCTAP_STAFF_IDS)")
        for row in rows:
            typer.echo(f"{row.channel}:{row.user_id}  {row.role}  (thêm bởi {row.added_by})")

    _run(lambda: _with_app(settings, work, import_default=False))


@cli.command()
def audit(limit: Annotated[int, typer.Option("--limit", help="Số dòng.")] = 50) -> None:
    """Nhật ký mọi thay đổi của cán bộ: ai, làm gì, khi nào."""
    _utf8_stdio()
    settings = _settings()

    async def work(app: App) -> None:
        from db import staff as staff_db

        async with app.sessions() as session:
            rows = await staff_db.list_audit(session, limit)
        if not rows:
            typer.echo("Chưa có thay đổi nào.")
        for row in rows:
            when = row.at.astimezone(app.tz).strftime("%Y-%m-%d %H:%M")
            detail = json.dumps(row.detail, ensure_ascii=False)
            typer.echo(f"{when}  {row.actor:<20} {row.action:<18} {detail}")

    _run(lambda: _with_app(settings, work, import_default=False))


@cli.command()
def stats(
    days: Annotated[int, typer.Option("--days", help="Số ngày.")] = 30,
    chart: Annotated[Path | None, typer.Option("--chart", help="Ghi biểu đồ PNG vào tệp.")] = None,
) -> None:
    """Thống kê: câu hỏi mỗi ngày, tỉ lệ trả lời, người đăng ký, thông báo gần đây."""
    _utf8_stdio()
    settings = _settings()

    async def work(app: App) -> None:
        from bot import stats as stats_mod
        from bot.registrations import demand_lines
        from db import registrations as reg_db

        live = await app.require_live()
        async with app.sessions() as session:
            figures = await stats_mod.collect(session, app.now(), app.tz, days)
            demand = await reg_db.demand_counts(session)
        typer.echo(stats_mod.render_text(figures, pack_name=live.pack.info.name))
        if demand:
            typer.echo("Người dân chờ mở lớp (Báo tôi khi có lớp), theo chủ đề và xã:")
            typer.echo("\n".join(demand_lines(live.pack, demand)))
        if chart is not None:
            chart.write_bytes(stats_mod.render_chart(figures))
            typer.echo(f"Biểu đồ: {chart}")

    _run(lambda: _with_app(settings, work, import_default=True))


def main() -> None:
    """Console entry point."""
    configure_logging(logging.WARNING)
    cli()


if __name__ == "__main__":
    main()
