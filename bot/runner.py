"""Run the bot on every configured platform, side by side, until stopped.

``hoctap run`` calls :func:`run_bot` when a platform is configured; without one the terminal
chat runs instead. Telegram long-polls, or with ``--webhook`` all platforms are served from one
ASGI app (uvicorn) so N instances can sit behind a load balancer on one PostgreSQL. Exactly one
instance runs the scheduler: the holder of the advisory lock (:mod:`bot.leader`).
SIGINT/SIGTERM (or ``stop``, in tests) stop everything cleanly.
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
from bot.channels import telegram_intake
from bot.channels.telegram import TelegramApp, build_telegram, start_telegram, stop_telegram
from bot.channels.telegram_sender import TelegramSender
from bot.channels.zalo import ZaloRuntime, start_zalo, zalo_routes
from bot.delivery import Sender
from bot.http import HeaderTimeoutH11
from bot.intake import Intake
from bot.leader import Leadership
from bot.logs import install as install_redaction
from bot.logs import protect
from bot.notify import lead_scheduler
from bot.settings import Settings
from bot.web import build_web
from handlers import dispatch

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
    """Prepare the app, start every configured channel and the scheduler, run until stopped."""
    stop = stop or asyncio.Event()
    if webhook and settings.telegram_bot_token and not settings.webhook_secret:
        settings = settings.model_copy(update={"webhook_secret": secrets.token_urlsafe(32)})
        log.warning(
            "HOCTAP_WEBHOOK_SECRET is not set: generated one for this run; set it when "
            "several instances share the webhook"
        )
    protect(settings)  # the token, webhook secrets and Zalo keys never reach a log line
    app = build_app(settings)
    await app.prepare()
    telegram: TelegramApp | None = None
    zalo: ZaloRuntime | None = None
    scheduler: asyncio.Task[None] | None = None
    intake = Intake(
        app,
        workers=settings.intake_workers,
        lease_seconds=settings.intake_lease_seconds,
        poll_seconds=settings.intake_poll_seconds,
    )
    try:
        with _stop_on_signals(stop):
            senders: dict[str, Sender] = {}
            if settings.telegram_bot_token:
                telegram = build_telegram(
                    app, settings, dispatch=dispatch, webhook=True
                )  # we poll ourselves
                await start_telegram(telegram)
                telegram_intake.register(intake, app, telegram, dispatch)
                senders["telegram"] = TelegramSender(telegram.bot)
            if settings.zalo_bot_token or settings.zalo_oa_configured:
                zalo = await start_zalo(
                    app, settings, dispatch=dispatch, webhook=webhook, intake=intake
                )
                senders.update(zalo.senders)
            intake.start()  # updates left by a crash or an outage are answered first
            scheduler = asyncio.create_task(lead_scheduler(app, senders, stop, Leadership(app.db)))
            if webhook:
                await _serve_webhooks(
                    settings, app, telegram, zalo, intake, host=host, port=port, stop=stop
                )
            elif telegram is not None:
                log.info("telegram: long polling as @%s", telegram.bot.username)
                await telegram_intake.poll(telegram, intake, stop)
            await stop.wait()
            log.info("stopping")
    finally:
        stop.set()
        await intake.close()  # the updates in hand are answered (or given back)
        if scheduler is not None:
            await scheduler
        if zalo is not None:
            await zalo.stop()
        if telegram is not None:
            await stop_telegram(telegram)
        await app.close()


async def _serve_webhooks(
    settings: Settings,
    app: App,
    telegram: TelegramApp | None,
    zalo: ZaloRuntime | None,
    intake: Intake,
    *,
    host: str,
    port: int,
    stop: asyncio.Event,
) -> None:
    """Register Telegram's webhook (with its secret) and serve the ASGI app until stopped."""
    extra = zalo_routes(app, settings, dispatch=dispatch) if zalo is not None else []
    web = build_web(
        app, settings, telegram_application=telegram, extra_routes=extra, intake=intake
    )
    config = uvicorn.Config(
        web, host=host, port=port, lifespan="off", log_level="info", http=HeaderTimeoutH11
    )  # slow or silent clients are dropped (bot.http.HEADER_TIMEOUT)
    server = _Server(config)
    install_redaction()  # uvicorn has just configured handlers of its own
    if telegram is not None:
        if not settings.webhook_url:
            raise ValueError("HOCTAP_WEBHOOK_URL is required with --webhook")
        url = f"{settings.webhook_url.rstrip('/')}/telegram"
        await telegram.bot.set_webhook(
            url=url, secret_token=settings.webhook_secret, allowed_updates=Update.ALL_TYPES
        )
        log.info("telegram: webhook set to %s", url)
    serving = asyncio.create_task(server.serve())
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    stopping.cancel()
    await serving
