"""Fake Zalo servers (OA Open API + OAuth, and the Bot Platform): Starlette on uvicorn,
127.0.0.1, a free port, started by the tests in their own event loop.

They record every call and inject the faults the clients must survive: an expired access token
(-216), a spent refresh token (-14020), a user outside the 7-day window (-230), ``ok: false``
inside an HTTP 200, quota errors. :class:`Signer` builds OA webhook events signed as Zalo does
(``X-ZEvent-Signature: mac=<sha256 hex>``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import itertools
import json
import secrets
import time
import urllib.parse
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from bot.app import App, build_app
from bot.clock import FixedClock
from bot.settings import Settings
from tests.fakes import free_port


@contextlib.asynccontextmanager
async def serve(asgi: ASGIApp) -> AsyncIterator[str]:
    """Serve ``asgi`` with uvicorn on 127.0.0.1 (free port); yields the base URL."""
    port = free_port()
    config = uvicorn.Config(
        asgi,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while not server.started:
            if task.done():
                task.result()
            if loop.time() > deadline:
                raise TimeoutError("uvicorn did not start")
            await asyncio.sleep(0.005)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def wait_for(
    predicate: Callable[[], Any],
    timeout: float = 5.0,  # noqa: ASYNC109 - a polling helper, not a cancellable operation
    what: str = "condition",
) -> Any:
    """Poll ``predicate`` every 10 ms until truthy; fail after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


