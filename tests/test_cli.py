"""The ``hoctap`` command as a user runs it: a real subprocess, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bot.cli import cli
from bot.pack import load_pack
from tests.conftest import DEV_PACK

HOCTAP = [sys.executable, "-m", "bot.cli"]


@dataclass
class Result:
    """What a run of ``hoctap`` printed and returned."""

    returncode: int
    stdout: str
    stderr: str


def hoctap(
    *args: str, env: dict[str, str], stdin: str | None = None, real: bool = False
) -> Result:
    """Run ``hoctap ARGS``: in-process through typer's runner, or as a real subprocess."""
    if real:
        done = subprocess.run(
            [*HOCTAP, *args],
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=env,
            timeout=120,
        )
        return Result(done.returncode, done.stdout, done.stderr)
    unset = {k: None for k in os.environ if k not in env}
    result = CliRunner().invoke(cli, list(args), input=stdin, env={**unset, **env})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Result(result.exit_code, result.stdout, result.stderr)


def _versions(env: dict[str, str]) -> list[str]:
    """One line per version (the indented lines under a version say what it changed)."""
    lines = hoctap("content", "versions", env=env).stdout.splitlines()
    return [line for line in lines if "•" not in line]


@pytest.fixture
def env(clean_env: dict[str, str], database_url: str) -> dict[str, str]:
    return {**clean_env, "HOCTAP_DATABASE_URL": database_url, "PYTHONIOENCODING": "utf-8"}


