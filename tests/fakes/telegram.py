"""A fake Telegram Bot API server: Starlette on uvicorn, 127.0.0.1, a free port.

Strict where Telegram is strict (text length after HTML parsing, callback_data bytes, edits that
change nothing, double answers), with fault injection per method, blocked chats and an optional
overall rate cap. Tests push user updates with ``user_*`` helpers, the bot under test long-polls
them, and the tests assert on ``calls`` / ``sent`` and wait with :meth:`FakeTelegram.wait_for`.

    async with FakeTelegram() as fake:
        settings = ...(telegram_api_base_url=fake.base_url, telegram_bot_token=fake.token)
        fake.user_text(42, "xin chào")
        await fake.wait_for(lambda: fake.sent_to(42))
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import email.parser
import email.policy
import html
import itertools
import json
import re
import time
import urllib.parse
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

import uvicorn
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram import Update

import handlers
from bot.app import App, Dispatch, build_app
from bot.channels.telegram import (
    TYPING_AFTER,
    TelegramApp,
    build_telegram,
    start_telegram,
    stop_telegram,
)
from bot.clock import FixedClock
from bot.settings import Settings
from tests.fakes import free_port

BOT_ID = 777000111
SENDING_METHODS = frozenset(
    {"sendMessage", "editMessageText", "sendDocument", "sendPhoto", "copyMessage"}
)
ALLOWED_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre"}
    | {"tg-spoiler", "span", "blockquote", "tg-emoji"}
)
TAG = re.compile(r"<(/?)([a-zA-Z-]+)[^>]*>")


class ApiError(Exception):
    """An error answer of the Bot API."""

    def __init__(self, code: int, description: str, retry_after: float | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def response(self) -> JSONResponse:
        """The JSON body Telegram sends for an error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return JSONResponse(body, status_code=self.code)


@dataclass
class Fault:
    """One scripted failure of a method: ``Fault.flood(1)``, ``Fault.server_error()``..."""

    code: int
    description: str
    retry_after: float | None = None
    chat_id: int | None = None  # only for this chat, if set

    @classmethod
    def flood(cls, retry_after: float = 1, chat_id: int | None = None) -> Fault:
        """429 Too Many Requests."""
        return cls(429, f"Too Many Requests: retry after {retry_after}", retry_after, chat_id)

    @classmethod
    def server_error(cls, code: int = 502, chat_id: int | None = None) -> Fault:
        """A 5xx from Telegram's front (PTB raises NetworkError)."""
        return cls(code, "Bad Gateway", None, chat_id)

    @classmethod
    def bad_request(cls, description: str, chat_id: int | None = None) -> Fault:
        """400 with a description."""
        return cls(400, f"Bad Request: {description}", None, chat_id)


@dataclass
class Call:
    """One request the bot made: the method name and its decoded parameters."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


def visible_text(text: str, parse_mode: str | None) -> str:
    """The text after entity parsing; 400 for HTML Telegram could not parse."""
    if parse_mode is None:
        return text
    if parse_mode.upper() != "HTML":
        return text
    stack: list[str] = []
    for match in TAG.finditer(text):
        closing, name = match.group(1) == "/", match.group(2).lower()
        if name not in ALLOWED_TAGS:
            raise ApiError(400, f"Bad Request: can't parse entities: unsupported start tag {name}")
        if closing:
            if not stack or stack.pop() != name:
                raise ApiError(400, "Bad Request: can't parse entities: unmatched end tag")
        else:
            stack.append(name)
    if stack:
        raise ApiError(400, "Bad Request: can't parse entities: can't find end tag")
    stripped = TAG.sub("", text)
    if re.search(r"&(?!(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)", stripped):
        raise ApiError(400, "Bad Request: can't parse entities: unsupported entity")
    if "<" in stripped or ">" in stripped:
        raise ApiError(400, "Bad Request: can't parse entities: unexpected < or >")
    return html.unescape(stripped)


def _multipart(content_type: str, body: bytes) -> list[tuple[str, str | bytes]]:
    """Decode multipart/form-data with the standard library (files stay bytes)."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    fields: list[tuple[str, str | bytes]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        payload = payload if isinstance(payload, bytes) else b""
        if part.get_filename() is None:
            fields.append((str(name), payload.decode()))
        else:
            fields.append((str(name), payload))
    return fields


