"""The Zalo Bot Platform channel (Telegram-like): a thin httpx client, long polling or the
``/zalo/bot`` webhook, and numbered choices instead of buttons (this surface has none).

The token sits in the URL path, so URLs are never logged and errors carry only the method name
(see :func:`bot.channels.zalo_common.redact_secrets`). ``ok: false`` is an error whatever the
HTTP status; an empty long poll comes back as error 408 and means "no update".
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

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.channels.zalo_common import (
    Workers,
    ZaloApiError,
    ZaloAuthError,
    ZaloQuotaError,
    ZaloTransientError,
    first_time,
    last_interaction,
    numbered,
    redact_secrets,
    remember_choices,
    split_zalo,
    to_incoming_text,
    touch_interaction,
)
from bot.delivery import Outcome
from bot.http import BodyTooLarge, read_body, secret_matches
from bot.intake import Intake, Stored
from bot.messages import Incoming, Reply

if TYPE_CHECKING:
    from bot.app import App, Dispatch

log = logging.getLogger(__name__)


CHANNEL = "zalo_bot"
DEFAULT_BASE_URL = "https://bot-api.zaloplatforms.com"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
MAX_BODY = 64 * 1024  # updates are a few hundred bytes
QUOTA_BACKOFF = 3600.0  # 429 is the monthly plan quota: do not hot-retry
UNSUPPORTED = {
    "message.image.received": "photo",
    "message.sticker.received": "sticker",
    "message.voice.received": "voice",
    "message.unsupported.received": "protected",
}


class ZaloIdle(ZaloApiError):
    """An empty long poll (error 408): not an error."""


def _error(method: str, status: int, body: dict[str, Any]) -> ZaloApiError:
    """The exception for an ``ok: false`` answer, by its error code."""
    raw = body.get("error_code", status)
    try:
        code = int(raw)
    except (TypeError, ValueError):
        code = status
    description = str(body.get("description") or "error")[:200]
    kind: type[ZaloApiError] = ZaloApiError
    if code == 408:
        kind = ZaloIdle
    elif code == 401:
        kind = ZaloAuthError
    elif code == 429:
        kind = ZaloQuotaError
    elif code == 403 or code >= 500:  # the docs call 403 an internal server error
        kind = ZaloTransientError
    return kind(method, code, description, http_status=status)


class ZaloBotClient:
    """The Bot API methods we use; every call is POST + JSON and checks ``ok``."""

    def __init__(
        self,
        token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 15.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        redact_secrets(token)
        self._token = token
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._http = http or httpx.AsyncClient(timeout=timeout)
        self._own_http = http is None

    async def call(
        self, method: str, payload: dict[str, Any] | None = None, *, wait: float | None = None
    ) -> Any:
        """One API call (``wait``: read timeout); the ``result``, else a ZaloApiError."""
        url = f"{self.base_url}/bot{self._token}/{method}"
        try:
            response = await self._http.post(url, json=payload or {}, timeout=wait or self.timeout)
        except httpx.HTTPError as exc:  # the message may carry the URL: keep only the type
            raise ZaloTransientError(method, None, type(exc).__name__) from None
        try:
            body = response.json()
        except ValueError:
            raise ZaloTransientError(
                method, None, "not JSON", http_status=response.status_code
            ) from None
        if not isinstance(body, dict):
            raise ZaloTransientError(method, None, "not an object", response.status_code)
        if body.get("ok") is not True:
            raise _error(method, response.status_code, body)
        return body.get("result")

    async def get_me(self) -> dict[str, Any]:
        """The bot's own account (a token check)."""
        return dict(await self.call("getMe") or {})

    async def get_update(self, timeout_s: int = 30) -> dict[str, Any] | None:
        """One update by long polling, or None when the poll timed out empty."""
        try:
            result = await self.call("getUpdates", {"timeout": timeout_s}, wait=timeout_s + 10.0)
        except ZaloIdle:
            return None
        return result if isinstance(result, dict) and result else None

    async def set_webhook(self, url: str, secret_token: str) -> dict[str, Any]:
        """Register the webhook (public HTTPS URL, 8-256 character secret)."""
        if not url.startswith("https://") or not 8 <= len(secret_token) <= 256:
            raise ValueError("the webhook needs an https:// URL and an 8-256 character secret")
        redact_secrets(secret_token)
        return dict(await self.call("setWebhook", {"url": url, "secret_token": secret_token}))

    async def delete_webhook(self) -> dict[str, Any]:
        """Remove the webhook (long polling works again)."""
        return dict(await self.call("deleteWebhook") or {})

    async def get_webhook_info(self) -> dict[str, Any] | None:
        """The webhook, or None when none is set (the API answers 404)."""
        try:
            return dict(await self.call("getWebhookInfo") or {})
        except ZaloApiError as exc:
            if exc.code == 404:
                return None
            raise

    async def send_message(self, chat_id: str, text: str) -> dict[str, Any]:
        """Send plain text (1-2000 characters)."""
        result = await self.call("sendMessage", {"chat_id": chat_id, "text": text})
        return dict(result or {})

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> None:
        """Show "typing…"."""
        await self.call("sendChatAction", {"chat_id": chat_id, "action": action})

    async def aclose(self) -> None:
        """Close the HTTP client if we made it."""
        if self._own_http:
            await self._http.aclose()