def _hex(n: int = 20) -> str:
    return secrets.token_hex(n // 2)


# --- OA ----------------------------------------------------------------------------------------


@dataclass
class FakeZaloOA:
    """The OA Open API v3 (CS messages, quota) and the OAuth v4 token endpoint."""

    app_id: str = "3608465249409039"
    app_secret: str = "fake-app-secret-Qx7"
    oa_id: str = "388613280878808645"
    refresh_delay: float = 0.1  # the token endpoint is slow, so concurrent callers overlap
    template_ok: bool = True
    access_tokens: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    spent: set[str] = field(default_factory=set)
    token_calls: list[dict[str, str]] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    outside_window: set[str] = field(default_factory=set)
    fail_next: deque[tuple[int, dict[str, Any]]] = field(default_factory=deque)
    base_url: str = ""

    def issue_pair(self) -> tuple[str, str]:
        """A fresh valid token pair."""
        access, refresh = f"AT-{_hex(24)}", f"RT-{_hex(24)}"
        self.access_tokens.add(access)
        self.refresh_tokens.add(refresh)
        return access, refresh

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is now expired (-216)."""
        self.access_tokens.clear()

    def sent_to(self, user_id: str) -> list[dict[str, Any]]:
        """The messages sent to one user, in order."""
        return [m for m in self.sent if m["recipient"]["user_id"] == user_id]

    def texts_to(self, user_id: str) -> list[str]:
        """The texts sent to one user."""
        return [str(m["message"].get("text", "")) for m in self.sent_to(user_id)]

    def asgi(self) -> Starlette:
        """The Starlette app."""
        return Starlette(
            routes=[
                Route("/v4/oa/access_token", self._token, methods=["POST"]),
                Route("/v3.0/oa/message/cs", self._cs, methods=["POST"]),
                Route("/v3.0/oa/quota/message", self._quota, methods=["POST"]),
            ]
        )

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[FakeZaloOA]:
        """Serve on 127.0.0.1 for the duration of the block."""
        async with serve(self.asgi()) as url:
            self.base_url = url
            yield self

    async def _token(self, request: Request) -> Response:
        form = dict(urllib.parse.parse_qsl((await request.body()).decode()))
        self.token_calls.append(form)
        if request.headers.get("secret_key") != self.app_secret or form.get("app_id") != (
            self.app_id
        ):
            return JSONResponse({"error": -14002, "error_name": "Invalid app"})
        await asyncio.sleep(self.refresh_delay)
        token = form.get("refresh_token", "")
        if form.get("grant_type") != "refresh_token" or token not in self.refresh_tokens:
            if token in self.spent:
                self.reused.append(token)
            return JSONResponse(
                {
                    "error": -14020,
                    "error_name": "Invalid refresh token",
                    "error_description": "Invalid refresh token",
                }
            )
        self.refresh_tokens.discard(token)
        self.spent.add(token)
        access, refresh = self.issue_pair()
        return JSONResponse(
            {"access_token": access, "refresh_token": refresh, "expires_in": "90000"}
        )

    def _auth(self, request: Request) -> bool:
        return request.headers.get("access_token") in self.access_tokens

    async def _cs(self, request: Request) -> Response:
        body = await request.json()
        self.calls.append(("cs", body))
        if not self._auth(request):
            return JSONResponse({"error": -216, "message": "Access token is invalid"})
        if self.fail_next:
            status, answer = self.fail_next.popleft()
            return JSONResponse(answer, status_code=status)
        user = str(body.get("recipient", {}).get("user_id", ""))
        message = body.get("message", {})
        if user in self.outside_window:
            return JSONResponse(
                {"error": -230, "message": "User has not interacted with the OA in 7 days"}
            )
        text = message.get("text", "")
        if not isinstance(text, str) or not text or len(text.encode("utf-16-le")) // 2 > 2000:
            return JSONResponse({"error": -201, "message": "text is invalid"})
        if "attachment" in message and not self.template_ok:
            return JSONResponse({"error": -201, "message": "template is not supported"})
        self.sent.append(body)
        remain = max(0, 8 - len(self.sent_to(user)))
        return JSONResponse(
            {
                "data": {
                    "quota": {"quota_type": "reply", "remain": str(remain), "total": "8"},
                    "message_id": _hex(20),
                    "user_id": user,
                },
                "error": 0,
                "message": "Success",
            }
        )

    async def _quota(self, request: Request) -> Response:
        if not self._auth(request):
            return JSONResponse({"error": -216, "message": "Access token is invalid"})
        return JSONResponse(
            {"data": {"cs_reply": {"remain": 8, "total": 8}}, "error": 0, "message": "Success"}
        )


@dataclass
class Signer:
    """Builds and posts OA webhook events signed like Zalo."""

    app_id: str
    oa_secret_key: str
    oa_id: str = "388613280878808645"
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def mac(self, raw: bytes, timestamp: str) -> str:
        """sha256(app_id + body + timestamp + OA secret key), hex."""
        data = self.app_id.encode() + raw + timestamp.encode() + self.oa_secret_key.encode()
        return hashlib.sha256(data).hexdigest()

    def _user_event(
        self, name: str, user: str, ts: int, message: dict[str, Any]
    ) -> dict[str, Any]:
        message = {**message, "msg_id": f"msg{next(self._ids):06d}{_hex(8)}"}
        return {
            "app_id": self.app_id,
            "sender": {"id": user},
            "user_id_by_app": f"app-{user}",
            "recipient": {"id": self.oa_id},
            "event_name": name,
            "message": message,
            "timestamp": str(ts),
        }

    def text(self, user: str, text: str, ts: int) -> dict[str, Any]:
        """user_send_text."""
        return self._user_event("user_send_text", user, ts, {"text": text})

    def location(self, user: str, lat: float, lon: float, ts: int) -> dict[str, Any]:
        """user_send_location (coordinates as strings, like Zalo)."""
        payload = {"coordinates": {"latitude": str(lat), "longitude": str(lon)}}
        attachment = {"type": "location", "payload": payload}
        return self._user_event("user_send_location", user, ts, {"attachments": [attachment]})

    def media(self, kind: str, user: str, ts: int) -> dict[str, Any]:
        """user_send_<kind> with one attachment (image, sticker, gif, audio, video, file)."""
        attachment = {"type": kind, "payload": {"url": "https://example.invalid/x"}}
        return self._user_event(f"user_send_{kind}", user, ts, {"attachments": [attachment]})

    def follow(self, user: str, ts: int, *, unfollow: bool = False) -> dict[str, Any]:
        """follow / unfollow."""
        return {
            "oa_id": self.oa_id,
            "follower": {"id": user},
            "user_id_by_app": f"app-{user}",
            "event_name": "unfollow" if unfollow else "follow",
            "source": "oa_profile",
            "app_id": self.app_id,
            "timestamp": str(ts),
        }

    def request(
        self, event: dict[str, Any], *, prefix: bool = True, bad: bool = False
    ) -> tuple[bytes, dict[str, str]]:
        """The raw body and headers of a signed delivery."""
        raw = json.dumps(event, ensure_ascii=False).encode()
        mac = self.mac(raw, str(event.get("timestamp", "")))
        if bad:
            mac = mac[:-4] + ("0000" if not mac.endswith("0000") else "1111")
        header = f"mac={mac}" if prefix else mac
        return raw, {"X-ZEvent-Signature": header, "Content-Type": "application/json"}

    async def post(
        self, http: httpx.AsyncClient, url: str, event: dict[str, Any], **kwargs: Any
    ) -> httpx.Response:
        """POST one signed event to the webhook."""
        raw, headers = self.request(event, **kwargs)
        return await http.post(url, content=raw, headers=headers)


# --- Bot ---------------------------------------------------------------------------------------


@dataclass
class FakeZaloBot:
    """The Zalo Bot Platform: getUpdates (one update per poll), sendMessage, sendChatAction…"""

    token: str = "1459232241454765289:fAkEsEcReT-zalo-bot-token"
    poll_cap: float = 0.3  # seconds an empty poll waits at most
    empty_status: int = 200  # HTTP status of the empty-poll 408 answer (200 or 408)
    queue: deque[dict[str, Any]] = field(default_factory=deque)
    sent: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    faults: dict[str, deque[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    webhook: dict[str, Any] | None = None
    base_url: str = ""
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def fail(self, method: str, status: int, body: dict[str, Any]) -> None:
        """The next call of ``method`` answers ``body`` with HTTP ``status``."""
        self.faults.setdefault(method, deque()).append((status, body))

    def texts_to(self, chat_id: str) -> list[str]:
        """The texts sent to one chat."""
        return [str(m["text"]) for m in self.sent if m["chat_id"] == chat_id]

    def update(self, chat_id: str, event: str, **fields: Any) -> dict[str, Any]:
        """An update as Zalo sends it (bare ``{event_name, message}``)."""
        return {
            "event_name": event,
            "message": {
                "from": {"id": chat_id, "display_name": "Lan", "is_bot": False},
                "chat": {"id": chat_id, "chat_type": "PRIVATE"},
                "message_id": f"{next(self._ids):04d}{_hex(16)}",
                "date": int(time.time() * 1000),
                **fields,
            },
        }

    def user_text(self, chat_id: str, text: str) -> dict[str, Any]:
        """Queue a text message for getUpdates."""
        return self.push(self.update(chat_id, "message.text.received", text=text))

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates."""
        self.queue.append(update)
        self._wake.set()
        return update

    def asgi(self) -> Starlette:
        """The Starlette app."""
        return Starlette(routes=[Route("/{path:path}", self._route, methods=["GET", "POST"])])

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[FakeZaloBot]:
        """Serve on 127.0.0.1 for the duration of the block."""
        async with serve(self.asgi()) as url:
            self.base_url = url
            yield self

    async def _route(self, request: Request) -> Response:
        path = request.path_params["path"]
        token, _, method = path.removeprefix("bot").partition("/")
        if not path.startswith("bot") or token != self.token:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401
            )
        raw = await request.body()
        params: dict[str, Any] = json.loads(raw) if raw else {}
        self.calls.append(method)
        if self.faults.get(method):
            status, body = self.faults[method].popleft()
            return JSONResponse(body, status_code=status)
        handler = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "sendChatAction": self._send_chat_action,
        }.get(method)
        if handler is None:
            return JSONResponse(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status_code=404
            )
        return await handler(params)

    async def _get_me(self, params: dict[str, Any]) -> Response:
        result = {"id": "1459232241454765289", "account_name": "bot.test"}
        return JSONResponse({"ok": True, "result": {**result, "account_type": "BASIC"}})

    async def _get_updates(self, params: dict[str, Any]) -> Response:
        if not self.queue:
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._wake.wait(), min(float(params.get("timeout", 30)), self.poll_cap)
                )
        if self.queue:
            return JSONResponse({"ok": True, "result": self.queue.popleft()})
        return JSONResponse(
            {"ok": False, "error_code": 408, "description": "Request timeout"},
            status_code=self.empty_status,
        )

    async def _send_message(self, params: dict[str, Any]) -> Response:
        text = params.get("text")
        if not params.get("chat_id") or not isinstance(text, str):
            return JSONResponse(
                {"ok": False, "error_code": 400, "description": "Bad Request"}, status_code=400
            )
        if not 1 <= len(text.encode("utf-16-le")) // 2 <= 2000:
            return JSONResponse(
                {"ok": False, "error_code": 400, "description": "text too long"}, status_code=400
            )
        self.sent.append(params)
        return JSONResponse(
            {"ok": True, "result": {"message_id": _hex(20), "date": int(time.time() * 1000)}}
        )

    async def _send_chat_action(self, params: dict[str, Any]) -> Response:
        self.actions.append(params)
        return JSONResponse({"ok": True})


