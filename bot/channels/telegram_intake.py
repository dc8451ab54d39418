"""Telegram through the durable intake: the poller that moves the offset only past stored
updates, the webhook body stored before 200, and the handler that answers a stored update.

``getUpdates`` confirms updates when it is next called with a higher offset; so the offset
advances only after the fetched updates are committed to the intake. If the database is away
the same updates are fetched again (Telegram keeps them for 24 hours) until they can be stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.error import Conflict, InvalidToken, TelegramError

from bot.channels.telegram import TelegramApp, TelegramChannel
from bot.intake import Intake, Stored

if TYPE_CHECKING:
    from bot.app import App, Dispatch

log = logging.getLogger(__name__)

CHANNEL = "telegram"
POLL_TIMEOUT = 10  # seconds of long polling per getUpdates
MAX_BACKOFF = 30.0


def stored(data: dict[str, Any], update: Update) -> Stored:
    """The intake row of one update: keyed by ``update_id``, ordered by chat."""
    chat = update.effective_chat
    return Stored(CHANNEL, str(update.update_id), str(chat.id) if chat else "", data)


def register(intake: Intake, app: App, application: TelegramApp, dispatch: Dispatch) -> None:
    """Answer stored Telegram updates with the same channel code as ever."""
    channel = TelegramChannel(app, dispatch)

    async def handle(payload: dict[str, Any]) -> None:
        update = Update.de_json(payload, application.bot)
        await channel.process(update, application.bot)

    intake.register(CHANNEL, handle)


async def poll(
    application: TelegramApp, intake: Intake, stop: asyncio.Event, *, wait: int = POLL_TIMEOUT
) -> None:
    """Long-poll until ``stop``; the offset confirms only what the intake has committed."""
    bot = application.bot
    await bot.delete_webhook(drop_pending_updates=False)
    offset: int | None = None
    backoff = 1.0
    while not stop.is_set():
        fetching = asyncio.ensure_future(
            bot.get_updates(offset=offset, timeout=wait, allowed_updates=Update.ALL_TYPES)
        )
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({fetching, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not fetching.done():  # stopping: nothing fetched is lost, the offset did not move
            fetching.cancel()
            with contextlib.suppress(asyncio.CancelledError, TelegramError):
                await fetching
            return
        try:
            updates = fetching.result()
        except InvalidToken:
            log.error("telegram: the token was rejected; polling stops")
            return
        except (Conflict, TelegramError) as exc:
            log.warning("telegram: getUpdates failed (%s); retrying", type(exc).__name__)
            await _pause(stop, backoff)
            backoff = min(MAX_BACKOFF, backoff * 2)
            continue
        if not updates:
            backoff = 1.0
            continue
        try:
            await intake.accept([stored(u.to_dict(), u) for u in updates])
        except Exception as exc:  # the database is away: fetch the same updates again later
            log.warning("telegram: storing updates failed (%s); retrying", type(exc).__name__)
            await _pause(stop, backoff)
            backoff = min(MAX_BACKOFF, backoff * 2)
            continue
        backoff = 1.0
        offset = max(u.update_id for u in updates) + 1


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
