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
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.pack.limits import LimitError, check_archive, check_sheet_rows
from bot.pack.load import DAY_WORDS, Problem, parse_pack

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet
from bot.pack.days import WEEKDAYS
from bot.pack.models import Pack

GUIDE_SHEET = "Hướng dẫn"
OLD_GUIDE_SHEET = "hướng dẫn"
LIST_SEP = "; "
MAX_ROWS = 20_000
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
RISKY = ("=", "+", "-", "@")


@dataclass(frozen=True)
class Column:
    """One column: its header, how to read a row's value from an item and how to write it back.

    ``header`` is the field's machine name (what the YAML file calls it, and what the first
    spreadsheets had as headers); ``label`` is the Vietnamese header written now. Reading
    accepts either.
    """

    header: str
    help: str
    get: Callable[[dict[str, Any]], Any]
    put: Callable[[dict[str, Any], Any], None]
    label: str = ""
    width: int = 16

    @property
    def title(self) -> str:
        return self.label or self.header


def _field(
    name: str,
    help_text: str,
    *,
    listed: bool = False,
    lines: bool = False,
    label: str = "",
    width: int = 16,
) -> Column:
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

    return Column(name, help_text, get, put, label, width)


def _nested(
    outer: str, inner: str, header: str, help_text: str, *, label: str = "", width: int = 14
) -> Column:
    def get(item: dict[str, Any]) -> Any:
        return (item.get(outer) or {}).get(inner)

    def put(item: dict[str, Any], value: Any) -> None:
        if value is not None:
            item.setdefault(outer, {})[inner] = value

    return Column(header, help_text, get, put, label, width)


def _hours(day: str) -> Column:
    def get(item: dict[str, Any]) -> Any:
        spans = (item.get("hours") or {}).get(day)
        return ", ".join(spans) if spans else None

    def put(item: dict[str, Any], value: Any) -> None:
        if value is not None:
            spans = [s.strip() for s in str(value).split(",") if s.strip()]
            item.setdefault("hours", {})[day] = spans

    word = DAY_WORDS[day]
    return Column(
        f"hours_{day}",
        f"giờ mở cửa {word}, ví dụ 07:30-11:30, 13:30-17:00; để trống là nghỉ",
        get,
        put,
        f"Giờ mở cửa {word}",
        24,
    )


