"""The outbox's Telegram side: one proactive message to one chat, its result as an Outcome.

Rendering is the Telegram channel's own (HTML-escaped text, inline keyboard on the last part);
pacing is the outbox's job, so nothing here sleeps or retries.
"""

from __future__ import annotations

import datetime as dt
import logging

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.channels.telegram_replies import reply_parts, retry_seconds
from bot.delivery import Outcome
from bot.messages import Reply

log = logging.getLogger(__name__)

GONE = ("chat not found", "user is deactivated", "bot was blocked", "peer_id_invalid")


class TelegramSender:
    """Implements :class:`bot.delivery.Sender` for Telegram."""

    channel = "telegram"

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def can_message(self, chat_id: str, now: dt.datetime) -> tuple[bool, str | None]:
        """Telegram lets a bot message anyone who started it, at any time."""
        return True, None

    async def deliver(self, chat_id: str, reply: Reply) -> Outcome:
        """Send the reply (split if long); map Bot API errors onto an Outcome."""
        try:
            for text, markup in reply_parts(reply):
                await self.bot.send_message(
                    int(chat_id) if chat_id.lstrip("-").isdecimal() else chat_id,
                    text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                )
        except RetryAfter as exc:
            return Outcome("retry", "429 Too Many Requests", retry_seconds(exc))
        except Forbidden as exc:
            return Outcome("blocked", exc.message)
        except BadRequest as exc:  # a subclass of NetworkError: catch it first
            if any(gone in exc.message.lower() for gone in GONE):
                return Outcome("blocked", exc.message)
            return Outcome("failed", exc.message)
        except NetworkError as exc:  # includes TimedOut and 5xx
            return Outcome("retry", f"{type(exc).__name__}: {exc.message}")
        except TelegramError as exc:
            return Outcome("failed", f"{type(exc).__name__}: {exc.message}")
        return Outcome("sent")
