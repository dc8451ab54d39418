"""The terminal channel: a chat on standard input and output, through the same handlers.

Buttons are shown as numbered choices; typing the number presses the button. ``/location LAT
LON`` shares a place. Works with piped input too (no prompt, one reply block per line).

The notifier runs here as on every other channel (:func:`bot.notify.lead_scheduler`): what a
reply promises (a reminder, a change notice, an announcement one subscribed to) is printed in
the chat at its time by :class:`TerminalSender`. Lines are read on a thread of their own, so the
scheduler keeps ticking while the chat waits for the next line.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import threading
from pathlib import Path
from typing import TextIO

from bot.app import App, Dispatch
from bot.delivery import Outcome, Sender
from bot.leader import Leadership
from bot.messages import Button, Incoming, Reply
from bot.notify import lead_scheduler
from bot.notify.config import NotifySettings

USER = "local"
QUIT = {"/quit", "/exit", "/thoat"}
PROMPT = "\n> "


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
    """One typed line as an Incoming: a number picks a shown button, /x is a command.

    A number beyond the choices shown keeps their count, so the reply can say which to pick.
    """
    text = line.strip()
    if text.isdecimal() and 1 <= int(text) <= len(choices):
        return Incoming("terminal", USER, USER, button=choices[int(text) - 1].data)
    if text.startswith("/") and len(text) > 1:
        name, *args = text[1:].split()
        return Incoming("terminal", USER, USER, command=name.lower(), args=tuple(args))
    return Incoming("terminal", USER, USER, text=line, shown_choices=len(choices))


class Terminal:
    """The chat's screen: what was shown last (the numbered choices) and how to print."""

    def __init__(self, stdout: TextIO, *, interactive: bool) -> None:
        self.stdout = stdout
        self.interactive = interactive
        self.choices: list[Button] = []
        self.waiting = False  # the prompt is on screen, waiting for a line

    def show(self, replies: list[Reply]) -> None:
        """Print replies; their buttons become the numbered choices (the last list wins)."""
        buttons: list[Button] = []
        for reply in replies:
            text, more = render(reply, len(buttons) + 1)
            buttons += more
            self.stdout.write(text + "\n")
        self.stdout.write("\n")
        self.stdout.flush()
        if buttons:
            self.choices = buttons

    def prompt(self) -> None:
        if self.interactive:
            self.stdout.write(PROMPT)
            self.stdout.flush()
        self.waiting = True

    def notify(self, reply: Reply) -> None:
        """A message the bot sends on its own (a reminder, a notice), printed between turns."""
        if self.waiting and self.interactive:
            self.stdout.write("\n")
        self.show([reply])
        if self.waiting and self.interactive:
            self.stdout.write(PROMPT.lstrip("\n"))
            self.stdout.flush()


class TerminalSender:
    """Implements :class:`bot.delivery.Sender` for the terminal: print in the chat."""

    channel = "terminal"

    def __init__(self, terminal: Terminal) -> None:
        self.terminal = terminal

    async def can_message(self, chat_id: str, now: dt.datetime) -> tuple[bool, str | None]:
        return True, None

    async def deliver(self, chat_id: str, reply: Reply) -> Outcome:
        try:
            self.terminal.notify(reply)
        except (OSError, ValueError) as exc:  # the terminal was closed
            return Outcome("retry", f"terminal: {exc}")
        return Outcome("sent")


def _read_lines(stdin: TextIO, loop: asyncio.AbstractEventLoop, lines: asyncio.Queue[str]) -> None:
    """Feed typed lines into the queue; '' at end of input (a daemon thread: never blocks exit)."""
    while True:
        try:
            line = stdin.readline()
        except (OSError, ValueError):
            line = ""
        loop.call_soon_threadsafe(lines.put_nowait, line)
        if not line:
            return


async def chat(
    app: App,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    *,
    dispatch: Dispatch,
    notifications: bool = True,
    config: NotifySettings | None = None,
) -> None:
    """Run the chat until end of input or /quit, with the notifier printing into it.

    Each line goes to ``dispatch`` (the conversation, handed in by the command line).
    """
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    terminal = Terminal(stdout, interactive=stdin.isatty())
    stop = asyncio.Event()
    scheduler: asyncio.Task[None] | None = None
    lines: asyncio.Queue[str] = asyncio.Queue()
    threading.Thread(
        target=_read_lines,
        args=(stdin, asyncio.get_running_loop(), lines),
        name="terminal-input",
        daemon=True,
    ).start()
    try:
        terminal.show(await dispatch(Incoming("terminal", USER, USER, command="start"), app))
        if notifications:
            senders: dict[str, Sender] = {"terminal": TerminalSender(terminal)}
            scheduler = asyncio.create_task(
                lead_scheduler(app, senders, stop, Leadership(app.db), config=config)
            )
        while True:
            terminal.prompt()
            line = await lines.get()
            terminal.waiting = False
            if not line or line.strip().lower() in QUIT:
                break
            replies = await dispatch(parse(line.rstrip("\r\n"), terminal.choices), app)
            terminal.show(replies)
    finally:
        stop.set()
        if scheduler is not None:
            await scheduler
