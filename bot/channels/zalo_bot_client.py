"""The Zalo Bot Platform's API (Telegram-like), as a thin httpx client, and its update payloads.

The token sits in the URL path, so URLs are never logged and errors carry only the method name
(see :func:`bot.logs.redact_secrets`). ``ok: false`` is an error whatever the HTTP status; an
empty long poll comes back as error 408 and means "no update".
"""

from __future__ import annotations

from typing import Any

import httpx

from bot.channels.zalo_errors import (
    ZaloApiError,
    ZaloAuthError,
    ZaloQuotaError,
    ZaloTransientError,
)
from bot.channels.zalo_text import parse_text
from bot.logs import redact_secrets
from bot.messages import Incoming

CHANNEL = "zalo_bot"
DEFAULT_BASE_URL = "https://bot-api.zaloplatforms.com"
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


def to_incoming(update: dict[str, Any]) -> Incoming | None:
    """Translate an update; None for what we do not answer (groups, unknown events).

    A typed number stays text here: :func:`bot.channels.zalo_state.begin_message` maps it
    back to the choice it picks.
    """
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
        return Incoming(**base, **parse_text(message["text"]))
    if event in UNSUPPORTED:
        return Incoming(**base, unsupported=UNSUPPORTED[event])
    return None
