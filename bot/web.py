"""The one ASGI app for webhooks: ``/telegram`` (secret-checked), ``/healthz``, later ``/zalo/*``.

Endpoints only translate: check the secret, cap and parse the body, store the update in the
durable intake (:mod:`bot.intake`) and answer 200 once it is committed, or 503 when the database
cannot take it, so that Telegram delivers it again. Answering happens on the intake's workers.
Without an intake (some tests) the update goes on PTB's queue instead.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from telegram import Update

from bot.channels import telegram_intake
from bot.http import BodyTooLarge, read_body, secret_matches
from bot.metrics import CONTENT_TYPE
from db import content as content_db

if TYPE_CHECKING:
    from bot.app import App
    from bot.channels.telegram import TelegramApp
    from bot.intake import Intake
    from bot.settings import Settings

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


def health_route(app: App) -> BaseRoute:
    """``GET /healthz``: 200 with the live content version when the database answers."""

    async def healthz(request: Request) -> Response:
        """Ask the database for the content version."""
        try:
            async with app.sessions() as session:
                version = await content_db.current_version(session)
        except Exception as exc:  # any database failure means "not healthy"
            log.warning("health check failed: %s", exc)
            return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
        if version is None or app.live is None:
            return JSONResponse({"status": "error", "content": "not loaded"}, status_code=503)
        return JSONResponse({"status": "ok", "content_version": version})

    return Route("/healthz", healthz, methods=["GET"])


def metrics_route(app: App) -> BaseRoute:
    """``GET /metrics``: Prometheus text format."""

    async def metrics(request: Request) -> Response:
        """Counters of this process and the outbox figures of the shared database."""
        async with app.sessions() as session:
            body = await app.metrics.render(session)
        return Response(body, media_type=CONTENT_TYPE)

    return Route("/metrics", metrics, methods=["GET"])


def build_web(
    app: App,
    settings: Settings,
    *,
    telegram_application: TelegramApp | None = None,
    extra_routes: Sequence[BaseRoute] = (),
    intake: Intake | None = None,
) -> Starlette:
    """The webhook server: one route list built from the channels that are configured."""
    routes: list[BaseRoute] = [health_route(app), metrics_route(app)]
    if telegram_application is not None:
        if not settings.webhook_secret:
            raise ValueError("HOCTAP_WEBHOOK_SECRET is required to serve the Telegram webhook")
        routes += telegram_routes(telegram_application, settings.webhook_secret, intake)
    routes += extra_routes  # /zalo/oa and /zalo/bot when Zalo is configured
    return Starlette(routes=routes)
