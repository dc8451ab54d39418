"""The spreadsheet round-trip: export, edit as staff would, import; bad files change nothing."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from bot.pack import load_pack
from bot.pack.models import Pack
from bot.pack.sources import read_bytes, read_source
from bot.pack.xlsx import UploadError, read_workbook, write_workbook
from tests.conftest import BUNDLED_PACK, DEV_PACK


def _pack(folder: Path) -> Pack:
    pack, problems = load_pack(folder)
    assert pack is not None, problems
    return pack


def _edit(data: bytes, change) -> bytes:  # type: ignore[no-untyped-def]
    wb = load_workbook(io.BytesIO(data))
    change(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.parametrize("folder", [DEV_PACK, BUNDLED_PACK])
def test_export_then_import_is_lossless(folder: Path) -> None:
    pack = _pack(folder)
    again, problems = read_workbook(write_workbook(pack))
    assert problems == [] and again == pack


def test_workbook_has_a_guide_and_one_sheet_per_kind() -> None:
    wb = load_workbook(io.BytesIO(write_workbook(_pack(DEV_PACK))))
    assert wb.sheetnames[0] == "Hướng dẫn"
    assert {
        "Thông tin chung",
        "Chủ đề",
        "Trung tâm",
        "Lớp học",
        "Thư viện",
        "Ngày nghỉ thư viện",
        "Điểm dừng xe",
        "Hỏi đáp",
        "Thông báo",
    } <= set(wb.sheetnames)
    assert [c.value for c in wb["Lớp học"][1]][:4] == ["Mã", "Tên lớp", "Chủ đề", "Nơi học"]


def test_workbook_is_made_for_people_to_fill_in() -> None:
    wb = load_workbook(io.BytesIO(write_workbook(_pack(BUNDLED_PACK))))
    libraries = wb["Thư viện"]
    headers = [c.value for c in libraries[1]]
    assert "Giờ mở cửa thứ Hai" in headers and "Giờ mở cửa Chủ nhật" in headers
    assert not any("_" in str(h) for ws in wb.worksheets[1:] for h in next(ws.values))
    courses = wb["Lớp học"]
    assert courses.freeze_panes == "B2" and wb["Ngày nghỉ thư viện"].freeze_panes == "A2"
    assert courses.column_dimensions["B"].width >= 30
    lists = {
        str(v.sqref).split(":")[0]: v.formula1
        for v in courses.data_validations.dataValidation
        if v.type == "list"
    }
    assert lists["C2"] == "='Chủ đề'!$A$2:$A$20000"
    assert lists["D2"] == "='Trung tâm'!$A$2:$A$20000"
    assert lists["H2"].startswith('"mon,tue,wed,thu,fri,sat,sun,') and "tue; thu" in lists["H2"]
    assert len(lists["H2"]) <= 255  # Excel's limit for a typed list
    stops = wb["Điểm dừng xe"]
    weekday = [v for v in stops.data_validations.dataValidation if v.type == "list"]
    assert weekday and weekday[0].formula1 == '"mon,tue,wed,thu,fri,sat,sun"'
    hints = [v.prompt for v in courses.data_validations.dataValidation]
    assert any("tue; thu" in str(h) for h in hints)
    warned = [v.errorStyle for v in courses.data_validations.dataValidation if v.type == "list"]
    assert set(warned) == {"warning"}  # a new topic or another set of days is still accepted
    closures = wb["Ngày nghỉ thư viện"].data_validations.dataValidation
    assert closures[0].formula1 == "='Thư viện'!$A$2:$A$20000"


def test_an_old_style_spreadsheet_with_english_names_is_still_read() -> None:
    from bot.pack.xlsx import PACK_LABELS, SHEET_TITLES, SHEETS

    pack = _pack(DEV_PACK)

    def old_style(wb: Workbook) -> None:
        keys = {label: key for key, label in PACK_LABELS.items()}
        for kind, title in SHEET_TITLES.items():
            ws = wb[title]
            ws.title = kind
            if kind == "pack":
                ws["A1"], ws["B1"] = "key", "value"
                for row in ws.iter_rows(min_row=2, max_col=1):
                    row[0].value = keys[row[0].value]
                continue
            for cell, column in zip(ws[1], SHEETS[kind], strict=True):
                cell.value = column.header

    again, problems = read_workbook(_edit(write_workbook(pack), old_style))
    assert problems == [] and again == pack


def test_formula_like_cells_are_escaped_and_come_back(tmp_path: Path) -> None:
    pack = _pack(DEV_PACK)
    risky = pack.faq[0].model_copy(
        update={"answer": '=HYPERLINK("http://x")', "question": "+84 hỏi?"}
    )
    pack = pack.model_copy(update={"faq": [risky, *pack.faq[1:]]})
    data = write_workbook(pack)
    ws = load_workbook(io.BytesIO(data))["Hỏi đáp"]
    answer_cell = ws.cell(row=2, column=4)
    assert answer_cell.value.startswith("'=") and answer_cell.data_type == "s"
    again, problems = read_workbook(data)
    assert problems == [] and again is not None and again.faq[0].answer == risky.answer


def test_errors_are_listed_by_sheet_row_and_column() -> None:
    data = write_workbook(_pack(DEV_PACK))

    def break_it(wb: Workbook) -> None:
        courses = wb["Lớp học"]
        courses["C3"] = "khong-co-chu-de"  # topic of the second course
        courses["I4"] = "08:00-25:00"  # time of the third course
        courses["J5"] = "=1+1"  # a formula in the fee
        wb["Hỏi đáp"]["Z1"] = "mau_sac"  # an unknown column

    _, problems = read_workbook(_edit(data, break_it))
    text = [str(p) for p in problems]
    assert "sheet Lớp học, dòng 5, cột Học phí: ô chứa công thức; hãy dán giá trị" in text
    assert "sheet Hỏi đáp, dòng 1, cột mau_sac: cột lạ (gõ nhầm tên cột?)" in text
    assert any(t.startswith("sheet Lớp học, dòng 3, cột Chủ đề: không có chủ đề") for t in text)
    assert any(t.startswith("sheet Lớp học, dòng 4, cột Giờ học: giờ không tồn tại") for t in text)


def test_a_row_with_several_mistakes_reports_them_all_at_once() -> None:
    data = write_workbook(_pack(DEV_PACK))

    def break_it(wb: Workbook) -> None:
        courses = wb["Lớp học"]
        courses["C2"] = "khong-co-chu-de"
        courses["F2"] = "2027-02-30"
        courses["H2"] = "cn; thu"
        courses["I2"] = "25:00-26:00"
        courses["J2"] = "miễn phí"
        wb["Ngày nghỉ thư viện"]["C2"] = "2026-12-32"

    _, problems = read_workbook(_edit(data, break_it))
    text = [str(p) for p in problems]
    row = [t for t in text if t.startswith("sheet Lớp học, dòng 2,")]
    assert len(row) == 5, text
    assert {t.split(", cột ")[1].split(":")[0] for t in row} == {
        "Chủ đề",
        "Ngày khai giảng",
        "Các thứ học",
        "Giờ học",
        "Học phí",
    }
    assert any("'2027-02-30' không có trên lịch" in t for t in row)
    assert any("'miễn phí'" in t and "150000" in t for t in row)
    assert any(
        t.startswith("sheet Ngày nghỉ thư viện, dòng 2, cột Đến hết ngày: '2026-12-32'")
        for t in text
    ), text


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.xlsx", b"not a spreadsheet at all", "không phải tệp Excel"),
        ("a.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "mật khẩu"),
        ("a.pdf", b"%PDF-1.4", "chỉ nhận tệp Excel .xlsx hoặc .zip"),
        ("a.zip", b"PK\x05\x06" + b"\0" * 18, "không có pack.yaml"),
    ],
)
def test_unreadable_uploads_are_refused_clearly(name: str, data: bytes, message: str) -> None:
    with pytest.raises(UploadError, match=message):
        read_bytes(name, data)


def test_zip_bomb_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("faq.yaml", b"#" * (60 * 1024 * 1024))
    assert len(buffer.getvalue()) < 1024 * 1024
    with pytest.raises(UploadError, match="giải nén quá lớn"):
        read_bytes("bomb.zip", buffer.getvalue())
    with pytest.raises(UploadError, match="giải nén quá lớn"):
        read_bytes("bomb.xlsx", buffer.getvalue())


def test_a_huge_sheet_is_refused() -> None:
    wb = load_workbook(io.BytesIO(write_workbook(_pack(DEV_PACK))))
    ws = wb["Hỏi đáp"]
    ws.cell(row=100_001, column=1, value="x")
    out = io.BytesIO()
    wb.save(out)
    _, problems = read_workbook(out.getvalue())
    assert any("quá 20000 dòng" in str(p) for p in problems)


def test_zip_of_yaml_pack() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in DEV_PACK.iterdir():
            archive.write(path, f"goi-noi-dung/{path.name}")
    pack, problems = read_bytes("goi.zip", buffer.getvalue())
    assert problems == [] and pack == _pack(DEV_PACK)


def test_zip_paths_cannot_escape(tmp_path: Path) -> None:
    escape = tmp_path / "escaped"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = "name: A\norganisation: B\ncontact: C\n"
        archive.writestr(f"../../../../../..{escape}/pack.yaml", info)
    pack, problems = read_bytes("evil.zip", buffer.getvalue())
    assert problems == [] and pack is not None and pack.info.name == "A"
    assert not escape.exists()


def test_read_source_accepts_folder_and_file(tmp_path: Path) -> None:
    target = tmp_path / "pack.xlsx"
    target.write_bytes(write_workbook(_pack(DEV_PACK)))
    assert read_source(target)[0] == read_source(DEV_PACK)[0]
    with pytest.raises(UploadError):
        read_source(tmp_path / "missing.xlsx")


ODD_CELLS = [
    "2027-02-30",
    "2026-12-32",
    "2026-13-01",
    "07/12/2026",
    "25:00-26:00",
    "cn; t7",
    "=1+1",
    "-",
    "1e400",
    "mon, tue",
]
EDITED_SHEETS = [
    "Lớp học",
    "Thư viện",
    "Ngày nghỉ thư viện",
    "Điểm dừng xe",
    "Thông báo",
    "Thông tin chung",
    "Trung tâm",
]
_CELL_VALUES = st.one_of(
    st.none(),
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=20),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.sampled_from(ODD_CELLS),
)


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(EDITED_SHEETS), st.integers(1, 5), st.integers(1, 16), _CELL_VALUES
        ),
        min_size=1,
        max_size=6,
    )
)
def test_any_cell_value_gives_problems_never_an_exception(edits: list) -> None:  # type: ignore[type-arg]
    def change(wb: Workbook) -> None:
        for sheet, row, column, value in edits:
            wb[sheet].cell(row=row, column=column, value=value)

    pack, problems = read_workbook(_edit(_DEV_WORKBOOK, change))
    assert (pack is None) == bool(problems)
    assert all(str(p).startswith("sheet ") for p in problems)


_DEV_WORKBOOK = write_workbook(_pack(DEV_PACK))
