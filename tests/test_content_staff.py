"""A librarian's first hour with the content commands (issue 20, items 1–5).

Each test makes the very mistake the issue describes, in the file as a person types it, and
checks what `hoctap content check` / `import` say: one clear Vietnamese line per mistake, the
value typed and a good example, no traceback, no English, no false follow-on errors.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.pack import load_pack
from bot.pack.xlsx import write_workbook
from tests.conftest import BUNDLED_PACK, DEV_PACK
from tests.test_cli import env, hoctap  # noqa: F401 - env is a fixture

# What must never reach a librarian: pydantic's and PyYAML's English, click's, dotted paths.
ENGLISH_OR_PATHS = re.compile(
    r"' or '|Input should|mapping values|not allowed|Invalid value|Traceback|Error"
    r"|weekdays\.\d|hours\.\w|closures\.\d|location\.|weekly\.|\bfield\b|\bvalue\b"
)


def _pack(tmp_path: Path) -> Path:
    target = tmp_path / "pack"
    shutil.copytree(DEV_PACK, target)
    return target


def _replace(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _check(folder: Path | str, environ: dict[str, str]):  # type: ignore[no-untyped-def]
    return hoctap("content", "check", str(folder), env=environ)


# --- 1. an impossible date is one clear line, never a traceback ---------------------------


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("2027-02-30", "'2027-02-30' không có trên lịch (tháng 2/2027 chỉ có 28 ngày)"),
        ("2026-12-32", "'2026-12-32' không có trên lịch (tháng 12/2026 chỉ có 31 ngày)"),
        ("2026-13-01", "'2026-13-01' không có tháng 13"),
    ],
)
def test_an_impossible_date_is_one_clear_line(
    clean_env: dict[str, str], tmp_path: Path, typed: str, says: str
) -> None:
    pack = _pack(tmp_path)
    _replace(pack, "courses.yaml", "start_date: 2026-12-01", f"start_date: {typed}")
    result = _check(pack, clean_env)
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert lines == [
        f"courses.yaml: smartphone-nguoi-cao-tuoi: ngày khai giảng (start_date): {says}"
        + lines[0].split(says, 1)[1]
    ]
    assert "ví dụ 20" in lines[0]  # a good date to copy
    assert result.stderr.strip() == "1 lỗi."
    assert not ENGLISH_OR_PATHS.search(result.stdout + result.stderr)


@pytest.mark.parametrize("typed", ["2027-02-30", "2026-12-32", "2026-13-01"])
def test_import_of_an_impossible_date_changes_nothing_and_says_why(
    env: dict[str, str],  # noqa: F811
    tmp_path: Path,
    typed: str,
) -> None:
    pack = _pack(tmp_path)
    _replace(pack, "courses.yaml", "start_date: 2026-12-01", f"start_date: {typed}")
    result = hoctap("content", "import", str(pack), env=env)
    assert result.returncode == 1
    assert len(result.stdout.strip().splitlines()) == 1 and typed in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert "không có gì thay đổi" in result.stderr


def test_impossible_dates_as_a_real_process_give_no_traceback(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    pack = _pack(tmp_path)
    _replace(pack, "courses.yaml", "start_date: 2026-12-01", "start_date: 2027-02-30")
    _replace(pack, "libraries.yaml", "to: 2027-02-21", "to: 2026-12-32")
    _replace(pack, "announcements.yaml", "publish_at: 2026-11-25T08:00", "publish_at: 2026-13-01")
    result = hoctap("content", "check", str(pack), env=clean_env, real=True)
    assert result.returncode == 1, result.stderr
    assert len(result.stdout.strip().splitlines()) == 3
    assert "Traceback" not in result.stderr and "2026-12-32" in result.stdout
    assert "'2026-13-01' không có tháng 13" in result.stdout


# --- 2. one mistake is one error, not a cascade ----------------------------------------


def test_a_centre_with_a_key_typo_does_not_orphan_its_courses(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    pack = _pack(tmp_path)
    _replace(pack, "centers.yaml", "  address: Nhà văn hóa tổ 7", "  adress: Nhà văn hóa tổ 7")
    lines = _check(pack, clean_env).stdout.strip().splitlines()
    assert lines == [
        "centers.yaml: tthtcd-duc-xuan: 'adress': tên trường lạ, không có trong định dạng nên "
        "không được dùng; có phải định viết 'address'?"
    ]


def test_a_course_with_a_bad_date_does_not_orphan_its_announcement(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    pack = _pack(tmp_path)
    _replace(pack, "courses.yaml", "start_date: 2026-12-01", "start_date: 07/12/2026")
    lines = _check(pack, clean_env).stdout.strip().splitlines()
    assert len(lines) == 1, lines
    assert "không có lớp học nào" not in lines[0]
    assert lines[0].endswith(
        "ngày khai giảng (start_date): '07/12/2026' viết theo kiểu ngày/tháng/năm; "
        "hãy viết năm-tháng-ngày: 2026-12-07"
    )


def test_a_real_dangling_reference_is_still_reported(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    pack = _pack(tmp_path)
    _replace(pack, "courses.yaml", "center: tthtcd-duc-xuan", "center: tthtcd-duc-xuan-2")
    _replace(pack, "courses.yaml", "start_date: 2026-12-01", "start_date: 2026-12-32")
    lines = _check(pack, clean_env).stdout.strip().splitlines()
    assert len(lines) == 2
    assert any("không có trung tâm nào mang mã 'tthtcd-duc-xuan-2' (có: " in x for x in lines)


# --- 3. messages a librarian can read --------------------------------------------------


def test_every_mistake_is_said_in_staff_words_with_the_value_and_an_example(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    pack = _pack(tmp_path)
    _replace(pack, "courses.yaml", "weekdays: [tue, fri]", "weekdays: [t3, fri]")
    _replace(pack, "courses.yaml", "fee: 150000", "fee: 150.000 đồng")
    _replace(pack, "libraries.yaml", '    sun: ["08:00-11:30"]', '    cn: ["08:00-11:30"]')
    _replace(pack, "libraries.yaml", "to: 2027-02-21", "to: 21/02/2027")
    _replace(pack, "libraries.yaml", "lat: 22.1465", "lat: 222.1465")
    result = _check(pack, clean_env)
    out = result.stdout
    lines = out.strip().splitlines()
    assert len(lines) == 5, lines
    assert not ENGLISH_OR_PATHS.search(out + result.stderr), out
    assert (
        "smartphone-nguoi-cao-tuoi: ngày thứ 1 trong danh sách thứ học (weekdays): 't3' không "
        "phải tên thứ; dùng mon, tue, wed, thu, fri, sat, sun (thứ Hai … Chủ nhật); "
        "có phải định viết tue (thứ Ba)?"
    ) in out
    assert (
        "học phí (fee): '150.000 đồng': cần một số nguyên; ví dụ 0 (miễn phí) hoặc 150000" in out
    )
    assert "giờ mở cửa (hours): 'cn' không phải tên thứ" in out
    assert "có phải định viết sun (Chủ nhật)?" in out
    assert (
        "ngày nghỉ cuối (to) của đợt nghỉ thứ 1 (closures): '21/02/2027' viết theo kiểu "
        "ngày/tháng/năm; hãy viết năm-tháng-ngày: 2027-02-21"
    ) in out
    assert "vĩ độ (lat) của tọa độ (location): 222.1465 quá lớn: tối đa 90; ví dụ 22.147" in out


def test_a_yaml_slip_is_explained_as_the_guide_teaches(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    pack = _pack(tmp_path)
    path = pack / "faq.yaml"
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("  answer: "))
    lines[index] = "  answer: Chú ý: mang theo căn cước"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = _check(pack, clean_env).stdout.strip()
    assert out.startswith(f"faq.yaml: -: -: lỗi cú pháp YAML ở dòng {index + 1}, cột ")
    assert "hãy để cả câu trong ngoặc kép" in out and "Chú ý: mang theo căn cước" in out
    assert not ENGLISH_OR_PATHS.search(out)


def test_a_tab_and_an_unclosed_list_are_said_in_vietnamese(tmp_path: Path) -> None:
    pack = _pack(tmp_path)
    (pack / "topics.yaml").write_text("- id: a\n\tname: b\n", encoding="utf-8")
    (pack / "faq.yaml").write_text("- id: a\n  tags: [x, y\n", encoding="utf-8")
    _, problems = load_pack(pack)
    text = "\n".join(str(p) for p in problems)
    assert "Tab" in text and "danh sách [ ... ] chưa đóng ngoặc" in text
    assert not ENGLISH_OR_PATHS.search(text)


def test_rollback_with_a_word_instead_of_a_number(env: dict[str, str]) -> None:  # noqa: F811
    result = hoctap("content", "rollback", "abc", env=env)
    assert result.returncode == 2
    assert "'abc' không phải số phiên bản" in result.stderr
    assert "hoctap content rollback 3" in result.stderr
    assert "Invalid value" not in result.stdout + result.stderr


# --- 4. check reads what import reads ----------------------------------------------------


def test_check_accepts_a_spreadsheet_and_a_zip(clean_env: dict[str, str], tmp_path: Path) -> None:
    pack, _ = load_pack(DEV_PACK)
    assert pack is not None
    sheet = tmp_path / "noi-dung.xlsx"
    sheet.write_bytes(write_workbook(pack))
    result = _check(sheet, clean_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Hợp lệ: 6 chủ đề")
    archive = tmp_path / "noi-dung.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in DEV_PACK.iterdir():
            z.write(path, path.name)
    assert _check(archive, clean_env).returncode == 0
    not_a_pack = tmp_path / "ghi-chu.txt"
    not_a_pack.write_text("x", encoding="utf-8")
    refused = _check(not_a_pack, clean_env)
    assert refused.returncode == 1 and "chỉ nhận tệp Excel .xlsx hoặc .zip" in refused.stderr


def test_check_reports_every_mistake_of_a_spreadsheet_row_at_once(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    pack, _ = load_pack(DEV_PACK)
    assert pack is not None
    wb = load_workbook(io.BytesIO(write_workbook(pack)))
    courses = wb["Lớp học"]
    courses["F2"], courses["H2"], courses["I2"], courses["J2"] = "2026-12-32", "t3", "7h-9h", "x"
    sheet = tmp_path / "sai.xlsx"
    wb.save(sheet)
    result = _check(sheet, clean_env)
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 4 and all(x.startswith("sheet Lớp học, dòng 2, cột ") for x in lines)
    assert not ENGLISH_OR_PATHS.search(result.stdout)


# --- 5. previews and versions in Vietnamese, before → after ------------------------------


def test_import_preview_and_versions_say_what_changes_before_and_after(
    env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    assert hoctap("content", "import", str(DEV_PACK), env=env).returncode == 0
    edited = _pack(tmp_path)
    _replace(edited, "courses.yaml", 'time: "19:00-21:00"', 'time: "18:30-20:30"')
    _replace(edited, "courses.yaml", "fee: 0", "fee: 20000")
    dry = hoctap("content", "import", str(edited), "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert "lớp học: sửa 1 (smartphone-nguoi-cao-tuoi)" in dry.stdout
    assert (
        '  • smartphone-nguoi-cao-tuoi: giờ (time): "19:00-21:00" → "18:30-20:30"; '
        "học phí (fee): 0 → 20000"
    ) in dry.stdout
    assert "~1" not in dry.stdout
    assert hoctap("content", "import", str(edited), env=env).returncode == 0
    listing = hoctap("content", "versions", env=env).stdout
    first_line = listing.splitlines()[0]
    assert first_line.startswith("*   2") and first_line.endswith("lớp học: sửa 1")
    assert '"19:00-21:00" → "18:30-20:30"' in listing
    assert "+0" not in listing and "~" not in listing and "courses" not in listing


# --- 5. the YAML export keeps what staff write --------------------------------------------


def test_yaml_export_import_export_of_the_bundled_pack_is_byte_identical(
    env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    assert hoctap("content", "import", str(BUNDLED_PACK), env=env).returncode == 0
    first = tmp_path / "lan-1"
    out = hoctap("content", "export", str(first), env=env)
    assert out.returncode == 0, out.stderr
    for path in sorted(BUNDLED_PACK.glob("*.yaml")):
        assert (first / path.name).read_text(encoding="utf-8") == path.read_text(
            encoding="utf-8"
        ), path.name  # comments, quotes and [flow, lists] as the authors wrote them
    again = hoctap("content", "import", str(first), env=env)
    assert again.returncode == 0 and "không tạo phiên bản mới" in again.stdout
    edited = tmp_path / "sua"
    shutil.copytree(first, edited)
    _replace(edited, "faq.yaml", "Lệ phí 30.000 đồng/năm", "Lệ phí 35.000 đồng/năm")
    assert hoctap("content", "import", str(edited), env=env).returncode == 0
    second = tmp_path / "lan-2"
    assert hoctap("content", "export", str(second), env=env).returncode == 0
    for path in sorted(edited.glob("*.yaml")):
        assert (second / path.name).read_bytes() == path.read_bytes(), path.name


def test_yaml_export_writes_the_guide_style_and_only_changes_what_changed(
    tmp_path: Path,
) -> None:
    from bot.pack import dump_pack

    pack, _ = load_pack(BUNDLED_PACK)
    assert pack is not None
    fresh = tmp_path / "moi"
    dump_pack(pack, fresh)  # no template: the guide's way of writing
    courses = (fresh / "courses.yaml").read_text(encoding="utf-8")
    assert '  time: "14:00-16:30"' in courses and "  weekdays: [tue, thu]" in courses
    libraries = (fresh / "libraries.yaml").read_text(encoding="utf-8")
    assert '  phone: "0209 3870 226"' in libraries
    assert '    mon: ["07:30-11:30", "13:30-17:00"]' in libraries
    assert "    - {from: 2027-02-04, to: 2027-02-10, reason: Nghỉ Tết Nguyên đán" in libraries
    stops = (fresh / "mobile_library.yaml").read_text(encoding="utf-8")
    assert "weekly: {weekday: tue, every: 2, first: 2026-11-03, until: 2027-12-31}" in stops
    answer = next(f.answer for f in pack.faq if len(f.answer) > 200)
    assert f"  answer: {answer}\n" in (fresh / "faq.yaml").read_text(encoding="utf-8")
    assert load_pack(fresh)[0] == pack

    course = pack.courses[0].model_copy(update={"time": "18:00-20:00", "weekdays": ["mon"]})
    changed = pack.model_copy(update={"courses": [course, *pack.courses[1:]]})
    kept = tmp_path / "giu"
    dump_pack(changed, kept, template=BUNDLED_PACK)
    before = (BUNDLED_PACK / "courses.yaml").read_text(encoding="utf-8").splitlines()
    after = (kept / "courses.yaml").read_text(encoding="utf-8").splitlines()
    differ = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert differ == [
        ("  weekdays: [tue, thu]", "  weekdays: [mon]"),
        ('  time: "14:00-16:30"', '  time: "18:00-20:00"'),
    ]
    assert before[0].startswith("# ") and after[0] == before[0]


# --- 6. the format is documented inside the repository ------------------------------------


def test_the_format_page_names_exactly_the_fields_the_checker_accepts() -> None:
    from bot.pack import models

    root = BUNDLED_PACK.parent
    page = (root / "docs" / "DINH_DANG_NOI_DUNG.md").read_text(encoding="utf-8")
    for model in (
        models.PackInfo,
        models.Topic,
        models.Center,
        models.Course,
        models.Library,
        models.Closure,
        models.Vehicle,
        models.Stop,
        models.Weekly,
        models.Faq,
        models.Announcement,
        models.Location,
    ):
        for name, info in model.model_fields.items():
            assert f"`{info.alias or name}`" in page, (model.__name__, name)
    documented = set(re.findall(r"^\| `(\w+)` \|", page, flags=re.MULTILINE))
    accepted = {
        info.alias or name
        for model in (
            models.PackInfo,
            models.Topic,
            models.Center,
            models.Course,
            models.Library,
            models.Stop,
            models.Faq,
            models.Announcement,
        )
        for name, info in model.model_fields.items()
    }
    assert documented <= accepted  # no field the checker would call unknown
    assert ("registration_closes" in page) == ("registration_closes" in models.Course.model_fields)
    for guide in (root / "README.md", root / "content" / "GUIDE.md"):
        text = guide.read_text(encoding="utf-8")
        assert "docs/DINH_DANG_NOI_DUNG.md" in text
    assert "CONTENT_FORMAT" not in (root / "content" / "GUIDE.md").read_text(encoding="utf-8")
    staff_part = (root / "README.md").read_text(encoding="utf-8").split("## For staff")[1]
    assert "../shared" not in staff_part.split("\n## ")[0]


def test_a_file_that_cannot_be_read_does_not_orphan_the_items_pointing_into_it(
    tmp_path: Path,
) -> None:
    pack = _pack(tmp_path)
    (pack / "centers.yaml").write_text("- id: a\n  name: [unclosed\n", encoding="utf-8")
    (pack / "pack.yaml").write_text("name: x\n\tcontact: y\n", encoding="utf-8")
    _, problems = load_pack(pack)
    lines = [str(p) for p in problems]
    assert len(lines) == 2, lines
    assert lines[0].startswith("pack.yaml: -: -: lỗi cú pháp YAML ở dòng 2")
    assert lines[1].startswith("centers.yaml: -: -: lỗi cú pháp YAML ở dòng")


def test_a_formula_is_one_problem_not_also_a_missing_value() -> None:
    from bot.pack.xlsx import read_workbook

    pack, _ = load_pack(DEV_PACK)
    assert pack is not None
    wb = load_workbook(io.BytesIO(write_workbook(pack)))
    wb["Lớp học"]["B2"] = "=A1"
    wb["Thông tin chung"]["B2"] = "=1"
    wb["Thông tin chung"]["B6"] = None  # the contact left empty
    out = io.BytesIO()
    wb.save(out)
    _, problems = read_workbook(out.getvalue())
    assert [str(p) for p in problems] == [
        "sheet Thông tin chung, dòng 2, cột Giá trị: ô chứa công thức; hãy dán giá trị",
        "sheet Thông tin chung, dòng 6, cột Giá trị (Liên hệ): chưa điền (trường bắt buộc)",
        "sheet Lớp học, dòng 2, cột Tên lớp: ô chứa công thức; hãy dán giá trị",
    ]


def test_times_and_phones_typed_without_quotes_are_read_as_typed(tmp_path: Path) -> None:
    pack = _pack(tmp_path)
    _replace(pack, "courses.yaml", 'time: "19:00-21:00"', "time: 19:00")
    _replace(pack, "centers.yaml", 'phone: "0209 3871 120"', "phone: 0204371120")
    _, problems = load_pack(pack)
    assert [str(p) for p in problems] == [
        "courses.yaml: smartphone-nguoi-cao-tuoi: giờ (time): khoảng giờ '19:00' phải có dạng "
        'giờ:phút-giờ:phút, ví dụ "07:30-11:30"'
    ]
    _replace(pack, "courses.yaml", "time: 19:00", 'time: "19:00-21:00"')
    loaded, _ = load_pack(pack)
    assert loaded is not None and loaded.centers[0].phone == "0204371120"


def test_a_command_without_its_folder_says_so_in_vietnamese(clean_env: dict[str, str]) -> None:
    for command, verb in (("check", "kiểm tra"), ("import", "nạp")):
        result = hoctap("content", command, env=clean_env)
        assert result.returncode == 2
        assert f"thiếu thư mục hoặc tệp cần {verb}; ví dụ: hoctap content {command}" in (
            result.stderr
        )
        assert "Missing argument" not in result.stdout + result.stderr


def test_a_misspelt_key_inside_a_place_is_one_line_with_the_right_name(tmp_path: Path) -> None:
    pack = _pack(tmp_path)
    _replace(
        pack, "centers.yaml", "{lat: 22.1470, lon: 105.8340}", "{lat: 22.1470, lng: 105.8340}"
    )
    _, problems = load_pack(pack)
    assert [str(p) for p in problems] == [
        "centers.yaml: tthtcd-duc-xuan: 'lng': tên trường lạ trong tọa độ (location), không có "
        "trong định dạng nên không được dùng; có phải định viết 'lon'?"
    ]
