"""Limits checked before a file is loaded: what a hostile or broken upload is refused for.

Each check reads only the file's structure (the zip directory, a sheet's row tags, the YAML
event stream without building anything), so a zip bomb, a YAML alias bomb or a sheet of a
million rows is refused cheaply, with a clear message, before it can take memory or time.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import PurePosixPath

import yaml

MAX_MEMBERS = 200  # files in an uploaded .zip or .xlsx
MAX_YAML_ALIASES = 50  # ``*name`` references in one YAML file (the pack format needs none)
MAX_YAML_DEPTH = 20  # nesting of lists and mappings (the pack format needs at most 5)
CHUNK = 1 << 20


class LimitError(ValueError):
    """A file over a limit; the message is for staff, in Vietnamese."""


def check_archive(
    archive: zipfile.ZipFile, *, max_unpacked: int, what: str = "tệp .zip"
) -> list[zipfile.ZipInfo]:
    """The members of a zip, refused if encrypted, too many, or too large once unpacked."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise LimitError(
            f"{what} có quá nhiều tệp bên trong ({len(members)}, tối đa {MAX_MEMBERS})"
        )
    if any(info.flag_bits & 0x1 for info in members):
        raise LimitError(f"{what} có đặt mật khẩu; hãy lưu lại không đặt mật khẩu rồi gửi lại")
    if sum(info.file_size for info in members) > max_unpacked:
        raise LimitError(
            f"{what}: giải nén quá lớn (tối đa {max_unpacked // (1024 * 1024)} MB), không nhận"
        )
    return members


def one_of_each(members: Sequence[zipfile.ZipInfo], names: Sequence[str]) -> None:
    """Refuse a zip with two files of the same name (say ``faq.yaml`` in two folders)."""
    seen: dict[str, str] = {}
    for info in members:
        if info.is_dir():
            continue
        name = PurePosixPath(info.filename).name
        if name not in names:
            continue
        if name in seen:
            raise LimitError(
                f"tệp .zip có hai tệp {name} ({seen[name]} và {info.filename}); "
                "chỉ để một bộ nội dung trong tệp .zip"
            )
        seen[name] = info.filename


def count_rows(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> int:
    """The ``<row`` elements of a worksheet, read as a stream; stops once over ``limit``."""
    count = 0
    carry = b""
    with archive.open(info) as src:
        while chunk := src.read(CHUNK):
            data = carry + chunk
            count += data.count(b"<row ") + data.count(b"<row>")
            carry = data[-5:]
            count -= carry.count(b"<row ") + carry.count(b"<row>")  # counted again next time
            if count > limit:
                return count
    return count + carry.count(b"<row ") + carry.count(b"<row>")


def check_sheet_rows(
    archive: zipfile.ZipFile, members: Sequence[zipfile.ZipInfo], limit: int
) -> None:
    """Refuse a workbook with a sheet of more than ``limit`` rows, before loading it."""
    for info in members:
        name = info.filename
        if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
            continue
        if count_rows(archive, info, limit + 1) > limit + 1:  # + the header row
            raise LimitError(f"có sheet dài quá {limit} dòng; không nhận")


def yaml_problem(text: str) -> str | None:
    """Why a YAML text may not be loaded (aliases, depth), read from its events; else None.

    The events are produced without building anything, so an alias bomb costs nothing here.
    A syntax error is left to the loader, which says where it is.
    """
    aliases = depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_YAML_ALIASES:
                    return (
                        f"có quá nhiều tham chiếu YAML (dấu * đầu giá trị; tối đa "
                        f"{MAX_YAML_ALIASES}); hãy viết đầy đủ từng mục"
                    )
            elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    return f"lồng nhau quá sâu (quá {MAX_YAML_DEPTH} tầng), không đúng mẫu"
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        return None
    return None
