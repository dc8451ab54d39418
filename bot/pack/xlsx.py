"""The spreadsheet form of a pack: one sheet per kind, the same fields as the YAML files.

Staff edit it in Excel or LibreOffice. Reading it builds the same raw data the YAML folder
gives and validates it with the same code (:func:`bot.pack.load.parse_pack`); every problem is
reported as sheet, row, column and message. Writing escapes cells that a spreadsheet would run
as formulas (a leading ``=``, ``+``, ``-`` or ``@`` gets a ``'`` in front, removed on reading).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.pack.load import Problem, parse_pack

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet
from bot.pack.models import WEEKDAYS, Pack

GUIDE_SHEET = "hướng dẫn"
LIST_SEP = "; "
MAX_ROWS = 20_000
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
RISKY = ("=", "+", "-", "@")


@dataclass(frozen=True)
class Column:
    """One column: its header, how to read a row's value from an item and how to write it back."""

    header: str
    help: str
    get: Callable[[dict[str, Any]], Any]
    put: Callable[[dict[str, Any], Any], None]


def _field(name: str, help_text: str, *, listed: bool = False, lines: bool = False) -> Column:
    def get(item: dict[str, Any]) -> Any:
        value = item.get(name)
        if isinstance(value, list):
            return ("\n" if lines else LIST_SEP).join(str(v) for v in value)
        return value

    def put(item: dict[str, Any], value: Any) -> None:
        if value is None:
            return
        if listed or lines:
            text = str(value)
            parts = text.split("\n") if lines else text.replace("\n", ";").split(";")
            item[name] = [p.strip() for p in parts if p.strip()]
        else:
            item[name] = value

    return Column(name, help_text, get, put)


def _nested(outer: str, inner: str, header: str, help_text: str) -> Column:
    def get(item: dict[str, Any]) -> Any:
        return (item.get(outer) or {}).get(inner)

    def put(item: dict[str, Any], value: Any) -> None:
        if value is not None:
            item.setdefault(outer, {})[inner] = value

    return Column(header, help_text, get, put)


def _hours(day: str) -> Column:
    def get(item: dict[str, Any]) -> Any:
        spans = (item.get("hours") or {}).get(day)
        return ", ".join(spans) if spans else None

    def put(item: dict[str, Any], value: Any) -> None:
        if value is not None:
            spans = [s.strip() for s in str(value).split(",") if s.strip()]
            item.setdefault("hours", {})[day] = spans

    return Column(
        f"hours_{day}", f"giờ mở cửa ngày {day}, ví dụ 07:30-11:30, 13:30-17:00", get, put
    )


