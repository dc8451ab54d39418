"""The spreadsheet round-trip: export, edit as staff would, import; bad files change nothing."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
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
    assert wb.sheetnames[0] == "hướng dẫn"
    assert {"pack", "topics", "centers", "courses", "libraries", "closures", "stops", "faq",
            "announcements"} <= set(wb.sheetnames)  # fmt: skip
    assert [c.value for c in wb["courses"][1]][:4] == ["id", "title", "topic", "center"]


def test_formula_like_cells_are_escaped_and_come_back(tmp_path: Path) -> None:
    pack = _pack(DEV_PACK)
    risky = pack.faq[0].model_copy(
        update={"answer": '=HYPERLINK("http://x")', "question": "+84 hỏi?"}
    )
    pack = pack.model_copy(update={"faq": [risky, *pack.faq[1:]]})
    data = write_workbook(pack)
    ws = load_workbook(io.BytesIO(data))["faq"]
    answer_cell = ws.cell(row=2, column=4)
    assert answer_cell.value.startswith("'=") and answer_cell.data_type == "s"
    again, problems = read_workbook(data)
    assert problems == [] and again is not None and again.faq[0].answer == risky.answer


def test_errors_are_listed_by_sheet_row_and_column() -> None:
    data = write_workbook(_pack(DEV_PACK))

    def break_it(wb: Workbook) -> None:
        courses = wb["courses"]
        courses["C3"] = "khong-co-chu-de"  # topic of the second course
        courses["I4"] = "08:00-25:00"  # time of the third course
        courses["J5"] = "=1+1"  # a formula in the fee
        wb["faq"]["Z1"] = "mau_sac"  # an unknown column

    _, problems = read_workbook(_edit(data, break_it))
    text = [str(p) for p in problems]
    assert "sheet courses, dòng 5, cột fee: ô chứa công thức; hãy dán giá trị" in text
    assert "sheet faq, dòng 1, cột mau_sac: cột lạ (gõ nhầm tên cột?)" in text
    assert any(t.startswith("sheet courses, dòng 3, cột topic: không có chủ đề") for t in text)
    assert any(t.startswith("sheet courses, dòng 4, cột time: giờ không tồn tại") for t in text)


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
    ws = wb["faq"]
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
