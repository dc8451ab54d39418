"""Run the bot: Telegram long polling, or the webhook server (uvicorn) for N instances.

``hoctap run`` calls :func:`run_bot` when a platform token is set; without one the terminal
chat runs instead. SIGINT/SIGTERM (or ``stop``, in tests) stop everything cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
from collections.abc import Iterator

import uvicorn
from telegram import Update

from bot.app import App, build_app
from bot.channels.telegram import TelegramApp, build_telegram, start_telegram, stop_telegram
from bot.channels.telegram_sender import TelegramSender
from bot.notify import start_notifications
from bot.settings import Settings
from bot.web import build_web

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: :func:`run_bot` owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Leave signals alone (uvicorn would re-raise them after shutting down)."""
        yield


@contextlib.contextmanager
def _stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """Set ``stop`` on SIGINT/SIGTERM while inside the block (where the loop supports it)."""
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread, or Windows
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


async def run_bot(
    settings: Settings,
    *,
    webhook: bool,
    host: str,
    port: int,
    stop: asyncio.Event | None = None,
) -> None:
    """Prepare the app, then poll Telegram or serve webhooks until stopped."""
    stop = stop or asyncio.Event()
    app = build_app(settings)
    await app.prepare()
    try:
        with _stop_on_signals(stop):
            if webhook:
                await _serve_webhooks(settings, app, host=host, port=port, stop=stop)
            else:
                await _poll(settings, app, stop=stop)
    finally:
        await app.close()


async def _poll(settings: Settings, app: App, *, stop: asyncio.Event) -> None:
    """Long polling: the only consumer of this token's updates."""
    if not settings.telegram_bot_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    application = build_telegram(app, settings)
    await start_telegram(application)
    notifier = await start_notifications(app, {"telegram": TelegramSender(application.bot)})
    try:
        assert application.updater is not None
        await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        log.info("telegram: long polling as @%s", application.bot.username)
        await stop.wait()
        log.info("stopping")
    finally:
        await notifier.stop()
        await stop_telegram(application)


async def _serve_webhooks(
    settings: Settings, app: App, *, host: str, port: int, stop: asyncio.Event
) -> None:
    """Register the webhook (with a secret) and serve the ASGI app until stopped."""
    application: TelegramApp | None = None
    if settings.telegram_bot_token:
        if not settings.webhook_url:
            raise ValueError("HOCTAP_WEBHOOK_URL is required with --webhook")
        if not settings.webhook_secret:
            settings = settings.model_copy(update={"webhook_secret": secrets.token_urlsafe(32)})
            log.warning(
                "HOCTAP_WEBHOOK_SECRET is not set: generated one for this run; set it when "
                "several instances share the webhook"
            )
        application = build_telegram(app, settings, webhook=True)
    web = build_web(app, settings, telegram_application=application)
    server = _Server(uvicorn.Config(web, host=host, port=port, lifespan="off", log_level="info"))
    notifier = None
    if application is not None:
        await start_telegram(application)
        notifier = await start_notifications(app, {"telegram": TelegramSender(application.bot)})
    try:
        if application is not None:
            url = f"{(settings.webhook_url or '').rstrip('/')}/telegram"
            await application.bot.set_webhook(
                url=url, secret_token=settings.webhook_secret, allowed_updates=Update.ALL_TYPES
            )
            log.info("telegram: webhook set to %s", url)
        serving = asyncio.create_task(server.serve())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        server.should_exit = True
        stopping.cancel()
        await serving
    finally:
        if notifier is not None:
            await notifier.stop()
        if application is not None:
            await stop_telegram(application)