ID = _field("id", "mã: chữ thường không dấu, số và '-', không trùng")
SHEETS: dict[str, list[Column]] = {
    "topics": [
        ID,
        _field("name", "tên chủ đề"),
        _field("synonyms", "từ đồng nghĩa, cách nhau bằng dấu ;", listed=True),
    ],
    "centers": [
        ID,
        _field("name", "tên trung tâm"),
        _field("aliases", "tên gọi khác, cách nhau bằng dấu ;", listed=True),
        _field("commune", "xã/phường"),
        _field("address", "địa chỉ"),
        _field("phone", "điện thoại"),
        _nested("location", "lat", "lat", "vĩ độ (không bắt buộc)"),
        _nested("location", "lon", "lon", "kinh độ (không bắt buộc)"),
    ],
    "courses": [
        ID,
        _field("title", "tên lớp"),
        _field("topic", "mã chủ đề (sheet topics)"),
        _field("center", "mã nơi học (sheet centers)"),
        _field("description", "mô tả"),
        _field("start_date", "ngày khai giảng YYYY-MM-DD"),
        _field("end_date", "ngày kết thúc YYYY-MM-DD"),
        _field("weekdays", "các thứ học: mon; tue; wed; thu; fri; sat; sun", listed=True),
        _field("time", "giờ học HH:MM-HH:MM"),
        _field("fee", "học phí (đồng), 0 là miễn phí"),
        _field("capacity", "số chỗ (không bắt buộc)"),
        _field("registration", "cách đăng ký"),
        _field("keywords", "từ khóa người dân hay gõ, cách nhau bằng dấu ;", listed=True),
    ],
    "libraries": [
        ID,
        _field("name", "tên thư viện"),
        _field("aliases", "tên gọi khác, cách nhau bằng dấu ;", listed=True),
        _field("address", "địa chỉ"),
        _field("phone", "điện thoại"),
        _nested("location", "lat", "lat", "vĩ độ (không bắt buộc)"),
        _nested("location", "lon", "lon", "kinh độ (không bắt buộc)"),
        *[_hours(day) for day in WEEKDAYS],
        _field("services", "dịch vụ, cách nhau bằng dấu ;", listed=True),
    ],
    "closures": [
        _field("library", "mã thư viện (sheet libraries)"),
        _field("from", "nghỉ từ ngày YYYY-MM-DD"),
        _field("to", "đến hết ngày YYYY-MM-DD"),
        _field("reason", "lý do"),
    ],
    "stops": [
        ID,
        _field("place", "nơi xe dừng"),
        _field("commune", "xã/phường"),
        _nested("location", "lat", "lat", "vĩ độ (không bắt buộc)"),
        _nested("location", "lon", "lon", "kinh độ (không bắt buộc)"),
        _field("date", "ngày (nếu chỉ đến một lần) YYYY-MM-DD"),
        _nested("weekly", "weekday", "weekly_weekday", "nếu lặp lại: thứ (mon…sun)"),
        _nested("weekly", "every", "weekly_every", "nếu lặp lại: mấy tuần một lần"),
        _nested("weekly", "first", "weekly_first", "nếu lặp lại: lần đầu YYYY-MM-DD"),
        _nested("weekly", "until", "weekly_until", "nếu lặp lại: lần cuối YYYY-MM-DD"),
        _field("time", "giờ HH:MM-HH:MM"),
    ],
    "faq": [
        ID,
        _field("question", "câu hỏi"),
        _field("alternates", "cách hỏi khác, mỗi cách một dòng trong ô", lines=True),
        _field("answer", "câu trả lời"),
        _field("tags", "nhãn, cách nhau bằng dấu ;", listed=True),
    ],
    "announcements": [
        ID,
        _field("title", "tiêu đề"),
        _field("body", "nội dung"),
        _field("publish_at", "gửi lúc YYYY-MM-DDTHH:MM"),
        _field("topics", "chỉ gửi người theo dõi các chủ đề này (mã, dấu ;)", listed=True),
        _field("communes", "chỉ gửi người theo dõi các xã này (dấu ;)", listed=True),
        _field("course", "mã lớp liên quan (không bắt buộc)"),
    ],
    "lexicon": [
        _field("short", "từ viết tắt / từ địa phương"),
        _field("means", "nghĩa đầy đủ"),
    ],
}
PACK_KEYS = ("name", "organisation", "timezone", "locale", "contact")
VEHICLE_KEYS = ("name", "description", "phone")
FILE_OF = {
    "topics": "topics.yaml",
    "centers": "centers.yaml",
    "courses": "courses.yaml",
    "libraries": "libraries.yaml",
    "closures": "libraries.yaml",
    "stops": "mobile_library.yaml",
    "faq": "faq.yaml",
    "announcements": "announcements.yaml",
    "lexicon": "lexicon.yaml",
}


class UploadError(Exception):
    """A file that cannot be read as a pack at all (not a workbook, too big, ...)."""


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(RISKY):
        return "'" + value
    return value


def _unsafe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("'") and value[1:2] in RISKY and value[1:]:
        return value[1:]
    return value