def test_check_accepts_good_packs(clean_env: dict[str, str]) -> None:
    result = hoctap("content", "check", str(DEV_PACK), env=clean_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Hợp lệ: 6 chủ đề")


def test_check_rejects_a_broken_pack_with_one_line_per_problem(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    pack = tmp_path / "broken"
    shutil.copytree(DEV_PACK, pack)
    courses = yaml.safe_load((pack / "courses.yaml").read_text(encoding="utf-8"))
    courses[0]["topic"] = "khong-co"
    courses[1]["time"] = "18:30-25:00"
    courses[2]["colour"] = "đỏ"
    (pack / "courses.yaml").write_text(yaml.safe_dump(courses, allow_unicode=True), "utf-8")
    result = hoctap("content", "check", str(pack), env=clean_env)
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 3
    assert {line.split(": ")[1] for line in lines} == {
        "smartphone-nguoi-cao-tuoi",
        "tin-hoc-van-phong",
        "trong-rau-huu-co",
    }
    assert "Traceback" not in result.stdout + result.stderr


def test_import_export_rollback_round_trip(env: dict[str, str], tmp_path: Path) -> None:
    dry = hoctap("content", "import", str(DEV_PACK), "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert "hỏi đáp: thêm 15" in dry.stdout and "chạy thử" in dry.stdout
    assert hoctap("content", "versions", env=env).stdout.strip() == "Chưa có phiên bản nào."

    first = hoctap("content", "import", str(DEV_PACK), env=env)
    assert first.returncode == 0, first.stderr
    assert "Đã áp dụng: phiên bản 1." in first.stdout

    exported = tmp_path / "exported"
    out = hoctap("content", "export", str(exported), env=env)
    assert out.returncode == 0, out.stderr
    original, _ = load_pack(DEV_PACK)
    again, problems = load_pack(exported)
    assert problems == [] and again == original

    same = hoctap("content", "import", str(exported), env=env)
    assert "không tạo phiên bản mới" in same.stdout

    edited = tmp_path / "edited"
    shutil.copytree(exported, edited)
    faq = yaml.safe_load((edited / "faq.yaml").read_text(encoding="utf-8"))
    faq[0]["answer"] = "Câu trả lời mới."
    del faq[1]
    (edited / "faq.yaml").write_text(yaml.safe_dump(faq, allow_unicode=True), "utf-8")
    second = hoctap("content", "import", str(edited), env=env)
    assert "hỏi đáp: sửa 1 (lam-the-ban-doc); xóa 1 (muon-sach-bao-lau)" in second.stdout
    assert "phiên bản 2" in second.stdout

    back = hoctap("content", "rollback", "1", env=env)
    assert back.returncode == 0, back.stderr
    assert "Đã khôi phục phiên bản 1 thành phiên bản 3." in back.stdout
    restored = tmp_path / "restored"
    hoctap("content", "export", str(restored), env=env)
    assert load_pack(restored)[0] == original

    listing = _versions(env)
    assert [line.lstrip("* ").split()[0] for line in listing] == ["3", "2", "1"]
    assert listing[0].startswith("*") and not listing[1].startswith("*")

    missing = hoctap("content", "rollback", "42", env=env)
    assert missing.returncode == 1 and "không có phiên bản 42" in missing.stderr


def test_a_pack_with_errors_changes_nothing(env: dict[str, str], tmp_path: Path) -> None:
    assert hoctap("content", "import", str(DEV_PACK), env=env).returncode == 0
    broken = tmp_path / "broken"
    shutil.copytree(DEV_PACK, broken)
    (broken / "faq.yaml").write_text("- id: x\n  question: q\n", encoding="utf-8")
    result = hoctap("content", "import", str(broken), env=env)
    assert result.returncode == 1
    assert "faq.yaml: x: câu trả lời (answer): chưa điền (trường bắt buộc)" in result.stdout
    assert "không có gì thay đổi" in result.stderr
    assert len(_versions(env)) == 1


def test_ask_contract_one_line_per_input_line(env: dict[str, str]) -> None:
    questions = ["thư viện tỉnh mấy giờ mở cửa", "", "xin chào", "asdfgh qwerty"]
    result = hoctap(
        "ask",
        "--content",
        str(DEV_PACK),
        "--now",
        "2026-12-02T09:00",
        "--json",
        env=env,
        stdin="\n".join(questions) + "\n",
        real=True,
    )
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["question"] for r in records] == questions
    assert all(set(r) == {"question", "kind", "ids", "score", "text"} for r in records)
    assert records[0]["kind"] == "library_hours" and records[0]["ids"] == ["thu-vien-tinh"]
    assert records[2]["kind"] == "greeting"
    assert records[3]["kind"] == "fallback" and records[3]["ids"] == []

    plain = hoctap("ask", "--content", str(DEV_PACK), "xin chào", "cảm ơn", env=env)
    assert len(plain.stdout.splitlines()) == 2


def test_first_run_creates_and_fills_the_default_database(clean_env: dict[str, str]) -> None:
    result = hoctap("ask", "--json", "thư viện tỉnh mở cửa mấy giờ", env=clean_env, real=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["kind"] == "library_hours"
    db_file = Path(clean_env["XDG_DATA_HOME"]) / "hoctap" / "hoctap.db"
    assert db_file.exists()
    versions = hoctap("content", "versions", env=clean_env).stdout
    assert "Nhập nội dung lần đầu" in versions
    upgrade = hoctap("db", "upgrade", env=clean_env)
    assert upgrade.returncode == 0 and "mới nhất" in upgrade.stdout


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("HOCTAP_DATABASE_URL", "mysql://root@localhost/x", "HOCTAP_DATABASE_URL: unsupported"),
        ("HOCTAP_DATABASE_URL", "not a url", "HOCTAP_DATABASE_URL: 'not a url' is not"),
        ("HOCTAP_CONTENT_DIR", "/does/not/exist", "HOCTAP_CONTENT_DIR: folder"),
        ("HOCTAP_TIMEZONE", "Asia/Nowhere", "HOCTAP_TIMEZONE: unknown time zone"),
        ("TELEGRAM_BOT_TOKEN", "oops", "TELEGRAM_BOT_TOKEN: must look like"),
        ("HOCTAP_QUIET_START", "25:99", "HOCTAP_QUIET_START: "),
        ("HOCTAP_NOTIFY_RATE", "-3", "HOCTAP_NOTIFY_RATE: "),
        ("HOCTAP_RETENTION_DAYS", "0", "HOCTAP_RETENTION_DAYS: "),
    ],
)
def test_a_bad_setting_is_one_line_not_a_traceback(
    clean_env: dict[str, str], name: str, value: str, message: str
) -> None:
    result = hoctap(
        "ask", "xin chào", env={**clean_env, name: value}, real=name == "HOCTAP_TIMEZONE"
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(f"hoctap: {message}")
    assert "Traceback" not in result.stderr


def test_dotenv_file_is_read(clean_env: dict[str, str]) -> None:
    Path(".env").write_text("HOCTAP_TIMEZONE=Mars/Base\n", encoding="utf-8")
    result = hoctap("ask", "xin chào", env=clean_env)
    assert result.returncode == 2 and "HOCTAP_TIMEZONE" in result.stderr
    os.remove(".env")


def test_spreadsheet_export_and_import(env: dict[str, str], tmp_path: Path) -> None:
    hoctap("content", "import", str(DEV_PACK), env=env)
    sheet = tmp_path / "noi-dung.xlsx"
    out = hoctap("content", "export", "--xlsx", str(sheet), env=env)
    assert out.returncode == 0, out.stderr
    from openpyxl import load_workbook

    wb = load_workbook(sheet)
    wb["Hỏi đáp"]["D2"] = "Câu trả lời sửa trong Excel."
    wb.save(sheet)
    result = hoctap("content", "import", str(sheet), env=env)
    assert result.returncode == 0, result.stderr
    assert "hỏi đáp: sửa 1 (lam-the-ban-doc)" in result.stdout

    wb["Lớp học"]["C2"] = "khong-co"
    wb.save(sheet)
    bad = hoctap("content", "import", str(sheet), env=env)
    assert bad.returncode == 1
    assert bad.stdout.startswith("sheet Lớp học, dòng 2, cột Chủ đề: không có chủ đề")
    assert len(_versions(env)) == 2