# --- the bot under test ------------------------------------------------------------------------

TEST_NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
OA_SECRET_KEY = "fake-oa-secret-key-9Lm"


def zalo_settings(
    database_url: str,
    *,
    oa: FakeZaloOA | None = None,
    bot: FakeZaloBot | None = None,
    access_token: str | None = None,
    refresh_token: str | None = None,
    **overrides: Any,
) -> Settings:
    """Settings pointing at the fakes, the given database and the dev pack."""
    from tests.conftest import DEV_PACK

    values: dict[str, Any] = {"database_url": database_url, "content_dir": DEV_PACK}
    if oa is not None:
        values |= {
            "zalo_app_id": oa.app_id,
            "zalo_app_secret": oa.app_secret,
            "zalo_oa_secret_key": OA_SECRET_KEY,
            "zalo_oa_access_token": access_token,
            "zalo_oa_refresh_token": refresh_token,
            "zalo_oa_api_base_url": oa.base_url,
        }
    if bot is not None:
        values |= {"zalo_bot_token": bot.token, "zalo_bot_api_base_url": bot.base_url}
    return Settings(_env_file=None, **(values | overrides))


@contextlib.asynccontextmanager
async def running_app(settings: Settings, clock: FixedClock | None = None) -> AsyncIterator[App]:
    """A prepared :class:`App` on a fixed clock (2026-12-02 09:00), closed afterwards."""
    app = build_app(settings, clock=clock or FixedClock(TEST_NOW))
    try:
        await app.prepare()
        yield app
    finally:
        await app.close()


def epoch_ms(when: dt.datetime) -> int:
    """An aware datetime as Zalo's epoch milliseconds."""
    return int(when.timestamp() * 1000)