def parse_update(body: Any) -> dict[str, Any] | None:
    """The update inside a webhook body or poll result: wrapped ``{"ok","result"}`` or bare."""
    if isinstance(body, dict) and isinstance(body.get("result"), dict):
        body = body["result"]
    if not isinstance(body, dict) or not isinstance(body.get("message"), dict):
        return None  # [], 5, "x", null: nothing to answer, and no error for Zalo to retry
    message = body["message"]
    if any(not isinstance(message.get(k, {}), dict) for k in ("chat", "from")):
        return None
    return body


def update_key(update: dict[str, Any]) -> str | None:
    """The dedupe key of an update (event name + message id), if it has an id."""
    message_id = update.get("message", {}).get("message_id")
    if not message_id:
        return None
    return f"bot:{update.get('event_name', '')}:{message_id}"


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
        if key is not None and not await first_time(self.app.sessions, [key], self.app.now()):
            log.info("zalo bot: duplicate update dropped")
            return False
        chat_id = str(update.get("message", {}).get("chat", {}).get("id", ""))
        if not self.workers.submit(chat_id, update):
            log.error("zalo bot: queue full, update dropped")
            return False
        return True

    async def to_incoming(self, update: dict[str, Any]) -> Incoming | None:
        """Translate an update; None for what we do not answer (groups, unknown events)."""
        message = update.get("message") or {}
        chat = message.get("chat") or {}
        sender = message.get("from") or {}
        if chat.get("chat_type", "PRIVATE") != "PRIVATE" or not chat.get("id"):
            return None
        if sender.get("is_bot"):
            return None
        base: dict[str, Any] = {
            "channel": CHANNEL,
            "user_id": str(sender.get("id") or chat["id"]),
            "chat_id": str(chat["id"]),
            "display_name": sender.get("display_name") or None,
        }
        event = update.get("event_name", "")
        if event == "message.text.received" and isinstance(message.get("text"), str):
            return await to_incoming_text(self.app.sessions, base, message["text"])
        if event in UNSUPPORTED:
            return Incoming(**base, unsupported=UNSUPPORTED[event])
        return None

    async def handle_update(self, update: dict[str, Any]) -> None:
        """Answer one update (runs on a worker)."""
        incoming = await self.to_incoming(update)
        if incoming is None:
            return
        await touch_interaction(
            self.app.sessions, channel=CHANNEL, user_id=incoming.chat_id, now=self.app.now()
        )
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
        await remember_choices(
            self.app.sessions,
            channel=CHANNEL,
            user_id=chat_id,
            buttons=[b for _, buttons in parts for b in buttons],
            now=self.app.now(),
        )
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
        seen = await last_interaction(self.app.sessions, channel=CHANNEL, user_id=chat_id, now=now)
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
