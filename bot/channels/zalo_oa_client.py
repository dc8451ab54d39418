"""The OA Open API v3 calls we use (consultation messages, quota); ``error == 0`` is the only
success, and an error code becomes the exception that says what to do about it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from bot.channels.zalo_errors import (
    ZaloApiError,
    ZaloAuthError,
    ZaloQuotaError,
    ZaloTransientError,
    as_int,
)
from bot.channels.zalo_oa_tokens import OATokens

DEFAULT_API_BASE_URL = "https://openapi.zalo.me"
TOKEN_ERRORS = frozenset({-216, -220})
WINDOW_ERRORS = {
    -213: "the user does not follow the OA",
    -218: "the user's receive quota is exhausted",
    -230: "no interaction within 7 days",
    -232: "no interaction or it expired",
    -234: "not allowed at night",
    -244: "the user restricted this type of message",
}
BLOCKED_ERRORS = frozenset({-227})  # banned, or inactive for more than 45 days
RATE_ERRORS = frozenset({-32, -211})


class OAWindowError(ZaloApiError):
    """Zalo refused the message under its messaging rules (window, quota, night, follow)."""


class OABlockedError(ZaloApiError):
    """The user cannot be reached any more (banned or long inactive)."""


class ZaloOAClient:
    """The OA Open API calls we use; ``error == 0`` is the only success."""

    def __init__(
        self,
        tokens: OATokens,
        http: httpx.AsyncClient,
        *,
        api_base_url: str = DEFAULT_API_BASE_URL,
    ) -> None:
        self.tokens = tokens
        self.http = http
        self.api_base_url = api_base_url.rstrip("/")

    async def post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST with the access token; on an expired token refresh once and retry once."""
        for attempt in (1, 2):
            token = await self.tokens.access_token()
            try:
                response = await self.http.post(
                    f"{self.api_base_url}{path}", json=payload, headers={"access_token": token}
                )
            except httpx.HTTPError as exc:
                raise ZaloTransientError(path, None, type(exc).__name__) from None
            try:
                body = response.json()
            except ValueError:
                body = None
            if not isinstance(body, dict):
                raise ZaloTransientError(path, None, "not JSON", response.status_code)
            code = as_int(body.get("error")) if "error" in body else 0
            if response.status_code == 401 or code in TOKEN_ERRORS:
                if attempt == 1:
                    await self.tokens.refresh(stale=token)
                    continue
                raise ZaloAuthError(path, code, "access token rejected", response.status_code)
            if code == 0 and response.status_code < 400:
                data = body.get("data")
                return data if isinstance(data, dict) else {}
            raise _oa_error(path, code, str(body.get("message") or ""), response.status_code)
        raise AssertionError("unreachable")

    async def send_text(self, user_id: str, text: str) -> dict[str, Any]:
        """A consultation text message (≤2000 characters)."""
        return await self.post(
            "/v3.0/oa/message/cs", {"recipient": {"user_id": user_id}, "message": {"text": text}}
        )

    async def send_buttons(
        self, user_id: str, text: str, buttons: Sequence[tuple[str, str]]
    ) -> dict[str, Any]:
        """A consultation message with ``oa.query.hide`` buttons (title, payload)."""
        message = {
            "text": text,
            "attachment": {
                "type": "template",
                "payload": {
                    "buttons": [
                        {"title": title[:100], "type": "oa.query.hide", "payload": payload}
                        for title, payload in buttons
                    ]
                },
            },
        }
        return await self.post(
            "/v3.0/oa/message/cs", {"recipient": {"user_id": user_id}, "message": message}
        )

    async def quota(self, user_id: str) -> dict[str, Any]:
        """The user's last interaction and the remaining free replies and promotions."""
        return await self.post("/v3.0/oa/quota/message", {"user_id": user_id})


def _oa_error(path: str, code: int | None, message: str, status: int) -> ZaloApiError:
    """The exception for an OA error code."""
    if code in WINDOW_ERRORS:
        return OAWindowError(path, code, WINDOW_ERRORS[code], status)
    if code in BLOCKED_ERRORS:
        return OABlockedError(path, code, message[:200] or "user unreachable", status)
    if code in RATE_ERRORS:
        return ZaloQuotaError(path, code, message[:200] or "rate limited", status)
    if status >= 500:
        return ZaloTransientError(path, code, message[:200] or "server error", status)
    return ZaloApiError(path, code, message[:200] or "error", status)
