"""The one ASGI app for webhooks: ``/healthz``, ``/metrics``, and the routes of each configured
channel (``/telegram`` from :mod:`bot.channels.telegram_webhook`, ``/zalo/*`` from the Zalo
channel). The channels' endpoints only translate: check the secret, cap and parse the body, store
the update in the durable intake and answer 200 once it is committed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.telegram_webhook import telegram_routes
from bot.metrics import CONTENT_TYPE
from db import content as content_db

if TYPE_CHECKING:
    from bot.app import App
    from bot.channels.telegram import TelegramApp
    from bot.intake import Intake
    from bot.settings import Settings

log = logging.getLogger(__name__)


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