ID = _field("id", "mã: chữ thường không dấu, số và '-', không trùng", label="Mã", width=28)
LAT = "vĩ độ, ví dụ 22.147 (không bắt buộc)"
LON = "kinh độ, ví dụ 105.834 (không bắt buộc)"
SHEETS: dict[str, list[Column]] = {
    "topics": [
        ID,
        _field("name", "tên chủ đề", label="Tên chủ đề", width=32),
        _field(
            "synonyms",
            "từ đồng nghĩa, cách nhau bằng dấu ;",
            listed=True,
            label="Từ đồng nghĩa",
            width=50,
        ),
    ],
    "centers": [
        ID,
        _field("name", "tên trung tâm", label="Tên trung tâm", width=40),
        _field(
            "aliases",
            "tên gọi khác, cách nhau bằng dấu ;",
            listed=True,
            label="Tên gọi khác",
            width=36,
        ),
        _field("commune", "xã/phường", label="Xã/phường", width=20),
        _field("address", "địa chỉ", label="Địa chỉ", width=36),
        _field("phone", "điện thoại", label="Điện thoại", width=16),
        _nested("location", "lat", "lat", LAT, label="Vĩ độ"),
        _nested("location", "lon", "lon", LON, label="Kinh độ"),
    ],
    "courses": [
        ID,
        _field("title", "tên lớp", label="Tên lớp", width=40),
        _field("topic", "mã chủ đề (sheet Chủ đề)", label="Chủ đề", width=24),
        _field("center", "mã nơi học (sheet Trung tâm)", label="Nơi học", width=28),
        _field("description", "mô tả", label="Mô tả", width=40),
        _field(
            "start_date",
            "ngày khai giảng, năm-tháng-ngày, ví dụ 2026-12-01",
            label="Ngày khai giảng",
            width=16,
        ),
        _field(
            "end_date",
            "ngày kết thúc, năm-tháng-ngày, ví dụ 2026-12-19",
            label="Ngày kết thúc",
            width=16,
        ),
        _field(
            "weekdays",
            "các thứ học: mon; tue; wed; thu; fri; sat; sun",
            listed=True,
            label="Các thứ học",
            width=16,
        ),
        _field("time", "giờ học, ví dụ 19:00-21:00", label="Giờ học", width=14),
        _field("fee", "học phí (đồng), 0 là miễn phí", label="Học phí", width=12),
        _field("capacity", "số chỗ (không bắt buộc)", label="Số chỗ", width=10),
        _field(
            "registration_closes",
            "hạn đăng ký trong trò chuyện (không bắt buộc), năm-tháng-ngày, ví dụ 2026-11-28",
            label="Hạn đăng ký",
            width=16,
        ),
        _field("registration", "cách đăng ký", label="Cách đăng ký", width=40),
        _field(
            "keywords",
            "từ khóa người dân hay gõ, cách nhau bằng dấu ;",
            listed=True,
            label="Từ khóa",
            width=30,
        ),
    ],
    "libraries": [
        ID,
        _field("name", "tên thư viện", label="Tên thư viện", width=36),
        _field(
            "aliases",
            "tên gọi khác, cách nhau bằng dấu ;",
            listed=True,
            label="Tên gọi khác",
            width=36,
        ),
        _field("address", "địa chỉ", label="Địa chỉ", width=36),
        _field("phone", "điện thoại", label="Điện thoại", width=16),
        _nested("location", "lat", "lat", LAT, label="Vĩ độ"),
        _nested("location", "lon", "lon", LON, label="Kinh độ"),
        *[_hours(day) for day in WEEKDAYS],
        _field(
            "services", "dịch vụ, cách nhau bằng dấu ;", listed=True, label="Dịch vụ", width=40
        ),
    ],
    "closures": [
        _field("library", "mã thư viện (sheet Thư viện)", label="Thư viện", width=28),
        _field("from", "nghỉ từ ngày, ví dụ 2027-02-04", label="Nghỉ từ ngày", width=16),
        _field("to", "đến hết ngày, ví dụ 2027-02-10", label="Đến hết ngày", width=16),
        _field("reason", "lý do", label="Lý do", width=36),
    ],
    "stops": [
        ID,
        _field("place", "nơi xe dừng", label="Nơi xe dừng", width=40),
        _field("commune", "xã/phường", label="Xã/phường", width=20),
        _nested("location", "lat", "lat", LAT, label="Vĩ độ"),
        _nested("location", "lon", "lon", LON, label="Kinh độ"),
        _field(
            "date",
            "ngày, nếu xe chỉ đến một lần, ví dụ 2026-12-05",
            label="Ngày (đến một lần)",
            width=18,
        ),
        _nested(
            "weekly",
            "weekday",
            "weekly_weekday",
            "nếu lặp lại: thứ (mon … sun)",
            label="Lặp lại: thứ",
        ),
        _nested(
            "weekly",
            "every",
            "weekly_every",
            "nếu lặp lại: mấy tuần một lần",
            label="Lặp lại: mấy tuần một lần",
            width=16,
        ),
        _nested(
            "weekly",
            "first",
            "weekly_first",
            "nếu lặp lại: lần đầu, ví dụ 2026-11-04",
            label="Lặp lại: lần đầu",
            width=16,
        ),
        _nested(
            "weekly",
            "until",
            "weekly_until",
            "nếu lặp lại: lần cuối, ví dụ 2027-12-31",
            label="Lặp lại: lần cuối",
            width=16,
        ),
        _field("time", "giờ, ví dụ 08:00-11:00", label="Giờ", width=14),
    ],
    "faq": [
        ID,
        _field("question", "câu hỏi", label="Câu hỏi", width=40),
        _field(
            "alternates",
            "cách hỏi khác, mỗi cách một dòng trong ô",
            lines=True,
            label="Cách hỏi khác",
            width=40,
        ),
        _field("answer", "câu trả lời", label="Câu trả lời", width=60),
        _field("tags", "nhãn, cách nhau bằng dấu ;", listed=True, label="Nhãn", width=20),
    ],
    "announcements": [
        ID,
        _field("title", "tiêu đề", label="Tiêu đề", width=40),
        _field("body", "nội dung", label="Nội dung", width=60),
        _field("publish_at", "gửi lúc, ví dụ 2026-11-25T08:00", label="Gửi lúc", width=18),
        _field(
            "topics",
            "chỉ gửi người theo dõi các chủ đề này (mã, dấu ;)",
            listed=True,
            label="Chủ đề",
            width=24,
        ),
        _field(
            "communes",
            "chỉ gửi người theo dõi các xã này (dấu ;)",
            listed=True,
            label="Các xã",
            width=24,
        ),
        _field("course", "mã lớp liên quan (không bắt buộc)", label="Lớp học", width=28),
    ],
    "lexicon": [
        _field("short", "từ viết tắt / từ địa phương", label="Từ viết tắt", width=20),
        _field("means", "nghĩa đầy đủ", label="Nghĩa đầy đủ", width=40),
    ],
}
# Vietnamese sheet names; the English names of the first spreadsheets are still read.
SHEET_TITLES: dict[str, str] = {
    "pack": "Thông tin chung",
    "topics": "Chủ đề",
    "centers": "Trung tâm",
    "courses": "Lớp học",
    "libraries": "Thư viện",
    "closures": "Ngày nghỉ thư viện",
    "stops": "Điểm dừng xe",
    "faq": "Hỏi đáp",
    "announcements": "Thông báo",
    "lexicon": "Từ địa phương",
}
PACK_LABELS: dict[str, str] = {
    "name": "Tên trợ lý",
    "organisation": "Cơ quan",
    "timezone": "Múi giờ",
    "locale": "Ngôn ngữ",
    "contact": "Liên hệ",
    "vehicle_name": "Xe thư viện: tên",
    "vehicle_description": "Xe thư viện: mô tả",
    "vehicle_phone": "Xe thư viện: điện thoại",
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
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters: Excel refuses them
        if value.startswith(RISKY):
            return "'" + value
    return value


def _unsafe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("'") and value[1:2] in RISKY and value[1:]:
        return value[1:]
    return value


def _col(index: int) -> str:
    from openpyxl.utils import get_column_letter

    letter: str = get_column_letter(index)
    return letter


def _id_range(kind: str) -> str:
    """The id column of a sheet, as a list source for a drop-down."""
    return f"='{SHEET_TITLES[kind]}'!$A$2:$A${MAX_ROWS}"


WEEKDAY_LIST = '"' + ",".join(WEEKDAYS) + '"'
# Classes meet on several days: the usual patterns are offered, any other list may be typed
# (a value outside the list is only a warning).
WEEKDAY_SETS = (
    '"'
    + ",".join(
        [
            *WEEKDAYS,
            "mon; wed",
            "tue; thu",
            "wed; fri",
            "mon; wed; fri",
            "tue; thu; sat",
            "sat; sun",
        ]
    )
    + '"'
)
# Drop-downs: (sheet, column header) -> the list it offers; a value not in it is only a warning
# (staff may add the topic on its sheet later), the importer checks it anyway.
DROP_DOWNS: dict[tuple[str, str], str] = {
    ("courses", "topic"): _id_range("topics"),
    ("courses", "center"): _id_range("centers"),
    ("courses", "weekdays"): WEEKDAY_SETS,
    ("closures", "library"): _id_range("libraries"),
    ("stops", "weekly_weekday"): WEEKDAY_LIST,
    ("announcements", "course"): _id_range("courses"),
}
# Columns that hold several values get a hint instead (a drop-down holds one value).
HINTS: dict[tuple[str, str], str] = {
    ("courses", "weekdays"): "mon; tue; wed; thu; fri; sat; sun — ví dụ: tue; thu",
    ("announcements", "topics"): "mã chủ đề ở sheet Chủ đề, cách nhau bằng dấu ;",
}


def _write_sheet(
    ws: Worksheet, kind: str, columns: list[Column], items: Iterable[dict[str, Any]]
) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    ws.append([c.title for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for item in items:
        ws.append([_safe(_plain(c.get(item))) for c in columns])
    for cell_row in ws.iter_rows(min_row=2):
        for cell in cell_row:
            cell.data_type = "s" if isinstance(cell.value, str) else cell.data_type
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for index, column in enumerate(columns, start=1):
        letter = _col(index)
        ws.column_dimensions[letter].width = column.width
        cells = f"{letter}2:{letter}{MAX_ROWS}"
        source = DROP_DOWNS.get((kind, column.header))
        hint = HINTS.get((kind, column.header))
        if source is not None:
            check = DataValidation(type="list", formula1=source, allow_blank=True)
            check.errorStyle = "warning"
            check.errorTitle = "Giá trị không có trong danh sách"
            check.error = "Hãy chọn trong danh sách thả xuống (" + column.help + ")."
            check.promptTitle = column.title
            check.prompt = HINTS.get((kind, column.header), column.help)
            check.showErrorMessage = True
            check.showInputMessage = True
        elif hint is not None:
            check = DataValidation(allow_blank=True)
            check.promptTitle = column.title
            check.prompt = hint
            check.showInputMessage = True
        else:
            continue
        check.add(cells)
        ws.add_data_validation(check)
    ws.freeze_panes = "B2" if columns[0].header == "id" else "A2"


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def write_workbook(pack: Pack) -> bytes:
    """The pack as an .xlsx file (bytes): Vietnamese sheets and headers, drop-downs, a guide."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from bot.pack.dump import pack_files

    files = pack_files(pack)
    wb = Workbook()
    guide = wb.active
    assert guide is not None
    guide.title = GUIDE_SHEET
    guide.append(["Sheet", "Cột", "Tên trong tệp YAML", "Ý nghĩa"])
    guide.append([SHEET_TITLES["pack"], "Mục / Giá trị", "", "thông tin chung và xe thư viện"])
    for sheet, columns in SHEETS.items():
        for column in columns:
            guide.append([SHEET_TITLES[sheet], column.title, column.header, column.help])
    guide.append([])
    for line in (
        "Mỗi dòng là một mục; dòng đầu là tên cột, đừng sửa tên cột.",
        "Ngày viết năm-tháng-ngày, ví dụ 2026-12-01; giờ viết 07:30-11:30.",
        "Ô bắt đầu bằng ' là chữ; không dùng công thức.",
        "Kiểm tra trước khi nạp: hoctap content check TỆP.xlsx",
    ):
        guide.append(["", "", "", line])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCD", (20, 26, 18, 70), strict=True):
        guide.column_dimensions[letter].width = width
    guide.freeze_panes = "A2"

    ws = wb.create_sheet(SHEET_TITLES["pack"])
    ws.append(["Mục", "Giá trị"])
    for key in PACK_KEYS:
        ws.append([PACK_LABELS[key], _safe(files["pack.yaml"].get(key))])
    vehicle = (files.get("mobile_library.yaml") or {}).get("vehicle") or {}
    for key in VEHICLE_KEYS:
        ws.append([PACK_LABELS[f"vehicle_{key}"], _safe(vehicle.get(key))])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for cell_row in ws.iter_rows(min_row=2):
        for cell in cell_row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 80
    ws.freeze_panes = "A2"

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
        _write_sheet(wb.create_sheet(SHEET_TITLES[sheet]), sheet, columns, rows[sheet])
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
        where = [f"sheet {self.sheet}"]  # sheet, dòng, cột: the words Excel shows
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
    """Refuse, before loading, workbooks that unpack far larger than they are (zip bombs),
    hold too many parts, or have a sheet of more than ``MAX_ROWS`` rows."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = check_archive(archive, max_unpacked=MAX_UNPACKED_BYTES, what="tệp Excel")
            check_sheet_rows(archive, members, MAX_ROWS)
    except LimitError as exc:
        raise UploadError(str(exc)) from None
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, zlib.error):
        raise UploadError(
            "không phải tệp Excel .xlsx hợp lệ (có thể bị hỏng hoặc có mật khẩu)"
        ) from None


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
    # Closures live on their own sheet: (library id, closure index) -> row
    closure_rows: dict[tuple[str, int], int] = {}
    pack_key_rows: dict[str, int] = {}
    formula_cells: set[tuple[str, int, str | None]] = set()  # reported: not "missing" too
    names: dict[str, str] = {name.strip().casefold(): name for name in wb.sheetnames}

    def sheet_name(kind: str) -> str | None:
        """The workbook's sheet for a kind: its Vietnamese title or its old English name."""
        for candidate in (SHEET_TITLES[kind], kind):
            if candidate.casefold() in names:
                return names[candidate.casefold()]
        return None

    def rows_of(kind: str) -> list[tuple[int, dict[str, Any]]]:
        sheet = sheet_name(kind)
        if sheet is None:
            return []
        title = SHEET_TITLES[kind]
        ws = wb[sheet]
        if ws.max_row > MAX_ROWS:
            problems.append(SheetProblem(title, None, None, f"quá {MAX_ROWS} dòng, không nhận"))
            return []
        if kind == "pack":
            by_title = {"mục": "key", "giá trị": "value", "key": "key", "value": "value"}
        else:
            by_title = {}
            for column in SHEETS[kind]:
                by_title[column.header.casefold()] = column.header
                by_title[column.title.casefold()] = column.header
        out: list[tuple[int, dict[str, Any]]] = []
        header: list[str] = []
        for number, cells in enumerate(ws.iter_rows(), start=1):
            if number == 1:
                header = []
                for c in cells:
                    text = str(c.value).strip() if c.value is not None else ""
                    if text and text.casefold() not in by_title:
                        problems.append(SheetProblem(title, 1, text, "cột lạ (gõ nhầm tên cột?)"))
                    header.append(by_title.get(text.casefold(), ""))
                continue
            values: dict[str, Any] = {}
            for name, cell in zip(header, cells, strict=False):
                if not name:
                    continue
                if cell.data_type == "f":
                    # on the pack sheet a row is one setting: the whole row is that cell
                    cell_name = "Giá trị" if kind == "pack" else _title(kind, name)
                    formula_cells.add((title, number, None if kind == "pack" else cell_name))
                    problems.append(
                        SheetProblem(title, number, cell_name, "ô chứa công thức; hãy dán giá trị")
                    )
                    continue
                values[name] = _cell_value(cell)
            if any(v is not None for v in values.values()):
                out.append((number, values))
        return out

    pack_rows: dict[str, Any] = {}
    by_label = {label.casefold(): key for key, label in PACK_LABELS.items()}
    for number, row in rows_of("pack"):
        typed = str(row.get("key") or "").strip()
        key = by_label.get(typed.casefold(), typed)
        pack_rows[key] = row.get("value")
        pack_key_rows[key] = number
    if sheet_name("pack") is None:
        problems.append(
            SheetProblem(SHEET_TITLES["pack"], None, None, "thiếu sheet 'Thông tin chung'")
        )
    else:
        raw["pack.yaml"] = {k: pack_rows[k] for k in PACK_KEYS if pack_rows.get(k) is not None}

    def items(kind: str) -> list[dict[str, Any]]:
        columns = {c.header: c for c in SHEETS[kind]}
        out: list[dict[str, Any]] = []
        for number, values in rows_of(kind):
            item: dict[str, Any] = {}
            for name, value in values.items():
                if name in columns:
                    columns[name].put(item, value)
            item_id = item.get("id")
            label = str(item_id).strip() if item_id else f"mục thứ {len(out) + 1}"
            origin[(FILE_OF[kind], label)] = (kind, number)
            out.append(item)
        return out

    for kind in ("topics", "centers", "courses", "faq", "announcements"):
        if sheet_name(kind) is not None:
            raw[FILE_OF[kind]] = items(kind)
    if sheet_name("libraries") is not None:
        libraries = items("libraries")
        by_id = {lib.get("id"): lib for lib in libraries}
        for number, values in rows_of("closures"):
            lib = by_id.get(values.get("library"))
            if lib is None:
                problems.append(
                    SheetProblem(
                        SHEET_TITLES["closures"],
                        number,
                        _title("closures", "library"),
                        f"không có thư viện nào mang mã '{values.get('library') or ''}' "
                        "ở sheet Thư viện",
                    )
                )
                continue
            closure = {k: values[k] for k in ("from", "to", "reason") if values.get(k) is not None}
            closures = lib.setdefault("closures", [])
            closure_rows[(str(lib.get("id")).strip(), len(closures))] = number
            closures.append(closure)
        raw["libraries.yaml"] = libraries
    vehicle = {k: pack_rows.get(f"vehicle_{k}") for k in VEHICLE_KEYS}
    stops = items("stops") if sheet_name("stops") is not None else []
    if any(v is not None for v in vehicle.values()) or stops:
        raw["mobile_library.yaml"] = {
            "vehicle": {k: v for k, v in vehicle.items() if v is not None},
            "stops": stops,
        }
    if sheet_name("lexicon") is not None:
        raw["lexicon.yaml"] = {
            str(r["short"]): r.get("means") for _, r in rows_of("lexicon") if r.get("short")
        }

    pack, pack_problems = parse_pack(raw)
    for p in pack_problems:
        located = _locate(p, origin, closure_rows, pack_key_rows)
        at = {(located.sheet, located.row, located.column), (located.sheet, located.row, None)}
        if at & formula_cells and located.message.startswith("chưa điền"):
            continue
        problems.append(located)
    # Read in the order of the workbook: a row's problems together, rows top to bottom.
    order = {title: index for index, title in enumerate(SHEET_TITLES.values())}
    problems.sort(key=lambda p: (order.get(p.sheet, len(order)), p.row or 0))
    return (pack if not problems else None), problems


def _title(kind: str, header: str) -> str:
    """The Vietnamese header of a column, from its machine name."""
    column = next((c for c in SHEETS.get(kind, []) if c.header == header), None)
    return column.title if column is not None else header


def _locate(
    problem: Problem,
    origin: dict[tuple[str, str], tuple[str, int]],
    closure_rows: dict[tuple[str, int], int],
    pack_key_rows: dict[str, int],
) -> SheetProblem:
    """Put a pack problem (file, item, field) back on its sheet, row and column."""
    parts = problem.path.split(".") if problem.path else []
    head = parts[0] if parts else ""
    if problem.file == "pack.yaml" or (
        problem.file == "mobile_library.yaml" and problem.item == "vehicle"
    ):
        key = head if problem.file == "pack.yaml" else f"vehicle_{head}"
        column = f"Giá trị ({PACK_LABELS[key]})" if key in PACK_LABELS else None
        row = pack_key_rows.get(key)
        return SheetProblem(SHEET_TITLES["pack"], row, column, problem.message)
    kind, row = origin.get((problem.file, problem.item), (None, None))
    if kind is None:
        kind = next((k for k, f in FILE_OF.items() if f == problem.file), problem.file)
    header: str | None = head or None
    if head in ("weekly", "location") and len(parts) > 1:
        header = f"weekly_{parts[1]}" if head == "weekly" else parts[1]
    elif head == "hours" and len(parts) > 1:
        header = f"hours_{parts[1]}"
    elif head == "closures":
        index = int(parts[1]) if len(parts) > 1 and parts[1].isdecimal() else -1
        row = closure_rows.get((problem.item, index))
        kind = "closures"
        header = parts[2] if len(parts) > 2 else None
    known = {c.header for c in SHEETS.get(kind, [])}
    column = _title(kind, header) if header in known else None
    if column is None and problem.field != "-":
        column = problem.field
    return SheetProblem(SHEET_TITLES.get(kind, kind), row, column, problem.message)


def read_workbook_file(path: Path) -> tuple[Pack | None, list[SheetProblem]]:
    """Read an .xlsx file from disk."""
    return read_workbook(path.read_bytes())
