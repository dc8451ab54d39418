"""Wiring of the two Zalo surfaces: the webhook routes and the runtime (workers, poller,
token refresher, the outbox's senders).

``zalo_routes(app, settings, dispatch=...)`` and ``start_zalo(app, settings, dispatch=...,
webhook=...)`` may be called in either order; both find the same channel objects for one
:class:`App`, whose updates go to ``dispatch`` (handed in by the runner). A surface starts when
its credentials are set: the OA with app id, app secret, OA secret key and a token; the bot
with its token (and, for the webhook, a secret).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
from starlette.routing import Route

from bot.channels.zalo_bot import ZaloBot
from bot.channels.zalo_bot_client import DEFAULT_BASE_URL, ZaloBotClient
from bot.channels.zalo_oa import ZaloOA
from bot.channels.zalo_oa_client import DEFAULT_API_BASE_URL, ZaloOAClient
from bot.channels.zalo_oa_tokens import DEFAULT_OAUTH_BASE_URL, OATokens
from bot.logs import redact_secrets

if TYPE_CHECKING:
    from bot.app import App, Dispatch
    from bot.delivery import Sender
    from bot.intake import Intake
    from bot.settings import Settings

log = logging.getLogger(__name__)


def oauth_base_url(settings: Settings) -> str:
    """The OAuth host; when only the API base was moved (a fake server), that one serves both."""
    if (
        settings.zalo_oauth_base_url.rstrip("/") == DEFAULT_OAUTH_BASE_URL
        and settings.zalo_oa_api_base_url.rstrip("/") != DEFAULT_API_BASE_URL
    ):
        return settings.zalo_oa_api_base_url
    return settings.zalo_oauth_base_url


def bot_webhook_secret(settings: Settings) -> str | None:
    """The secret Zalo echoes in ``X-Bot-Api-Secret-Token`` (8-256 characters)."""
    return settings.zalo_bot_webhook_secret or settings.webhook_secret


def oa_configured(settings: Settings) -> bool:
    """All the OA needs: app id and secret, OA secret key, and a token to start from."""
    return settings.zalo_oa_configured


@dataclass
class ZaloChannels:
    """The channel objects of one App (created once, started by :func:`start_zalo`)."""

    app: App
    oa: ZaloOA | None = None
    bot: ZaloBot | None = None
    http: list[httpx.AsyncClient] = field(default_factory=list)


# One entry per App that has Zalo channels (removed by ZaloRuntime.stop).
_CHANNELS: dict[int, ZaloChannels] = {}


def channels_for(
    app: App, settings: Settings, *, dispatch: Dispatch, **options: Any
) -> ZaloChannels:
    """The Zalo channels of ``app``, built on first use from ``settings``."""
    found = _CHANNELS.get(id(app))
    if found is not None and found.app is app:
        return found
    channels = ZaloChannels(app)
    if oa_configured(settings):
        assert settings.zalo_app_id and settings.zalo_app_secret and settings.zalo_oa_secret_key
        http = httpx.AsyncClient(timeout=15.0)
        channels.http.append(http)
        tokens = OATokens(
            app,
            http,
            app_id=settings.zalo_app_id,
            app_secret=settings.zalo_app_secret,
            oauth_base_url=oauth_base_url(settings),
        )
        channels.oa = ZaloOA(
            app,
            ZaloOAClient(tokens, http, api_base_url=settings.zalo_oa_api_base_url),
            app_id=settings.zalo_app_id,
            oa_secret_key=settings.zalo_oa_secret_key,
            dispatch=dispatch,
            max_age=dt.timedelta(seconds=settings.zalo_oa_webhook_max_age),
            template_buttons=settings.zalo_oa_template_buttons,
            **options.get("oa", {}),
        )
    if settings.zalo_bot_token:
        redact_secrets(settings.zalo_bot_token)
        http = httpx.AsyncClient(timeout=15.0)
        channels.http.append(http)
        channels.bot = ZaloBot(
            app,
            ZaloBotClient(
                settings.zalo_bot_token,
                base_url=settings.zalo_bot_api_base_url or DEFAULT_BASE_URL,
                http=http,
            ),
            dispatch=dispatch,
            secret=bot_webhook_secret(settings),
            **options.get("bot", {}),
        )
    _CHANNELS[id(app)] = channels
    return channels


def zalo_routes(app: App, settings: Settings, *, dispatch: Dispatch) -> list[Route]:
    """``/zalo/oa`` and ``/zalo/bot`` for the surfaces that are configured."""
    channels = channels_for(app, settings, dispatch=dispatch)
    routes: list[Route] = []
    if channels.oa is not None:
        routes += channels.oa.routes()
    if channels.bot is not None:
        if channels.bot.secret is None or len(channels.bot.secret) < 8:
            log.warning("zalo bot: no webhook secret (8+ characters); /zalo/bot not served")
        else:
            routes += channels.bot.routes()
    return routes


@dataclass
class ZaloRuntime:
    """What :func:`start_zalo` started; ``senders`` by channel name, for the outbox."""

    channels: ZaloChannels
    senders: dict[str, Sender]

    async def stop(self) -> None:
        """Stop polling, workers and the refresher; close the HTTP clients."""
        if self.channels.bot is not None:
            await self.channels.bot.stop()
        if self.channels.oa is not None:
            await self.channels.oa.stop()
        for http in self.channels.http:
            await http.aclose()
        _CHANNELS.pop(id(self.channels.app), None)


async def start_zalo(
    app: App,
    settings: Settings,
    *,
    dispatch: Dispatch,
    webhook: bool,
    intake: Intake | None = None,
    **options: Any,
) -> ZaloRuntime:
    """Start every configured Zalo surface; long-poll the bot unless ``webhook``.

    With ``intake`` every update is stored before it is acknowledged and handled from there.
    ``options`` (tests): ``oa={...}`` / ``bot={...}`` keyword arguments for the channels.
    """
    channels = channels_for(app, settings, dispatch=dispatch, **options)
    if intake is not None:
        if channels.oa is not None:
            channels.oa.use_intake(intake)
        if channels.bot is not None:
            channels.bot.use_intake(intake)
    senders: dict[str, Sender] = {}
    if channels.oa is not None:
        await channels.oa.client.tokens.bootstrap(
            settings.zalo_oa_access_token, settings.zalo_oa_refresh_token
        )
        channels.oa.start()
        senders[channels.oa.channel] = channels.oa
        if not webhook:
            log.warning("zalo oa: events arrive only by webhook; run with --webhook to receive")
        log.info("zalo oa: started")
    if channels.bot is not None:
        channels.bot.start(poll=not webhook)
        senders[channels.bot.channel] = channels.bot
        log.info("zalo bot: started (%s)", "webhook" if webhook else "long polling")
    return ZaloRuntime(channels, senders)
