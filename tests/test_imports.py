"""Every entry module imports on its own in a fresh interpreter (no import cycles)."""

from __future__ import annotations

import subprocess
import sys

import pytest

ENTRY_MODULES = [
    "bot.cli",
    "bot.runner",
    "bot.delivery",
    "bot.notify.outbox",
    "bot.notify.digest",
    "bot.messages",
    "handlers.conversation",
    "bot.channels.zalo",
    "db.erase",
]


@pytest.mark.parametrize("module", ENTRY_MODULES)
def test_module_imports_alone(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
