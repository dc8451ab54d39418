"""The terminal channel: a chat on standard input and output, through the same handlers.

Buttons are shown as numbered choices; typing the number presses the button. ``/location LAT
LON`` shares a place. Works with piped input too (no prompt, one reply block per line).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from bot.app import App
from handlers import dispatch
from handlers.types import Button, Incoming, Reply

USER = "local"
QUIT = {"/quit", "/exit", "/thoat"}


def render(reply: Reply, start: int = 1) -> tuple[str, list[Button]]:
    """A reply as terminal text: the text, then its buttons numbered from ``start``.

    An attached file (a chart, a spreadsheet) is saved in the working folder.
    """
    lines = [reply.text.replace("**", "")]
    if reply.attachment is not None:
        path = Path(reply.attachment.file_name).name
        Path(path).write_bytes(reply.attachment.data)
        lines.append(f"[tệp đã lưu: {Path(path).resolve()}]")
    buttons = reply.flat_buttons
    for n, b in enumerate(buttons, start):
        lines.append(f"  [{n}] {b.label}")
    return "\n".join(lines), buttons


def parse(line: str, choices: list[Button]) -> Incoming:
    """One typed line as an Incoming: a number picks a shown button, /x is a command."""
    text = line.strip()
    if text.isdigit() and 1 <= int(text) <= len(choices):
        return Incoming("terminal", USER, USER, button=choices[int(text) - 1].data)
    if text.startswith("/") and len(text) > 1:
        name, *args = text[1:].split()
        return Incoming("terminal", USER, USER, command=name.lower(), args=tuple(args))
    return Incoming("terminal", USER, USER, text=line)


async def chat(app: App, stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
    """Run the chat until end of input or /quit."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty()
    choices: list[Button] = []
    first = await dispatch(Incoming("terminal", USER, USER, command="start"), app)
    choices = _show(first, stdout)
    while True:
        if interactive:
            stdout.write("\n> ")
            stdout.flush()
        line = stdin.readline()
        if not line or line.strip().lower() in QUIT:
            break
        replies = await dispatch(parse(line.rstrip("\r\n"), choices), app)
        shown = _show(replies, stdout)
        if shown:
            choices = shown


def _show(replies: list[Reply], stdout: TextIO) -> list[Button]:
    buttons: list[Button] = []
    for reply in replies:
        text, more = render(reply, len(buttons) + 1)
        buttons += more
        stdout.write(text + "\n")
    stdout.write("\n")
    stdout.flush()
    return buttons
