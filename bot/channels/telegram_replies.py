"""A :class:`Reply` as Bot API calls: HTML escaping, 4096-character parts, keyboards, files,
edits of the pressed message, and a short flood wait waited out once."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import logging
import warnings
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import MessageLimit, ParseMode
from telegram.error import BadRequest, RetryAfter

from bot.messages import Attachment, Reply, split_text

if TYPE_CHECKING:
    from telegram import Bot

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_TEXT = MessageLimit.MAX_TEXT_LENGTH  # 4096 characters after entity parsing
MAX_RETRY_AFTER = 10.0  # seconds we are willing to wait to deliver an interactive reply


def render_html(text: str) -> str:
    """Escape plain text for HTML parse mode; a whole line ``**like this**`` becomes bold."""
    lines = []
    for line in text.split("\n"):
        stripped = line.strip()
        if len(stripped) > 4 and stripped.startswith("**") and stripped.endswith("**"):
            lines.append(f"<b>{html.escape(stripped[2:-2], quote=False)}</b>")
        else:
            lines.append(html.escape(line, quote=False))
    return "\n".join(lines)


Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


def keyboard(reply: Reply) -> Markup | None:
    """The reply's button rows as an inline keyboard (data is short ASCII already); or the
    one share-contact button the reply asks for; or the removal of that button."""
    if not reply.buttons:
        if reply.ask_contact:
            button = KeyboardButton(reply.ask_contact, request_contact=True)
            return ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True)
        return ReplyKeyboardRemove() if reply.remove_keyboard else None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
            for row in reply.buttons
        ]
    )


def reply_parts(reply: Reply) -> list[tuple[str, Markup | None]]:
    """Split a reply at line boundaries into ≤4096-character HTML parts, buttons on the last."""
    parts = split_text(reply.text, MAX_TEXT) if reply.text.strip() else ["…"]
    markup = keyboard(reply)
    last = len(parts) - 1
    return [(render_html(part), markup if i == last else None) for i, part in enumerate(parts)]


def retry_seconds(exc: RetryAfter) -> float:
    """How long a flood wait lasts, in seconds: ``RetryAfter.retry_after`` is an int today and
    a timedelta with ``PTB_TIMEDELTA`` (PTB 22 warns about that change on every access)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value: float | dt.timedelta = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


async def _call(make: Callable[[], Awaitable[T]]) -> T:
    """Run one API call; on a short flood wait, wait and try once more."""
    try:
        return await make()
    except RetryAfter as exc:
        wait = retry_seconds(exc)
        if wait > MAX_RETRY_AFTER:
            raise
        await asyncio.sleep(wait)
        return await make()


async def send_attachment(bot: Bot, chat_id: int | str, attachment: Attachment) -> Message:
    """A chart as a photo, a spreadsheet as a document (the reply's text follows it)."""
    upload = InputFile(attachment.data, filename=attachment.file_name)
    if attachment.kind == "photo":
        return await _call(lambda: bot.send_photo(chat_id, upload))
    return await _call(lambda: bot.send_document(chat_id, upload))


async def send_reply(bot: Bot, chat_id: int | str, reply: Reply) -> list[Message]:
    """Send one reply as new message(s); usable by broadcasts too."""
    sent = []
    if reply.attachment is not None:
        sent.append(await send_attachment(bot, chat_id, reply.attachment))
    for text, markup in reply_parts(reply):
        message = await _call(
            lambda text=text, markup=markup: bot.send_message(  # type: ignore[misc]
                chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
            )
        )
        sent.append(message)
    return sent


async def edit_reply(bot: Bot, message: Message, reply: Reply) -> None:
    """Replace the pressed message with the reply; send a new one if Telegram refuses."""
    parts = reply_parts(reply)
    text, markup = parts[0]
    if markup is not None and not isinstance(markup, InlineKeyboardMarkup):
        await send_reply(bot, message.chat_id, reply)  # only inline keyboards can be edited in
        return
    inline = markup
    try:
        await _call(
            lambda: bot.edit_message_text(
                text,
                chat_id=message.chat_id,
                message_id=message.message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=inline,
            )
        )
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            log.info("edit failed (%s); sending a new message", exc.message)
            await send_reply(bot, message.chat_id, reply)
            return
    for text, markup in parts[1:]:
        await _call(
            lambda text=text, markup=markup: bot.send_message(  # type: ignore[misc]
                message.chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
            )
        )
