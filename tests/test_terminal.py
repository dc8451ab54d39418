"""The terminal chat as a user uses it: ``hoctap run`` with no token, fed on standard input."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import DEV_PACK


def test_terminal_chat_with_piped_input(clean_env: dict[str, str]) -> None:
    script = "\n".join(
        [
            "1",  # 📚 Lớp học
            "1",  # the first topic
            "thu vien tinh may gio mo cua",
            "/location 22.147 105.834",
            "/lang en",
            "/quit",
            "never read",
        ]
    )
    env = {**clean_env, "HOCTAP_CONTENT_DIR": str(DEV_PACK), "PYTHONIOENCODING": "utf-8"}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        input=script + "\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("Xin chào!") and "[1] 📚 Lớp học" in out
    assert "Chọn chủ đề lớp học:" in out
    assert "07:30" in out  # library hours, typed without diacritics
    assert "📍" in out and "Đức Xuân" in out
    assert "Switched to English." in out and "[1] 📚 Classes" in out
    assert "never read" not in out and "Traceback" not in result.stderr
