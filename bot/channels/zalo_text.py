"""The text both Zalo surfaces send and read: UTF-16 lengths, splitting at 2000 units, plain
text (no bold), replies with their buttons as numbered choices, and typed ``/commands``."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

from bot.messages import Button, Reply, split_text

MAX_TEXT = 2000  # characters (UTF-16 units) per message, both surfaces


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Zalo counts."""
    return len(text.encode("utf-16-le")) // 2


def split_zalo(text: str, limit: int = MAX_TEXT) -> list[str]:
    """NFC-normalise and split at line boundaries into parts of at most ``limit`` UTF-16 units."""
    text = unicodedata.normalize("NFC", text)
    parts: list[str] = []
    for part in split_text(text, limit):
        parts.extend(_cut_units(part, limit) if utf16_len(part) > limit else [part])
    return parts


def _cut_units(text: str, limit: int) -> list[str]:
    """Cut text with astral characters (emoji count twice) at ≤``limit`` units, at a space."""
    parts: list[str] = []
    while utf16_len(text) > limit:
        units, end = 0, 0
        while end < len(text) and units + utf16_len(text[end]) <= limit:
            units += utf16_len(text[end])
            end += 1
        space = text.rfind(" ", 0, end)
        cut = space if space > end // 2 else end
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text.strip():
        parts.append(text)
    return [p for p in parts if p]


def plain(text: str) -> str:
    """Zalo gets plain text: a bold line ``**like this**`` loses its markers."""
    return "\n".join(
        line.strip()[2:-2]
        if len(line.strip()) > 4 and line.strip().startswith("**") and line.strip().endswith("**")
        else line
        for line in text.split("\n")
    )


CHOICE_HINT = "(Trả lời bằng số để chọn)"
NO_FILES = "(Tệp đính kèm {name} chỉ gửi được qua Telegram hoặc lệnh hoctap trên máy chủ.)"


def numbered(replies: Sequence[Reply]) -> list[tuple[str, list[Button]]]:
    """Each reply as text with its buttons numbered on, continuing across the replies."""
    out: list[tuple[str, list[Button]]] = []
    last = max((i for i, r in enumerate(replies) if r.buttons), default=-1)
    n = 0
    for i, reply in enumerate(replies):
        buttons = reply.flat_buttons
        lines = [plain(reply.text).rstrip()]
        if reply.attachment is not None:
            lines.append(NO_FILES.format(name=reply.attachment.file_name))
        if buttons:
            lines.append("")
            for button in buttons:
                n += 1
                lines.append(f"{n}. {button.label}")
            if i == last:
                lines.append(CHOICE_HINT)
        out.append(("\n".join(lines).strip() or "…", buttons))
    return out


def choice_number(text: str) -> int | None:
    """The number typed in answer to numbered choices ("2", "2."), if the text is one."""
    stripped = text.strip().rstrip(".")
    if stripped.isdecimal() and 0 < len(stripped) <= 3:
        return int(stripped)
    return None


def parse_text(text: str) -> dict[str, Any]:
    """Keyword arguments of an :class:`Incoming` for typed text: ``/cmd args`` or text."""
    stripped = text.strip()
    if stripped.startswith("/") and len(stripped) > 1 and stripped[1].isalnum():
        name, *args = stripped[1:].split()
        return {"command": name.lower(), "args": tuple(args)}
    return {"text": text}
