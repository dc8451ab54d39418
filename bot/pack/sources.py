"""Where a pack can come from: a YAML folder, a spreadsheet, or a .zip of the YAML files.

One entry point, :func:`read_source`, for the CLI and for uploads in the chat: it returns the
pack or the list of problems as lines, and raises :class:`UploadError` for a file that is not
a pack at all.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from bot.pack.limits import LimitError, check_archive, one_of_each
from bot.pack.load import FILES, load_pack
from bot.pack.models import Pack
from bot.pack.xlsx import MAX_UNPACKED_BYTES, MAX_UPLOAD_BYTES, UploadError, read_workbook


def read_zip(data: bytes) -> tuple[Pack | None, list[str]]:
    """A .zip holding the YAML files of a pack (at its top or in one folder)."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError(f"tệp quá lớn (tối đa {MAX_UPLOAD_BYTES // (1024 * 1024)} MB)")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UploadError("không phải tệp .zip hợp lệ") from None
    with archive, tempfile.TemporaryDirectory(prefix="hoctap-zip-") as tmp:
        try:
            members = check_archive(archive, max_unpacked=MAX_UNPACKED_BYTES)
            one_of_each(members, FILES)
        except LimitError as exc:
            raise UploadError(str(exc)) from None
        wanted = [
            info
            for info in members
            if not info.is_dir() and PurePosixPath(info.filename).name in FILES
        ]
        if not wanted:
            raise UploadError("tệp .zip không có pack.yaml hay tệp nội dung nào")
        for info in wanted:
            # Only the base name is used, so no path in the archive can escape the folder.
            target = Path(tmp) / PurePosixPath(info.filename).name
            try:
                with archive.open(info) as src:
                    chunk = src.read(MAX_UNPACKED_BYTES + 1)
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, zlib.error):
                raise UploadError(
                    f"không giải nén được {info.filename} (tệp .zip hỏng hoặc có mật khẩu)"
                ) from None
            if len(chunk) > MAX_UNPACKED_BYTES:
                raise UploadError("tệp giải nén quá lớn, không nhận")
            target.write_bytes(chunk)
        pack, problems = load_pack(tmp)
        return pack, [str(p) for p in problems]


def read_bytes(name: str, data: bytes) -> tuple[Pack | None, list[str]]:
    """An uploaded file by its name: .xlsx or .zip."""
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsx":
        pack, problems = read_workbook(data)
        return pack, [str(p) for p in problems]
    if suffix == ".zip":
        return read_zip(data)
    raise UploadError("chỉ nhận tệp Excel .xlsx hoặc .zip chứa các tệp YAML")


def read_source(path: Path) -> tuple[Pack | None, list[str]]:
    """A folder, an .xlsx or a .zip on disk."""
    if path.is_dir():
        pack, problems = load_pack(path)
        return pack, [str(p) for p in problems]
    if not path.exists():
        raise UploadError(f"không có tệp hay thư mục '{path}'")
    return read_bytes(path.name, path.read_bytes())
