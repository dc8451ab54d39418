"""What crosses the line between a channel and the conversation: ``Incoming`` in, ``Reply`` out.

Only ``bot/channels/*`` know a platform. They turn a platform update into an :class:`Incoming`
and each :class:`Reply` into API calls (keyboards or numbered choices, HTML escaping, length
limits). Nothing under ``handlers/`` imports a platform library.

This module sits below every layer (it imports nothing of the project), so channels, handlers,
notify and db all import it downward. Beside the types: the small helpers that only build
them or shape their text (:func:`button`, :func:`short_label`, :func:`split_text`,
:func:`one_line`).
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal

# Set while an update is handled from the durable intake (bot.intake): a database failure
# then raises, so the stored update is handled again later, instead of being answered with an
# apology and lost.
DURABLE: ContextVar[bool] = ContextVar("durable", default=False)

ChannelName = Literal["telegram", "zalo_oa", "zalo_bot", "terminal"]
ChatType = Literal["private", "group", "channel"]  # group: any many-person chat
MAX_BUTTON_DATA = 64  # bytes, Telegram's callback_data limit; ours are short ASCII ids


@dataclass(frozen=True)
class Document:
    """A file a user sent; ``fetch`` downloads its bytes (channels implement it)."""

    file_name: str
    mime_type: str | None
    size: int | None
    fetch: Callable[[], Awaitable[bytes]] = field(compare=False, repr=False)
    # A staff upload read ahead, off the event loop and outside any transaction
    # (handlers.uploads.read_ahead): (pack or None, problems) or the refusal's message.
    read: tuple[Any, list[str]] | str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Incoming:
    """One thing a user did, platform-neutral.

    Exactly one of ``text``, ``command``, ``button``, ``location``, ``contact``, ``document``,
    ``unsupported`` or ``event`` is set. ``command`` is the name without the slash,
    lower-cased, ``args`` the words after it. ``button`` is the data of a pressed button (or
    the number typed in answer to numbered choices, already mapped back by the channel).
    ``unsupported`` names what the platform delivered that we do not read ("photo", "sticker",
    "voice", ...). ``chat_type`` says where it was said: only a ``private`` chat is a
    conversation with the person (the channel reports it; the conversation decides what a
    group gets).
    """

    channel: ChannelName
    user_id: str
    chat_id: str
    text: str | None = None
    command: str | None = None
    args: tuple[str, ...] = ()
    button: str | None = None
    location: tuple[float, float] | None = None
    document: Document | None = None
    unsupported: str | None = None
    language: str | None = None
    display_name: str | None = None
    contact: str | None = None  # a phone number shared with the platform's contact button
    chat_type: ChatType = "private"
    # Something the person did to the bot itself, not a message: "unfollow" (they left a
    # Zalo OA: every subscription and reminder stops) or "withdraw" (they asked Zalo to
    # withdraw their data: it is erased). It gets no reply (handlers.lifecycle).
    event: str | None = None

    @property
    def private(self) -> bool:
        """Said in a one-to-one chat with the bot (not a group or a channel)."""
        return self.chat_type == "private"

    # How many numbered choices the channel showed last (terminal, Zalo): a bare number beyond
    # them is answered with the range to pick from instead of being read as a question.
    shown_choices: int = 0

    @property
    def user_key(self) -> str:
        """``channel:user_id``, the key staff lists and the database use."""
        return f"{self.channel}:{self.user_id}"


@dataclass(frozen=True)
class Button:
    """A choice under a reply; ``data`` is short ASCII (at most 64 bytes)."""

    label: str
    data: str

    def __post_init__(self) -> None:
        if not self.data.isascii() or not 0 < len(self.data.encode()) <= MAX_BUTTON_DATA:
            raise ValueError(f"button data must be 1-64 ASCII bytes: {self.data!r}")


@dataclass(frozen=True)
class Attachment:
    """A file sent with a reply: a chart (``photo``) or a spreadsheet (``document``)."""

    file_name: str
    data: bytes = field(repr=False)
    kind: Literal["photo", "document"] = "document"


@dataclass(frozen=True)
class Reply:
    """One message to send back.

    ``text`` is plain text (the channel escapes it); lines that start with ``**`` and end with
    ``**`` may be shown bold where the platform can. ``buttons`` are rows of buttons.
    ``edit`` asks the channel to replace the message whose button was pressed (menu
    navigation) instead of sending a new one. ``notice`` is a short toast for a button press.
    """

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    edit: bool = False
    notice: str | None = None
    feedback_for: str | None = None  # "faq:<id>": the channel may add 👍/👎 (already in buttons)
    attachment: Attachment | None = None  # sent before the text, the text as its caption
    # Where the platform has one (Telegram), a button that shares the person's phone number,
    # labelled so; elsewhere the text asks them to type it. ``remove_keyboard`` takes it away.
    ask_contact: str | None = None
    remove_keyboard: bool = False

    @property
    def flat_buttons(self) -> list[Button]:
        return [b for row in self.buttons for b in row]


def one_line(text: str) -> str:
    """A citizen's text as staff see it: one line, whitespace and control characters folded
    to single spaces, so nothing in it can pass for a bold line or a new paragraph."""
    return " ".join("".join(" " if unicodedata.category(c) == "Cc" else c for c in text).split())


MAX_LABEL = 64


def short_label(label: str, limit: int = MAX_LABEL) -> str:
    """A button label that fits a phone screen: cut at a word, with an ellipsis."""
    if len(label) <= limit:
        return label
    cut = label.rfind(" ", 0, limit - 1)
    return label[: cut if cut > limit // 2 else limit - 1].rstrip(" ,;:-–") + "…"


def digest_ref(ref: str) -> str:
    """A ref too long for button data, as ``h:`` and 16 hex digits of its SHA-1."""
    return "h:" + hashlib.sha1(ref.encode()).hexdigest()[:16]


def button(label: str, ref: str) -> Button:
    """A button for ``ref``; a ref too long for 64 bytes travels as a short digest."""
    data = ref if ref.isascii() and len(ref) <= MAX_BUTTON_DATA else digest_ref(ref)
    return Button(label=short_label(label), data=data)


def split_text(text: str, limit: int) -> list[str]:
    """Split a long text at line boundaries into parts of at most ``limit`` characters."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:  # a single line longer than the limit: cut at a space if we can
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:cut].rstrip())
            line = line[cut:].lstrip()
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return [p for p in parts if p.strip()] or [text[:limit]]
