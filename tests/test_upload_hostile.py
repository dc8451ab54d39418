"""Hostile and oversized uploads: each is refused with a clear Vietnamese message (no
traceback), limits are checked before loading, and citizens are answered while the file is
being read (it is read in a separate process, before any database transaction)."""

from __future__ import annotations

import asyncio
import io
import logging
import multiprocessing
import zipfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.clock import FixedClock
from bot.pack.xlsx import MAX_ROWS
from bot.settings import load_settings
from db import staff as staff_db
from handlers import dispatch
from tests.conftest import DEV_PACK
from tests.test_staff import ADMIN, EDITOR, NOW, one, press, text, upload, workbook


@pytest.fixture
async def app(tmp_path: Path, clean_env: dict[str, str]) -> AsyncIterator[App]:
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 's.db'}",
        content_dir=DEV_PACK,
        staff_ids=[f"terminal:{ADMIN}"],
    )
    application = build_app(settings, clock=FixedClock(NOW))
    await application.prepare()
    async with application.sessions.begin() as s:
        await staff_db.set_staff(s, f"terminal:{EDITOR}", "editor", by="test", now=NOW)
    yield application
    await application.close()


def zipped(files: dict[str, bytes], *, encrypted: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    raw = bytearray(buffer.getvalue())
    if encrypted:  # set the "encrypted" flag of every member, as a password-protected zip has
        for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            at = raw.find(signature)
            while at != -1:
                raw[at + offset] |= 0x1
                at = raw.find(signature, at + 4)
    return bytes(raw)


def pack_files() -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in DEV_PACK.iterdir() if path.is_file()}


def alias_bomb() -> bytes:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(1, 10):
        prev, cur = chr(ord("a") + n - 1), chr(ord("a") + n)
        lines.append(f"{cur}: &{cur} [{', '.join(['*' + prev] * 9)}]")
    return zipped({**pack_files(), "faq.yaml": "\n".join(lines).encode()})


def deep_yaml() -> bytes:
    return zipped({**pack_files(), "faq.yaml": b"[" * 5000 + b"]" * 5000})


def password_zip() -> bytes:
    return zipped(pack_files(), encrypted=True)


def two_faqs() -> bytes:
    files = pack_files()
    return zipped({**files, "khac/faq.yaml": files["faq.yaml"]})


def long_sheet() -> bytes:
    """An .xlsx whose sheet has more rows than allowed (refused before openpyxl loads it)."""
    rows = "".join(
        f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>x</t></is></c></row>'
        for i in range(1, MAX_ROWS + 50)
    )
    sheet = f"<worksheet><sheetData>{rows}</sheetData></worksheet>".encode()
    return zipped({"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": sheet})


HOSTILE: list[tuple[str, Callable[[], bytes], str]] = [
    ("bom.zip", alias_bomb, "quá nhiều tham chiếu YAML"),
    ("sau.zip", deep_yaml, "lồng nhau quá sâu"),
    ("mat-khau.zip", password_zip, "có đặt mật khẩu"),
    ("hai-faq.zip", two_faqs, "có hai tệp faq.yaml"),
    ("dai.xlsx", long_sheet, f"dài quá {MAX_ROWS} dòng"),
]


@pytest.mark.parametrize(("name", "make", "message"), HOSTILE, ids=[h[0] for h in HOSTILE])
async def test_hostile_upload_refused_clearly_while_citizens_are_answered(
    app: App,
    name: str,
    make: Callable[[], bytes],
    message: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    reading = asyncio.create_task(dispatch(upload(EDITOR, name, make()), app))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while not multiprocessing.active_children():  # the file is being read, elsewhere
        assert not reading.done(), (await reading)[0].text
        assert loop.time() < deadline
        await asyncio.sleep(0.005)
    answers = [await one(app, text(f"c{i}", "thư viện mở cửa mấy giờ")) for i in range(3)]
    assert not reading.done()  # citizens were answered while the upload was processed
    assert all("07:30" in a.text for a in answers)
    replies = await reading
    assert len(replies) == 1 and message in replies[0].text, replies[0].text
    assert "Không có gì thay đổi" in replies[0].text or "chưa áp dụng gì" in replies[0].text
    assert not replies[0].buttons  # nothing to apply
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def test_long_preview_is_one_message_with_the_full_list_attached(app: App) -> None:
    def many(wb) -> None:  # type: ignore[no-untyped-def]
        ws = wb["Hỏi đáp"]
        for i in range(300):
            row = ws.max_row + 1
            ws.cell(row, 1, f"cau-hoi-moi-{i}")
            ws.cell(row, 2, f"Câu hỏi mới số {i} về thư viện?")
            ws.cell(row, 4, f"Câu trả lời số {i}.")

    replies = await dispatch(upload(EDITOR, "nhieu.xlsx", workbook(many)), app)
    assert len(replies) == 1
    reply = replies[0]
    assert reply.attachment is not None and reply.attachment.file_name == "thay-doi.txt"
    full = reply.attachment.data.decode()
    assert "cau-hoi-moi-299" in full and "cau-hoi-moi-299" not in reply.text
    assert "hỏi đáp: thêm 300" in reply.text.lower()
    assert len(reply.text) < 4096 and [b.data for b in reply.flat_buttons] == ["st:ap", "st:cx"]
    applied = await one(app, press(EDITOR, "st:ap"))
    assert "phiên bản 2" in applied.text
