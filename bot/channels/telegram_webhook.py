"""Telegram's webhook: ``POST /telegram`` (secret-checked), stored before it is acknowledged.

Check the secret, cap and parse the body, store the update in the durable intake
(:mod:`bot.intake`) and answer 200 once it is committed, or 503 when the database cannot take
it, so that Telegram delivers it again. Answering happens on the intake's workers. Without an
intake (some tests) the update goes on PTB's queue instead.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from telegram import Update

from bot.channels import telegram_intake
from bot.http import BodyTooLarge, read_body, secret_matches

if TYPE_CHECKING:
    from bot.channels.telegram import TelegramApp
    from bot.intake import Intake

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def telegram_routes(
    application: TelegramApp, secret: str, intake: Intake | None = None
) -> list[BaseRoute]:
    """``POST /telegram``: the Bot API's webhook calls."""

    async def telegram_webhook(request: Request) -> Response:
        """Check the secret, parse the update and store it; 200 once stored, else 503."""
        if not secret_matches(request.headers.get(SECRET_HEADER), secret):
            return Response(status_code=403)
        try:
            body = await read_body(request)
        except BodyTooLarge:
            return Response(status_code=413)
        try:
            data = json.loads(body)
            if not isinstance(data, dict) or type(data.get("update_id")) is not int:
                raise ValueError("not an update object")  # [], 5, "x", null, {}: not updates
            update = Update.de_json(data, application.bot)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("unreadable telegram update: %s", type(exc).__name__)
            return Response(status_code=400)
        if intake is None:
            await application.update_queue.put(update)
            return Response(status_code=200)
        try:
            await intake.accept([telegram_intake.stored(data, update)])
        except Exception as exc:  # not stored: Telegram must deliver it again
            log.warning("telegram update not stored (%s): 503", type(exc).__name__)
            return Response(status_code=503)
        return Response(status_code=200)

    return [Route("/telegram", telegram_webhook, methods=["POST"])]
