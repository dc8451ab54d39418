"""The files users expect beside the code: ``.env.example`` and the systemd unit in ``deploy/``."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic_settings import BaseSettings
from typer.testing import CliRunner

from bot.cli import cli
from bot.notify.config import NotifySettings
from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SHOWN = re.compile(r"^# ([A-Z][A-Z0-9_]+)=(.*)$")


def aliases(model: type[BaseSettings]) -> dict[str, str]:
    """Environment variable -> field name."""
    return {
        field.validation_alias: name
        for name, field in model.model_fields.items()
        if isinstance(field.validation_alias, str)
    }


def shown() -> dict[str, str]:
    """Every ``# NAME=value`` line of .env.example (all of them are commented out)."""
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    return {m[1]: m[2] for line in lines if (m := SHOWN.match(line))}


@pytest.mark.parametrize("model", [Settings, NotifySettings])
def test_env_example_lists_every_setting_with_its_default(
    model: type[BaseSettings], clean_env: dict[str, str]
) -> None:
    example = shown()
    for alias, name in aliases(model).items():
        assert alias in example, f"{alias} is missing from .env.example"
        if example[alias]:  # an empty value: a secret, or a default computed at run time
            given: dict[str, Any] = {alias: example[alias]}
            value = getattr(model(**given), name)
            assert value == model.model_fields[name].default, alias


def test_env_example_uncomments_nothing() -> None:
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    assert all(not line.strip() or line.startswith("#") for line in lines)


def test_the_units_command_is_one_hoctap_accepts(tmp_path: Path) -> None:
    unit = (ROOT / "deploy" / "hoctap.service").read_text(encoding="utf-8")
    [exec_start] = re.findall(r"^ExecStart=(.*)$", unit, re.MULTILINE)
    program, command, *options = exec_start.split()
    assert program.endswith("/.venv/bin/hoctap") and command == "run"
    assert "--webhook" in options
    usage = CliRunner().invoke(cli, ["run", "--help"]).output
    assert all(o in usage for o in options if o.startswith("--"))
    assert re.search(r"^User=(?!root$)\w+$", unit, re.MULTILINE)
    assert re.search(r"^Restart=on-failure$", unit, re.MULTILINE)
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    here = str(Path(sys.executable).with_name("hoctap"))
    local = (
        unit.replace(program, here)
        .replace("EnvironmentFile=", "EnvironmentFile=-")
        .replace("WorkingDirectory=/srv/hoctap", f"WorkingDirectory={tmp_path}")
    )
    local = re.sub(r"^(User|Group)=.*$", r"\1=root", local, flags=re.MULTILINE)
    (tmp_path / "hoctap.service").write_text(local, encoding="utf-8")
    done = subprocess.run(
        [analyze, "verify", str(tmp_path / "hoctap.service")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
