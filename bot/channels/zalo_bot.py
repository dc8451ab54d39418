"""The Zalo Bot Platform channel (Telegram-like): long polling or the ``/zalo/bot`` webhook,
and numbered choices instead of buttons (this surface has none). The API client and the
update payloads are in :mod:`bot.channels.zalo_bot_client`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.channels.zalo_bot_client import (
    CHANNEL,
    ZaloBotClient,
    parse_update,
    to_incoming,
    update_key,
)
from bot.channels.zalo_errors import (
    ZaloApiError,
    ZaloAuthError,
    ZaloQuotaError,
    ZaloTransientError,
)
from bot.channels.zalo_state import begin_message, first_time, last_interaction, remember_choices
from bot.channels.zalo_text import numbered, split_zalo
from bot.channels.zalo_workers import Workers
from bot.delivery import Outcome
from bot.http import BodyTooLarge, read_body, secret_matches
from bot.intake import Intake, Stored
from bot.logs import redact_secrets
from bot.messages import Reply

if TYPE_CHECKING:
    from bot.app import App, Dispatch

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Bot-Api-Secret-Token"
MAX_BODY = 64 * 1024  # updates are a few hundred bytes
QUOTA_BACKOFF = 3600.0  # 429 is the monthly plan quota: do not hot-retry


class ZaloBot:
    """Zalo Bot updates → ``dispatch`` → sendMessage; also the outbox's :class:`Sender`."""

    channel = CHANNEL

    def __init__(
        self,
        app: App,
        client: ZaloBotClient,
        *,
        dispatch: Dispatch,
        secret: str | None = None,
        poll_timeout: int = 30,
        min_poll_interval: float = 1.0,
        workers: int = 4,
    ) -> None:
        self.app = app
        self.client = client
        self.dispatch = dispatch
        self.secret = secret
        self.poll_timeout = poll_timeout
        self.min_poll_interval = min_poll_interval
        self.workers: Workers[dict[str, Any]] = Workers(
            "zalo-bot", self.handle_update, count=workers
        )
        self._poller: asyncio.Task[None] | None = None
        self.intake: Intake | None = None
        redact_secrets(secret)

    def use_intake(self, intake: Intake) -> None:
        """Store every update in the durable intake and answer it from there."""
        self.intake = intake
        intake.register(CHANNEL, self.handle_update)

    # --- inbound ---

    async def receive(self, update: dict[str, Any]) -> bool:
        """Store (or queue) an update unless it was already handled; False if dropped.

        With the durable intake the update is committed before this returns, and a database
        failure raises (the webhook then answers 500, the poller keeps the update and retries).
        """
        key = update_key(update)
        if self.intake is not None:
            chat_id = str(update.get("message", {}).get("chat", {}).get("id", ""))
            body = json.dumps(update, sort_keys=True, ensure_ascii=False)
            dedupe = key or f"bot:sha:{hashlib.sha256(body.encode()).hexdigest()}"
            return await self.intake.accept([Stored(CHANNEL, dedupe, chat_id, update)]) > 0
        if key is not None and not await first_time(self.app, [key]):
            log.info("zalo bot: duplicate update dropped")
            return False
        chat_id = str(update.get("message", {}).get("chat", {}).get("id", ""))
        if not self.workers.submit(chat_id, update):
            log.error("zalo bot: queue full, update dropped")
            return False
        return True

    async def handle_update(self, update: dict[str, Any]) -> None:
        """Answer one update (runs on a worker)."""
        incoming = to_incoming(update)
        if incoming is None:
            return
        incoming = await begin_message(self.app, incoming)
        if incoming.text is not None:
            with contextlib.suppress(ZaloApiError):
                await self.client.send_chat_action(incoming.chat_id)
        replies = await self.dispatch(incoming, self.app)
        try:
            await self.send_replies(incoming.chat_id, replies)
        except ZaloApiError as exc:
            log.warning("zalo bot: reply not delivered: %s", exc)

    async def send_replies(self, chat_id: str, replies: Sequence[Reply]) -> None:
        """Send replies as numbered text, split at 2000; remember the numbers first."""
        parts = numbered(replies)
        buttons = [b for _, shown in parts for b in shown]
        await remember_choices(self.app, channel=CHANNEL, user_id=chat_id, buttons=buttons)
        for text, _ in parts:
            for chunk in split_zalo(text):
                await self.client.send_message(chat_id, chunk)

    # --- long polling ---

    async def poll_forever(self) -> None:
        """getUpdates in a loop: the only consumer of this token's updates."""
        backoff = 1.0
        while True:
            try:
                update = await self.client.get_update(self.poll_timeout)
            except ZaloAuthError as exc:
                log.error("zalo bot: token rejected, polling stops: %s", exc)
                return
            except ZaloApiError as exc:
                if exc.code == 400:
                    log.error("zalo bot: polling refused (is a webhook set?): %s", exc)
                    return
                log.warning("zalo bot: poll failed (%s); retrying in %.0f s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(60.0, backoff * 2)
                continue
            backoff = 1.0
            if update is None:
                continue
            parsed = parse_update(update)
            if parsed is not None:
                await self._keep(parsed)
            if self.min_poll_interval > 0:  # some report the same update served again at once
                await asyncio.sleep(self.min_poll_interval)

    async def _keep(self, update: dict[str, Any]) -> None:
        """Hand a polled update on; this platform has no offset to fetch it again, so while
        the database is away keep it here and try again."""
        backoff = 1.0
        while True:
            try:
                await self.receive(update)
                return
            except Exception as exc:
                log.warning("zalo bot: storing an update failed (%s)", type(exc).__name__)
                await asyncio.sleep(backoff)
                backoff = min(30.0, backoff * 2)

    # --- webhook ---

    def routes(self) -> list[Route]:
        """``POST /zalo/bot``, secret-checked in constant time."""
        return [Route("/zalo/bot", self.webhook, methods=["POST"])]

    async def webhook(self, request: Request) -> Response:
        """Check the secret, cap and parse the body, queue the update; answer at once."""
        if self.secret is None or not secret_matches(
            request.headers.get(SECRET_HEADER), self.secret
        ):
            return Response(status_code=403)
        try:
            body = json.loads(await read_body(request, MAX_BODY))
        except BodyTooLarge:
            return Response(status_code=413)
        except ValueError:
            return Response(status_code=400)
        update = parse_update(body)
        if update is not None:
            try:
                await self.receive(update)
            except Exception as exc:  # not stored: Zalo must deliver it again
                log.warning("zalo bot: update not stored (%s): 500", type(exc).__name__)
                return JSONResponse({"message": "Try again"}, status_code=500)
        return JSONResponse({"message": "Success"})

    # --- lifecycle ---

    def start(self, *, poll: bool) -> None:
        """Start the workers, and the long-polling loop when ``poll``."""
        if self.intake is None:
            self.workers.start()
        if poll and self._poller is None:
            self._poller = asyncio.create_task(self.poll_forever(), name="zalo-bot-poll")

    async def stop(self) -> None:
        """Stop polling and the workers, close the client."""
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        await self.workers.stop()
        await self.client.aclose()

    # --- Sender ---

    async def can_message(self, chat_id: str, now: dt.datetime) -> tuple[bool, str | None]:
        """Only users who wrote to the bot first (no window is documented for this surface)."""
        seen = await last_interaction(self.app, channel=CHANNEL, user_id=chat_id)
        if seen is None:
            return False, "this chat never wrote to the Zalo bot"
        return True, None

    async def deliver(self, chat_id: str, reply: Reply) -> Outcome:
        """Send one proactive message; the platform's error becomes the Outcome."""
        try:
            await self.send_replies(chat_id, [reply])
        except ZaloQuotaError as exc:
            return Outcome("retry", reason=f"quota exceeded: {exc}", retry_after=QUOTA_BACKOFF)
        except ZaloAuthError as exc:
            return Outcome("failed", reason=f"bot token rejected: {exc}")
        except ZaloTransientError as exc:
            return Outcome("retry", reason=str(exc))
        except ZaloApiError as exc:
            return Outcome("failed", reason=str(exc))
        return Outcome("sent")