def _write_sheet(ws: Worksheet, columns: list[Column], items: Iterable[dict[str, Any]]) -> None:
    from openpyxl.styles import Alignment, Font  # openpyxl is slow to import: only when used

    ws.append([c.header for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for item in items:
        ws.append([_safe(_plain(c.get(item))) for c in columns])
    for cell_row in ws.iter_rows(min_row=2):
        for cell in cell_row:
            cell.data_type = "s" if isinstance(cell.value, str) else cell.data_type
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def write_workbook(pack: Pack) -> bytes:
    """The pack as an .xlsx file (bytes)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from bot.pack.dump import pack_files

    files = pack_files(pack)
    wb = Workbook()
    guide = wb.active
    assert guide is not None
    guide.title = GUIDE_SHEET
    guide.append(["sheet", "cột", "ý nghĩa"])
    guide.append(["pack", "key / value", "thông tin chung: " + ", ".join(PACK_KEYS)])
    guide.append(["pack", "vehicle_*", "xe thư viện lưu động: tên, mô tả, điện thoại"])
    for sheet, columns in SHEETS.items():
        for column in columns:
            guide.append([sheet, column.header, column.help])
    guide.append(["", "", "Ô bắt đầu bằng ' là chữ; không dùng công thức. Ngày dạng YYYY-MM-DD."])
    for cell in guide[1]:
        cell.font = Font(bold=True)

    ws = wb.create_sheet("pack")
    ws.append(["key", "value"])
    for key in PACK_KEYS:
        ws.append([key, _safe(files["pack.yaml"].get(key))])
    vehicle = (files.get("mobile_library.yaml") or {}).get("vehicle") or {}
    for key in VEHICLE_KEYS:
        ws.append([f"vehicle_{key}", _safe(vehicle.get(key))])

    mobile = files.get("mobile_library.yaml") or {}
    rows: dict[str, list[dict[str, Any]]] = {
        "topics": files.get("topics.yaml", []),
        "centers": files.get("centers.yaml", []),
        "courses": files.get("courses.yaml", []),
        "libraries": files.get("libraries.yaml", []),
        "closures": [
            {"library": lib["id"], **closure}
            for lib in files.get("libraries.yaml", [])
            for closure in lib.get("closures", [])
        ],
        "stops": mobile.get("stops", []),
        "faq": files.get("faq.yaml", []),
        "announcements": files.get("announcements.yaml", []),
        "lexicon": [
            {"short": k, "means": v} for k, v in (files.get("lexicon.yaml") or {}).items()
        ],
    }
    for sheet, columns in SHEETS.items():
        _write_sheet(wb.create_sheet(sheet), columns, rows[sheet])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@dataclass(frozen=True)
class SheetProblem:
    """A problem located in the workbook."""

    sheet: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [f"sheet {self.sheet}"]
        if self.row is not None:
            where.append(f"dòng {self.row}")
        if self.column:
            where.append(f"cột {self.column}")
        return ", ".join(where) + f": {self.message}"


def _cell_value(cell: Any) -> Any:
    value = cell.value
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date()
    if isinstance(value, float) and value.is_integer() and cell.number_format == "General":
        return int(value)
    if isinstance(value, str):
        value = _unsafe(value.strip())
        return value or None
    return value


def _check_zip(data: bytes) -> None:
    """Refuse archives that unpack far larger than they are (zip bombs)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise UploadError(
            "không phải tệp Excel .xlsx hợp lệ (có thể bị hỏng hoặc có mật khẩu)"
        ) from None
    if total > MAX_UNPACKED_BYTES:
        raise UploadError("tệp giải nén quá lớn, không nhận")


def read_workbook(data: bytes) -> tuple[Pack | None, list[SheetProblem]]:
    """Read an .xlsx into a pack; ``(pack, [])`` or ``(None, problems)``. Raises UploadError."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError(f"tệp quá lớn (tối đa {MAX_UPLOAD_BYTES // (1024 * 1024)} MB)")
    _check_zip(data)
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = load_workbook(io.BytesIO(data), read_only=False, data_only=False)
    except (InvalidFileException, KeyError, OSError, ValueError, zipfile.BadZipFile) as exc:
        raise UploadError(f"không đọc được tệp Excel ({type(exc).__name__})") from None

    problems: list[SheetProblem] = []
    raw: dict[str, Any] = {}
    # Where each item came from, to put problems back on their row: (file, item id) -> (sheet, row)
    origin: dict[tuple[str, str], tuple[str, int]] = {}
    headers_of: dict[str, dict[str, str]] = {}

    def rows_of(sheet: str) -> list[tuple[int, dict[str, Any]]]:
        if sheet not in wb.sheetnames:
            return []
        ws = wb[sheet]
        if ws.max_row > MAX_ROWS:
            problems.append(SheetProblem(sheet, None, None, f"quá {MAX_ROWS} dòng, không nhận"))
            return []
        out: list[tuple[int, dict[str, Any]]] = []
        header: list[str] = []
        for number, cells in enumerate(ws.iter_rows(), start=1):
            if number == 1:
                header = [str(c.value).strip() if c.value is not None else "" for c in cells]
                known = {c.header for c in SHEETS.get(sheet, [])} or {"key", "value"}
                for name in header:
                    if name and name not in known:
                        problems.append(SheetProblem(sheet, 1, name, "cột lạ (gõ nhầm tên cột?)"))
                continue
            values: dict[str, Any] = {}
            for name, cell in zip(header, cells, strict=False):
                if not name:
                    continue
                if cell.data_type == "f":
                    problems.append(
                        SheetProblem(sheet, number, name, "ô chứa công thức; hãy dán giá trị")
                    )
                    continue
                values[name] = _cell_value(cell)
            if any(v is not None for v in values.values()):
                out.append((number, values))
        return out

    pack_rows = dict((r.get("key"), r.get("value")) for _, r in rows_of("pack"))
    if "pack" not in wb.sheetnames:
        problems.append(SheetProblem("pack", None, None, "thiếu sheet 'pack' (thông tin chung)"))
    else:
        raw["pack.yaml"] = {k: pack_rows[k] for k in PACK_KEYS if pack_rows.get(k) is not None}

    def items(sheet: str) -> list[dict[str, Any]]:
        columns = {c.header: c for c in SHEETS[sheet]}
        headers_of[sheet] = {c.header: c.header for c in SHEETS[sheet]}
        out: list[dict[str, Any]] = []
        for number, values in rows_of(sheet):
            item: dict[str, Any] = {}
            for name, value in values.items():
                if name in columns:
                    columns[name].put(item, value)
            label = str(item.get("id") or f"#{len(out) + 1}")
            origin[(FILE_OF[sheet], label)] = (sheet, number)
            out.append(item)
        return out

    for sheet in ("topics", "centers", "courses", "faq", "announcements"):
        if sheet in wb.sheetnames:
            raw[FILE_OF[sheet]] = items(sheet)
    if "libraries" in wb.sheetnames:
        libraries = items("libraries")
        by_id = {lib.get("id"): lib for lib in libraries}
        for number, values in rows_of("closures"):
            lib = by_id.get(values.get("library"))
            if lib is None:
                problems.append(
                    SheetProblem("closures", number, "library", "không có thư viện mang mã này")
                )
                continue
            closure = {k: values[k] for k in ("from", "to", "reason") if values.get(k) is not None}
            lib.setdefault("closures", []).append(closure)
        raw["libraries.yaml"] = libraries
    vehicle = {k: pack_rows.get(f"vehicle_{k}") for k in VEHICLE_KEYS}
    stops = items("stops") if "stops" in wb.sheetnames else []
    if any(v is not None for v in vehicle.values()) or stops:
        raw["mobile_library.yaml"] = {
            "vehicle": {k: v for k, v in vehicle.items() if v is not None},
            "stops": stops,
        }
    if "lexicon" in wb.sheetnames:
        raw["lexicon.yaml"] = {
            str(r["short"]): r.get("means") for _, r in rows_of("lexicon") if r.get("short")
        }

    pack, pack_problems = parse_pack(raw)
    for p in pack_problems:
        problems.append(_locate(p, origin))
    return (pack if not problems else None), problems


def _locate(problem: Problem, origin: dict[tuple[str, str], tuple[str, int]]) -> SheetProblem:
    """Put a pack problem (file, item, field) back on its sheet, row and column."""
    if problem.file == "pack.yaml":
        return SheetProblem("pack", None, problem.field, problem.message)
    sheet, row = origin.get((problem.file, problem.item), (None, None))
    if sheet is None:
        sheet = next((s for s, f in FILE_OF.items() if f == problem.file), problem.file)
    column = problem.field.split(".")[0] if problem.field != "-" else None
    if column in ("weekly",) and "." in problem.field:
        column = "weekly_" + problem.field.split(".")[1]
    if column == "hours" and "." in problem.field:
        column = "hours_" + problem.field.split(".")[1]
    if column == "closures":
        sheet, column = "closures", None
    return SheetProblem(sheet, row, column, problem.message)


def read_workbook_file(path: Path) -> tuple[Pack | None, list[SheetProblem]]:
    """Read an .xlsx file from disk."""
    return read_workbook(path.read_bytes())