def _int(value: Any) -> int:
    """Numbers arrive as form strings."""
    return int(value)


class FakeTelegram:
    """The fake Bot API, its state, and helpers that play the users."""

    def __init__(
        self,
        *,
        token: str = "123456:TEST",
        bot_username: str = "hoctap_test_bot",
        rate_cap_per_s: float | None = None,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.rate_cap_per_s = rate_cap_per_s
        self.calls: list[Call] = []
        self.errors: list[tuple[str, int, str]] = []  # (method, code, description) refused
        self.conflicts: list[str] = []  # getUpdates ended by a newer getUpdates (409)
        self.on_sent: list[Callable[[dict[str, Any]], None]] = []  # called per sendMessage
        self.sent: list[dict[str, Any]] = []  # every message the bot sent, in order
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}  # current state per message
        self.edits: list[dict[str, Any]] = []
        self.answers: list[dict[str, Any]] = []
        self.actions: list[dict[str, Any]] = []
        self.commands: list[dict[str, Any]] | None = None
        self.webhook: dict[str, Any] | None = None
        self.faults: defaultdict[str, deque[Fault]] = defaultdict(deque)
        self.blocked: set[int] = set()
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, content)
        self.pending: list[dict[str, Any]] = []  # updates not yet confirmed by an offset
        self.pushed_at: dict[int, float] = {}  # update_id -> time.monotonic() when pushed
        self.sent_at: list[float] = []  # parallel to ``sent``
        self._answered: set[str] = set()
        self._ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self.uploads: list[dict[str, Any]] = []  # files the bot sent (sendDocument / sendPhoto)
        self._recent: deque[float] = deque()
        self._cond: asyncio.Condition | None = None
        self._poll_generation = 0
        self._closing = False
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.port = 0
        self.methods: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getMe": self._get_me,
            "logOut": lambda p: True,
            "close": lambda p: True,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": lambda p: self.commands or [],
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "getFile": self._get_file,
            "sendDocument": lambda p: self._send_file("document", p),
            "sendPhoto": lambda p: self._send_file("photo", p),
        }

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What to put in ``TELEGRAM_API_BASE_URL``."""
        return f"http://127.0.0.1:{self.port}"

    def app(self) -> Starlette:
        """The ASGI app (Bot API routes and file downloads)."""
        return Starlette(
            routes=[
                Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._download, methods=["GET"]),
                Route("/fake/sent", self._sent_stats, methods=["GET"]),
            ]
        )

    async def start(self) -> None:
        """Serve on a free port in the running event loop."""
        self._cond = asyncio.Condition()
        self.port = free_port()
        config = uvicorn.Config(
            self.app(),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.005)

    async def stop(self) -> None:
        """Wake long polls and stop serving."""
        self._closing = True
        await self._notify()
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # --- HTTP --------------------------------------------------------------------------------

    async def _endpoint(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return ApiError(401, "Unauthorized").response()
        method = request.path_params["method"]
        try:
            params = await self._params(request)
        except ClientDisconnect:  # the client died mid-request (a test killed it)
            return Response(status_code=499)
        self.calls.append(Call(method, params))
        try:
            fault = self._take_fault(method, params)
            if fault is not None:
                raise ApiError(fault.code, fault.description, fault.retry_after)
            if method == "getUpdates":
                result: Any = await self._get_updates(params)
            else:
                handler = self.methods.get(method)
                if handler is None:
                    raise ApiError(404, "Not Found: method not found")
                self._check_chat(method, params)
                result = handler(params)
        except ApiError as exc:
            if exc.description.startswith("Conflict: terminated"):
                # an abandoned long poll (a stopping poller) or a second instance polling
                self.conflicts.append(exc.description)
            else:
                self.errors.append((method, exc.code, exc.description))
            return exc.response()
        return JSONResponse({"ok": True, "result": result})

    async def _params(self, request: Request) -> dict[str, Any]:
        """Form fields (JSON-decoded where they are JSON), JSON bodies or query strings."""
        params: dict[str, Any] = dict(request.query_params)
        if request.method != "POST":
            return params
        ctype = request.headers.get("content-type", "")
        body = await request.body()
        if "json" in ctype:
            params.update(json.loads(body) if body else {})
            return params
        if ctype.startswith("multipart/"):
            fields: list[tuple[str, str | bytes]] = _multipart(ctype, body)
        else:
            fields = list(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
        for key, value in fields:
            if isinstance(value, str) and value[:1] in "[{":
                try:
                    params[key] = json.loads(value)
                    continue
                except ValueError:
                    pass
            params[key] = value
        return params

    async def _download(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return Response(status_code=401)
        path = request.path_params["path"]
        for file_path, content in self.files.values():
            if file_path == path:
                return Response(content, media_type="application/octet-stream")
        return Response(status_code=404)

    async def _sent_stats(self, request: Request) -> Response:
        """``GET /fake/sent``: how many messages were sent (for a fake in another process)."""
        return JSONResponse({"sent": len(self.sent), "calls": len(self.calls)})

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        """The next scripted fault of this method (for this chat), or a rate-cap 429."""
        queue = self.faults.get(method)
        if queue:
            chat = params.get("chat_id")
            for fault in list(queue):
                if fault.chat_id is None or str(fault.chat_id) == str(chat):
                    queue.remove(fault)
                    return fault
        if self.rate_cap_per_s is not None and method in SENDING_METHODS:
            now = time.monotonic()
            while self._recent and now - self._recent[0] >= 1.0:
                self._recent.popleft()
            if len(self._recent) >= self.rate_cap_per_s:
                return Fault.flood(1)
            self._recent.append(now)
        return None

    def _check_chat(self, method: str, params: dict[str, Any]) -> None:
        chat = params.get("chat_id")
        sending = method in SENDING_METHODS or method == "sendChatAction"
        if sending and chat is not None and _int(chat) in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    async def _notify(self) -> None:
        if self._cond is not None:
            async with self._cond:
                self._cond.notify_all()

    # --- methods -----------------------------------------------------------------------------

    def bot_user(self) -> dict[str, Any]:
        """The bot's own ``User``."""
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Học tập",
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user()

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        if str(params.get("drop_pending_updates", "")).lower() == "true":
            self.pending.clear()
        return True

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = params
        return True

    def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        url = self.webhook.get("url", "") if self.webhook else ""
        return {"url": url, "has_custom_certificate": False, "pending_update_count": 0}

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or not commands:
            raise ApiError(400, "Bad Request: commands must be a non-empty list")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command.get("command", "")):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise ApiError(400, "Bad Request: command description is invalid")
        self.commands = commands
        return True

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = _int(params.get("offset", 0) or 0)
        limit = _int(params.get("limit", 100) or 100)
        timeout = float(params.get("timeout", 0) or 0)
        if offset:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
        self._poll_generation += 1
        generation = self._poll_generation
        await self._notify()  # an older long poll still waiting ends with 409, like Telegram
        assert self._cond is not None
        if not self.pending and timeout > 0 and not self._closing:
            async with self._cond:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._cond.wait_for(
                            lambda: (
                                bool(self.pending)
                                or self._closing
                                or self._poll_generation != generation
                            )
                        ),
                        timeout,
                    )
        if self._poll_generation != generation:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        return self.pending[:limit]

    def _markup(self, params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if not button.get("text"):
                    raise ApiError(400, "Bad Request: text buttons are unallowed")
        return markup

    def _text(self, params: dict[str, Any]) -> tuple[str, str]:
        """(raw text, visible text) after the 1-4096 check."""
        raw = str(params.get("text", ""))
        visible = visible_text(raw, params.get("parse_mode"))
        if not visible.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(visible) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        return raw, visible

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = _int(params["chat_id"])
        raw, visible = self._text(params)
        markup = self._markup(params)
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": self.bot_user(),
            "text": visible,
            "html": raw,
            "parse_mode": params.get("parse_mode"),
        }
        if markup is not None:
            message["reply_markup"] = markup
        self.messages[(chat_id, message["message_id"])] = message
        self.sent.append(dict(message))  # a snapshot: later edits change ``messages`` only
        self.sent_at.append(time.monotonic())
        for listener in self.on_sent:
            listener(message)
        return self._public(message)

    def _send_file(self, kind: str, params: dict[str, Any]) -> dict[str, Any]:
        """sendDocument / sendPhoto: the file arrives as a multipart part named after ``kind``."""
        chat_id = _int(params["chat_id"])
        data = params.get(kind)
        if not isinstance(data, bytes) or not data:
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        caption = str(params.get("caption", ""))
        if len(visible_text(caption, params.get("parse_mode"))) > 1024:
            raise ApiError(400, "Bad Request: message caption is too long")
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": self.bot_user(),
            "caption": caption,
        }
        file_id = f"sent{message['message_id']}"
        if kind == "photo":
            message["photo"] = [
                {"file_id": file_id, "file_unique_id": file_id, "width": 800, "height": 360}
            ]
        else:
            message["document"] = {"file_id": file_id, "file_unique_id": file_id}
        self.uploads.append({"chat_id": chat_id, "kind": kind, "data": data, **message})
        return message

    def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        if "inline_message_id" in params:
            raise ApiError(400, "Bad Request: message to edit not found")
        key = (_int(params["chat_id"]), _int(params["message_id"]))
        message = self.messages.get(key)
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        raw, visible = self._text(params)
        markup = self._markup(params)
        if message["html"] == raw and message.get("reply_markup") == markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        message.update(text=visible, html=raw, edit_date=int(time.time()))
        message["parse_mode"] = params.get("parse_mode")
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        self.edits.append(dict(message))
        return self._public(message)

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params["callback_query_id"])
        if query_id in self._answered:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is "
                "invalid",
            )
        self._answered.add(query_id)
        self.answers.append(params)
        return True

    def _send_chat_action(self, params: dict[str, Any]) -> bool:
        self.actions.append(params)
        return True

    def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params.get("file_id"))
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        path, content = self.files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(content),
            "file_path": path,
        }

    @staticmethod
    def _public(message: dict[str, Any]) -> dict[str, Any]:
        """A stored message as the API returns it (without our bookkeeping keys)."""
        out = {k: v for k, v in message.items() if k not in ("html", "parse_mode")}
        return out

    # --- the users' side ---------------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> int:
        """Queue any update (``update_id`` is assigned) and wake the long poll."""
        update_id = next(self._update_ids)
        update = {"update_id": update_id, **update}
        self.pending.append(update)
        self.pushed_at[update_id] = time.monotonic()
        if self._cond is not None:
            asyncio.get_running_loop().create_task(self._notify())
        return update_id

    def user(self, uid: int, *, language_code: str | None = "vi") -> dict[str, Any]:
        """The ``User`` object of a simulated citizen."""
        user: dict[str, Any] = {"id": uid, "is_bot": False, "first_name": f"Người dùng {uid}"}
        if language_code is not None:
            user["language_code"] = language_code
        return user

    def _message(
        self, uid: int, fields: dict[str, Any], *, language_code: str | None = "vi"
    ) -> dict[str, Any]:
        return {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": uid, "type": "private", "first_name": f"Người dùng {uid}"},
            "from": self.user(uid, language_code=language_code),
            **fields,
        }

    def user_message(
        self, uid: int, fields: dict[str, Any], *, language_code: str | None = "vi"
    ) -> int:
        """A private message from ``uid`` with the given content fields."""
        return self.push({"message": self._message(uid, fields, language_code=language_code)})

    @staticmethod
    def _text_fields(text: str) -> dict[str, Any]:
        fields: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            length = len(text.split()[0].encode("utf-16-le")) // 2
            fields["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return fields

    def user_text(self, uid: int, text: str, *, language_code: str | None = "vi") -> int:
        """A text message; ``/command`` gets its ``bot_command`` entity like Telegram does."""
        return self.user_message(uid, self._text_fields(text), language_code=language_code)

    def group_text(
        self,
        uid: int,
        text: str,
        *,
        chat_id: int = -1001234567890,
        chat_type: str = "supergroup",
        language_code: str | None = "vi",
    ) -> int:
        """A text ``uid`` wrote in a group (``chat_type`` group / supergroup) the bot is in."""
        message = self._message(uid, self._text_fields(text), language_code=language_code)
        message["chat"] = {"id": chat_id, "type": chat_type, "title": "Nhóm phụ huynh xã"}
        return self.push({"message": message})

    def group_press(self, uid: int, data: str, *, chat_id: int = -1001234567890) -> int:
        """A button press on a (forged) bot message in a group: any data a client can send."""
        message = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "supergroup", "title": "Nhóm phụ huynh xã"},
            "from": self.bot_user(),
            "text": "…",
        }
        query = {
            "id": f"cq{next(self._ids)}",
            "from": self.user(uid),
            "message": message,
            "chat_instance": f"ci{chat_id}",
            "data": data,
        }
        return self.push({"callback_query": query})

    def text_update(
        self, uid: int, text: str, *, language_code: str | None = "vi"
    ) -> dict[str, Any]:
        """The Update of a text message, with its ``update_id``, NOT queued for getUpdates:
        for webhook delivery with :class:`WebhookPusher`."""
        update_id = next(self._update_ids)
        self.pushed_at[update_id] = time.monotonic()
        message = self._message(uid, self._text_fields(text), language_code=language_code)
        return {"update_id": update_id, "message": message}

    def user_command(
        self, uid: int, command: str, *args: str, language_code: str | None = "vi"
    ) -> int:
        """``/command args``."""
        return self.user_text(uid, " ".join([f"/{command}", *args]), language_code=language_code)

    def user_press(
        self, uid: int, message_id: int, data: str, *, language_code: str | None = "vi"
    ) -> int:
        """A press on a button of the bot's message ``message_id`` in the chat with ``uid``."""
        message = self.messages[(uid, message_id)]
        buttons = [
            b.get("callback_data")
            for row in message.get("reply_markup", {}).get("inline_keyboard", [])
            for b in row
        ]
        if data not in buttons:
            raise AssertionError(f"message {message_id} has no button {data!r}: {buttons}")
        query = {
            "id": f"cq{next(self._ids)}",
            "from": self.user(uid, language_code=language_code),
            "message": self._public(message),
            "chat_instance": f"ci{uid}",
            "data": data,
        }
        return self.push({"callback_query": query})

    def user_location(self, uid: int, lat: float, lon: float) -> int:
        """A shared location."""
        return self.user_message(uid, {"location": {"latitude": lat, "longitude": lon}})

    def user_contact(self, uid: int, phone: str, *, own: bool = True) -> int:
        """A contact shared with the request_contact button (``own``: the sender's own)."""
        contact: dict[str, Any] = {"phone_number": phone, "first_name": f"Người dùng {uid}"}
        if own:
            contact["user_id"] = uid
        return self.user_message(uid, {"contact": contact})

    def user_document(
        self, uid: int, name: str, content: bytes, mime: str = "application/octet-stream"
    ) -> int:
        """A file; its bytes can be fetched through getFile + /file/bot<token>/<path>."""
        file_id = f"doc{next(self._ids)}"
        self.files[file_id] = (f"documents/{file_id}_{name}", content)
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": name,
            "mime_type": mime,
            "file_size": len(content),
        }
        return self.user_message(uid, {"document": document})

    def user_photo(self, uid: int, caption: str | None = None) -> int:
        """A photo (two sizes), optionally with a caption."""
        sizes = [
            {"file_id": f"ph{uid}s", "file_unique_id": "ps", "width": 90, "height": 90},
            {"file_id": f"ph{uid}l", "file_unique_id": "pl", "width": 800, "height": 800},
        ]
        fields: dict[str, Any] = {"photo": sizes}
        if caption:
            fields["caption"] = caption
        return self.user_message(uid, fields)

    def user_sticker(self, uid: int) -> int:
        """A sticker."""
        sticker = {
            "file_id": "st1",
            "file_unique_id": "st1u",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }
        return self.user_message(uid, {"sticker": sticker})

    def user_voice(self, uid: int) -> int:
        """A voice note."""
        return self.user_message(
            uid, {"voice": {"file_id": "vo1", "file_unique_id": "vo1u", "duration": 3}}
        )

    def user_blocks(self, uid: int, *, push_update: bool = True) -> None:
        """The user blocks the bot: sends to them get 403; optionally a ``my_chat_member``."""
        self.blocked.add(uid)
        if push_update:
            member = {"user": self.bot_user(), "status": "kicked", "until_date": 0}
            self.push(
                {
                    "my_chat_member": {
                        "chat": {"id": uid, "type": "private"},
                        "from": self.user(uid),
                        "date": int(time.time()),
                        "old_chat_member": {"user": self.bot_user(), "status": "member"},
                        "new_chat_member": member,
                    }
                }
            )

    # --- assertions --------------------------------------------------------------------------

    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        """Messages the bot sent to one chat, in order."""
        return [m for m in self.sent if m["chat"]["id"] == chat_id]

    def calls_of(self, method: str) -> list[Call]:
        """The calls of one method."""
        return [c for c in self.calls if c.method == method]

    def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        """The current state of one bot message (after edits)."""
        return self.messages[(chat_id, message_id)]

    async def wait_for(
        self,
        predicate: Callable[[], Any],
        timeout: float = 5.0,  # noqa: ASYNC109 - the brief's API; failure names the transcript
    ) -> Any:
        """Poll ``predicate`` every 20 ms until it is truthy; fail with the transcript."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if loop.time() > deadline:
                tail = [
                    (c.method, {k: c.params[k] for k in list(c.params)[:4]}) for c in self.calls
                ]
                raise AssertionError(f"timed out after {timeout}s; last calls: {tail[-8:]}")
            await asyncio.sleep(0.02)


class WebhookPusher:
    """Telegram's side of a webhook, spread over instances like a load balancer would.

    Each update is POSTed as JSON with the ``X-Telegram-Bot-Api-Secret-Token`` header to the
    next target's ``/telegram`` (round robin), at most ``max_connections`` at a time (Telegram's
    default is 40). Like Telegram, a non-2xx answer or a connection error is retried (on the next
    target); ``retries`` counts them, since a retried update may be answered twice. The HTTP/1.1
    client is a minimal keep-alive one on asyncio streams, so that the pusher costs little CPU
    next to the instances it drives (httpx costs several ms per request under load).

        async with WebhookPusher(["http://127.0.0.1:8081", ...], secret) as pusher:
            await pusher.push_all(fake.text_update(uid, "xin chào") for uid in users)
    """

    def __init__(
        self,
        targets: Sequence[str],
        secret: str,
        *,
        max_connections: int = 40,
        attempts: int = 5,
        timeout: float = 10.0,
    ) -> None:
        if not targets:
            raise ValueError("no webhook targets")
        self.targets = [t.rstrip("/") for t in targets]
        self._addresses = []
        for target in self.targets:
            parts = urllib.parse.urlsplit(target)
            if parts.scheme != "http" or parts.hostname is None or parts.port is None:
                raise ValueError(f"expected http://host:port, got {target!r}")
            self._addresses.append((parts.hostname, parts.port))
        self.secret = secret
        self.attempts = attempts
        self.timeout = timeout
        self.per_target: collections.Counter[str] = collections.Counter()
        self.posted_at: dict[int, float] = {}  # update_id -> time.monotonic() of its 200
        self.retries = 0
        self.failures: list[tuple[int, str]] = []  # (update_id, last error) given up on
        self._next = itertools.cycle(range(len(self.targets)))
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: defaultdict[int, list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]
        self._idle = defaultdict(list)

    async def __aenter__(self) -> WebhookPusher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the kept-alive connections."""
        for connections in self._idle.values():
            for _, writer in connections:
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
        self._idle.clear()

    async def _post(self, index: int, body: bytes) -> int:
        """One POST /telegram on a kept-alive connection to target ``index``; the status."""
        host, port = self._addresses[index]
        idle = self._idle[index]
        reader, writer = idle.pop() if idle else await asyncio.open_connection(host, port)
        keep = False
        try:
            head = (
                f"POST /telegram HTTP/1.1\r\nHost: {host}:{port}\r\n"
                "Content-Type: application/json\r\n"
                f"X-Telegram-Bot-Api-Secret-Token: {self.secret}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            )
            writer.write(head.encode("latin-1") + body)
            await writer.drain()
            status_line = await reader.readline()
            if not status_line:
                raise ConnectionResetError("connection closed by the instance")
            status = int(status_line.split()[1])
            length, reuse = 0, True
            while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
                elif name.strip().lower() == "connection" and "close" in value.lower():
                    reuse = False
            if length:
                await reader.readexactly(length)
            keep = reuse  # only a connection read to the end of its answer goes back
            return status
        finally:
            if keep:
                idle.append((reader, writer))
            else:
                writer.close()

    async def push(self, update: dict[str, Any]) -> bool:
        """Deliver one update (retrying like Telegram); False if every attempt failed."""
        body = json.dumps(update, ensure_ascii=False).encode()
        error = ""
        async with self._slots:
            for attempt in range(self.attempts):
                index = next(self._next)
                if attempt:
                    self.retries += 1
                    await asyncio.sleep(min(0.05 * 2**attempt, 1.0))
                try:
                    status = await asyncio.wait_for(self._post(index, body), self.timeout)
                except (OSError, TimeoutError, ValueError, IndexError) as exc:
                    error = f"{self.targets[index]}: {type(exc).__name__}"
                    continue
                if status == 200:
                    self.per_target[self.targets[index]] += 1
                    self.posted_at[int(update["update_id"])] = time.monotonic()
                    return True
                error = f"{self.targets[index]}: HTTP {status}"
        self.failures.append((int(update["update_id"]), error))
        return False

    async def push_all(self, updates: Iterable[dict[str, Any]]) -> int:
        """Deliver every update concurrently (bounded); return how many were accepted."""
        results = await asyncio.gather(*(self.push(u) for u in updates))
        return sum(results)


# --- the bot under test ----------------------------------------------------------------------

TEST_NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


def bot_settings(fake: FakeTelegram, tmp_path: Path, **overrides: Any) -> Settings:
    """Settings pointing at the fake server, a fresh SQLite file and the dev pack."""
    from tests.conftest import DEV_PACK

    values: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_path / 'hoctap.db'}",
        "content_dir": DEV_PACK,
        "telegram_bot_token": fake.token,
        "telegram_api_base_url": fake.base_url,
        **overrides,
    }
    return Settings(_env_file=None, **values)


@contextlib.asynccontextmanager
async def running_app(settings: Settings, now: dt.datetime = TEST_NOW) -> AsyncIterator[App]:
    """A prepared :class:`App` on a fixed clock, closed afterwards."""
    app = build_app(settings, clock=FixedClock(now))
    try:
        await app.prepare()
        yield app
    finally:
        await app.close()


@contextlib.asynccontextmanager
async def polling_bot(
    app: App,
    settings: Settings,
    *,
    dispatch: Dispatch | None = None,
    typing_after: float = TYPING_AFTER,
) -> AsyncIterator[TelegramApp]:
    """The real PTB application from ``build_telegram``, long-polling the fake (timeout 1 s).

    Its updates go to ``dispatch``, the conversation (``handlers.dispatch``) unless given; an
    answer not ready after ``typing_after`` seconds is preceded by "typing…".
    """
    application = build_telegram(
        app, settings, dispatch=dispatch or handlers.dispatch, typing_after=typing_after
    )
    await start_telegram(application)
    assert application.updater is not None
    await application.updater.start_polling(
        timeout=1, poll_interval=0, allowed_updates=Update.ALL_TYPES
    )
    try:
        yield application
    finally:
        await stop_telegram(application)
