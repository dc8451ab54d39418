"""The Zalo Official Account channel (OA Open API v3): signed webhook, token pair, CS replies.

- ``POST /zalo/oa`` checks ``X-ZEvent-Signature`` (``mac = sha256(app_id + raw body + timestamp +
  OA secret key)``), the timestamp's age and replays, then queues the event and answers at once
  (Zalo wants 200 within 2 s). Every request gets the same bare 200: a forger learns nothing,
  and Zalo never disables the webhook because of an answer of ours.
- Replies are consultation ("tư vấn") messages, allowed within 7 days of the user's last
  interaction; buttons become numbered choices kept in the database (or, opt-in, a template
  with ``oa.query.hide`` buttons whose payload is the same number).
- The access token lives 25 h; the refresh token is single-use. :class:`OATokens` refreshes
  one at a time per process (an asyncio lock) and across processes (a lease taken by
  compare-and-swap on the stored refresh token), and stores the new pair before using it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import logging
import uuid
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.channels.zalo_common import (
    Workers,
    ZaloApiError,
    ZaloAuthError,
    ZaloQuotaError,
    ZaloTransientError,
    first_time,
    forget_seen,
    last_interaction,
    numbered,
    on_unfollow,
    on_withdraw,
    plain,
    redact_secrets,
    remember_choices,
    split_zalo,
    to_incoming_text,
    touch_interaction,
    utc,
)
from bot.delivery import Outcome
from bot.http import BodyTooLarge, read_body
from bot.intake import Intake, Stored
from bot.messages import Button, Incoming, Reply
from db.models_zalo import ZaloTokenRow

if TYPE_CHECKING:
    from bot.app import App, Dispatch
    from bot.channels.zalo_common import UnfollowHook

log = logging.getLogger(__name__)


CHANNEL = "zalo_oa"
DEFAULT_API_BASE_URL = "https://openapi.zalo.me"
DEFAULT_OAUTH_BASE_URL = "https://oauth.zaloapp.com"
SIGNATURE_HEADER = "X-ZEvent-Signature"
TIMESTAMP_HEADER = "X-ZEvent-Timestamp"
MAX_BODY = 64 * 1024
# Zalo retries a failed delivery after 30 s, 5, 15, 30 min and 1 h with the original timestamp,
# so the default window accepts those (about 1 h 51 min after the event) and no older.
DEFAULT_MAX_AGE = dt.timedelta(hours=2, minutes=5)
MAX_SKEW = dt.timedelta(minutes=5)  # how far in the future a timestamp may be
WINDOW = dt.timedelta(days=7)  # consultation messages: last interaction at most 7 days ago
TEMPLATE_MAX_BUTTONS = 5
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
UNSUPPORTED = {
    "user_send_image": "photo",
    "user_send_gif": "animation",
    "user_send_audio": "voice",
    "user_send_video": "video",
    "user_send_sticker": "sticker",
    "user_send_file": "file",
    "user_send_link": "link",
    "user_send_business_card": "contact",
}


class OAWindowError(ZaloApiError):
    """Zalo refused the message under its messaging rules (window, quota, night, follow)."""


class OABlockedError(ZaloApiError):
    """The user cannot be reached any more (banned or long inactive)."""


# --- signature -------------------------------------------------------------------------------


def compute_mac(app_id: str, raw: bytes, timestamp: str, oa_secret_key: str) -> str:
    """sha256(app_id + raw body + timestamp + OA secret key), hex (a plain hash, not HMAC)."""
    data = app_id.encode() + raw + timestamp.encode() + oa_secret_key.encode()
    return hashlib.sha256(data).hexdigest()


def verify_signature(
    raw: bytes,
    header: str | None,
    body: dict[str, Any],
    *,
    app_id: str,
    oa_secret_key: str,
    ts_header: str | None = None,
) -> str | None:
    """The timestamp the signature was made with if it is valid, else None.

    Accepts ``mac=<hex>`` and a bare ``<hex>``; the timestamp is the body's ``timestamp``
    (or the ``X-ZEvent-Timestamp`` header some implementations read).
    """
    if not header:
        return None
    signature = header.strip()
    if signature[:4].lower() == "mac=":
        signature = signature[4:].strip()
    signature = signature.lower()
    candidates = [str(body.get("timestamp", ""))]
    if ts_header and ts_header not in candidates:
        candidates.append(ts_header)
    for timestamp in candidates:
        if not timestamp:
            continue
        mac = compute_mac(app_id, raw, timestamp, oa_secret_key)
        if hmac.compare_digest(mac.encode(), signature.encode()):
            return timestamp
    return None


def timestamp_time(value: str) -> dt.datetime | None:
    """An epoch-milliseconds string as an aware UTC datetime."""
    try:
        return dt.datetime.fromtimestamp(int(value) / 1000, tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        return None


# --- tokens ----------------------------------------------------------------------------------


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite returns naive UTC datetimes."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


class OATokens:
    """The OA's access/refresh token pair, kept in the database and renewed one at a time."""

    def __init__(
        self,
        app: App,
        http: httpx.AsyncClient,
        *,
        app_id: str,
        app_secret: str,
        oauth_base_url: str = DEFAULT_OAUTH_BASE_URL,
        name: str = "oa",
        margin: dt.timedelta = dt.timedelta(hours=1),
        lease: dt.timedelta = dt.timedelta(seconds=60),
    ) -> None:
        redact_secrets(app_secret)
        self.app = app
        self.http = http
        self.app_id = app_id
        self.app_secret = app_secret
        self.oauth_base_url = oauth_base_url.rstrip("/")
        self.name = name
        self.margin = margin
        self.lease = lease
        self.owner = uuid.uuid4().hex
        self.refreshes = 0  # token-endpoint calls made by this process
        self._lock = asyncio.Lock()
        self._cached: tuple[str, dt.datetime | None] | None = None

    async def bootstrap(self, access_token: str | None, refresh_token: str | None) -> None:
        """Store the configured pair unless the database already has one (it wins: the
        configured refresh token may have been spent long ago)."""
        redact_secrets(access_token, refresh_token)
        if not refresh_token and not access_token:
            return
        now = utc(self.app.now())
        try:
            async with self.app.sessions.begin() as session:
                if await session.get(ZaloTokenRow, self.name) is None:
                    session.add(
                        ZaloTokenRow(
                            name=self.name,
                            access_token=access_token or "",
                            refresh_token=refresh_token or "",
                            expires_at=None if access_token else now,
                            generation=0,
                            updated_at=now,
                        )
                    )
        except IntegrityError:
            pass  # another instance stored it first

    async def _read(self) -> ZaloTokenRow:
        async with self.app.sessions() as session:
            row = await session.get(ZaloTokenRow, self.name)
        if row is None:
            raise ZaloAuthError("token", None, "no OA token stored: set ZALO_OA_REFRESH_TOKEN")
        redact_secrets(row.access_token, row.refresh_token)
        return row

    def _expiring(self, expires_at: dt.datetime | None, now: dt.datetime) -> bool:
        expires_at = _aware(expires_at)
        return expires_at is not None and now >= expires_at - self.margin

    async def access_token(self) -> str:
        """A usable access token, refreshed first when it expires within the margin."""
        now = self.app.now()
        if self._cached is None or self._expiring(self._cached[1], now):
            row = await self._read()
            self._cached = (row.access_token, row.expires_at)
        token, expires_at = self._cached
        if not token or self._expiring(expires_at, now):
            return await self.refresh(stale=token)
        return token

    async def refresh(self, *, stale: str | None) -> str:
        """Renew the pair unless someone already replaced ``stale``; the new access token."""
        async with self._lock:
            deadline = asyncio.get_running_loop().time() + self.lease.total_seconds()
            while True:
                row = await self._read()
                now = utc(self.app.now())
                fresh = not self._expiring(row.expires_at, now)
                if row.access_token and row.access_token != stale and fresh:
                    self._cached = (row.access_token, row.expires_at)
                    return row.access_token
                if await self._claim(row.refresh_token, now):
                    break
                # Another process holds the lease: wait for its new pair.
                if asyncio.get_running_loop().time() > deadline:
                    raise ZaloTransientError("token", None, "refresh in progress elsewhere")
                stale = row.access_token
                await asyncio.sleep(0.05)
            try:
                pair = await self._call_token_endpoint(row.refresh_token)
            except BaseException:
                await self._release()
                raise
            return await self._store(row.refresh_token, pair, now)

    async def _claim(self, refresh_token: str, now: dt.datetime) -> bool:
        """Take the refresh lease by compare-and-swap on the stored refresh token."""
        async with self.app.sessions.begin() as session:
            result = await session.execute(
                update(ZaloTokenRow)
                .where(
                    ZaloTokenRow.name == self.name,
                    ZaloTokenRow.refresh_token == refresh_token,
                    (ZaloTokenRow.lease_owner.is_(None)) | (ZaloTokenRow.lease_until < now),
                )
                .values(lease_owner=self.owner, lease_until=now + self.lease)
            )
            return bool(getattr(result, "rowcount", 0) == 1)

    async def _release(self) -> None:
        async with self.app.sessions.begin() as session:
            await session.execute(
                update(ZaloTokenRow)
                .where(ZaloTokenRow.name == self.name, ZaloTokenRow.lease_owner == self.owner)
                .values(lease_owner=None, lease_until=None)
            )

    async def _store(self, spent: str, pair: dict[str, Any], now: dt.datetime) -> str:
        """Persist the new pair (only over the token we spent, only while holding the lease)."""
        access, refresh = str(pair["access_token"]), str(pair["refresh_token"])
        redact_secrets(access, refresh)
        try:
            seconds = int(pair.get("expires_in", 90000))
        except (TypeError, ValueError):
            seconds = 90000
        expires_at = now + dt.timedelta(seconds=seconds)
        async with self.app.sessions.begin() as session:
            row = await session.scalar(
                select(ZaloTokenRow.generation).where(ZaloTokenRow.name == self.name)
            )
            result = await session.execute(
                update(ZaloTokenRow)
                .where(
                    ZaloTokenRow.name == self.name,
                    ZaloTokenRow.refresh_token == spent,
                    ZaloTokenRow.lease_owner == self.owner,
                )
                .values(
                    access_token=access,
                    refresh_token=refresh,
                    expires_at=expires_at,
                    generation=(row or 0) + 1,
                    lease_owner=None,
                    lease_until=None,
                    updated_at=now,
                )
            )
            if getattr(result, "rowcount", 0) != 1:
                log.error("zalo oa: the refresh lease was lost; the stored pair was replaced")
        self._cached = (access, expires_at)
        log.info("zalo oa: access token refreshed (valid %s s)", seconds)
        return access

    async def _call_token_endpoint(self, refresh_token: str) -> dict[str, Any]:
        """POST the refresh grant; the new pair, or an error (HTTP 200 errors included)."""
        if not refresh_token:
            raise ZaloAuthError("access_token", None, "no refresh token stored")
        self.refreshes += 1
        try:
            response = await self.http.post(
                f"{self.oauth_base_url}/v4/oa/access_token",
                data={
                    "refresh_token": refresh_token,
                    "app_id": self.app_id,
                    "grant_type": "refresh_token",
                },
                headers={"secret_key": self.app_secret},
            )
            body = response.json()
        except httpx.HTTPError as exc:
            raise ZaloTransientError("access_token", None, type(exc).__name__) from None
        except ValueError:
            raise ZaloTransientError("access_token", None, "not JSON") from None
        if not isinstance(body, dict) or not body.get("access_token"):
            code = body.get("error") if isinstance(body, dict) else None
            text = body.get("error_description") or body.get("error_name") or "refresh failed"
            raise ZaloAuthError("access_token", _int(code), str(text)[:200], response.status_code)
        return body


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- API client ------------------------------------------------------------------------------


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
            code = _int(body.get("error")) if "error" in body else 0
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


# --- the channel -----------------------------------------------------------------------------


class ZaloOA:
    """OA webhook events → ``dispatch`` → consultation messages; also the outbox's Sender."""

    channel = CHANNEL

    def __init__(
        self,
        app: App,
        client: ZaloOAClient,
        *,
        app_id: str,
        oa_secret_key: str,
        dispatch: Dispatch,
        max_age: dt.timedelta = DEFAULT_MAX_AGE,
        max_body: int = MAX_BODY,
        template_buttons: bool = False,
        unfollow: UnfollowHook | None = None,
        workers: int = 4,
        refresh_every: float = 300.0,
    ) -> None:
        redact_secrets(oa_secret_key)
        self.app = app
        self.client = client
        self.app_id = app_id
        self.oa_secret_key = oa_secret_key
        self.dispatch = dispatch
        self.max_age = max_age
        self.max_body = max_body
        self.template_buttons = template_buttons
        self.unfollow = unfollow or on_unfollow
        self.refresh_every = refresh_every
        self.workers: Workers[dict[str, Any]] = Workers(
            "zalo-oa", self.handle_event, count=workers
        )
        self.stats: Counter[str] = Counter()
        self._refresher: asyncio.Task[None] | None = None
        self.intake: Intake | None = None

    def use_intake(self, intake: Intake) -> None:
        """Store every verified event in the durable intake and handle it from there."""
        self.intake = intake
        intake.register(CHANNEL, self.handle_event)

    # --- webhook ---

    def routes(self) -> list[Route]:
        """``POST /zalo/oa``, signature-checked."""
        return [Route("/zalo/oa", self.webhook, methods=["POST"])]

    async def webhook(self, request: Request) -> Response:
        """Check and store one event; the same bare 200 whatever happened, except a 500 when
        a valid event could not be stored (so that Zalo delivers it again)."""
        reason = await self._accept(request)
        self.stats[reason] += 1
        if reason == "unstored":
            return Response(status_code=500)
        if reason not in ("accepted", "probe"):
            log.warning("zalo oa: webhook call rejected (%s)", reason)
        return Response(status_code=200)

    async def _accept(self, request: Request) -> str:
        """``accepted`` or why the call was dropped."""
        try:
            raw = await read_body(request, self.max_body)
        except BodyTooLarge:
            return "too_large"
        try:
            body = json.loads(raw)
        except ValueError:
            return "not_json"
        if not isinstance(body, dict):
            return "not_json"
        if not body and SIGNATURE_HEADER.lower() not in request.headers:
            return "probe"  # the console's URL check posts an unsigned {}: 200, nothing else
        timestamp = verify_signature(
            raw,
            request.headers.get(SIGNATURE_HEADER),
            body,
            app_id=self.app_id,
            oa_secret_key=self.oa_secret_key,
            ts_header=request.headers.get(TIMESTAMP_HEADER),
        )
        if timestamp is None:
            return "bad_signature"
        when = timestamp_time(timestamp)
        now = self.app.now()
        if when is None or when < now - self.max_age or when > now + MAX_SKEW:
            return "stale"
        signature = (request.headers.get(SIGNATURE_HEADER) or "").strip().lower()
        keys = [f"oa:mac:{signature.removeprefix('mac=').strip()}"]
        msg_id = (body.get("message") or {}).get("msg_id")
        if msg_id:
            keys.append(f"oa:msg:{msg_id}")
        if self.intake is not None:
            stored = Stored(CHANNEL, keys[-1], _event_user(body) or "", body)
            try:
                new = await self.intake.accept([stored])
            except Exception as exc:  # not stored: a 5xx, so that Zalo delivers it again
                log.warning("zalo oa: event not stored (%s)", type(exc).__name__)
                return "unstored"
            return "accepted" if new else "replay"
        if not await first_time(self.app.sessions, keys, now):
            return "replay"
        if not self.workers.submit(_event_user(body) or "", body):
            log.error("zalo oa: queue full, event dropped")
            return "queue_full"
        return "accepted"

    # --- events ---

    async def handle_event(self, event: dict[str, Any]) -> None:
        """Act on one verified event (runs on a worker)."""
        name = str(event.get("event_name", ""))
        user_id = _event_user(event)
        if user_id is None:
            return
        if name == "unfollow":
            await self.unfollow(self.app, CHANNEL, user_id)
            return
        if name == "user_withdraw":
            await on_withdraw(self.app, CHANNEL, user_id)
            return
        incoming = await self.to_incoming(name, event, user_id)
        if incoming is None:
            return
        await touch_interaction(
            self.app.sessions, channel=CHANNEL, user_id=user_id, now=self.app.now()
        )
        replies = await self.dispatch(incoming, self.app)
        try:
            await self.send_replies(user_id, replies)
        except ZaloApiError as exc:
            log.warning("zalo oa: reply not delivered: %s", exc)

    async def to_incoming(self, name: str, event: dict[str, Any], user_id: str) -> Incoming | None:
        """Translate an event; None for the ones we do not answer."""
        base: dict[str, Any] = {"channel": CHANNEL, "user_id": user_id, "chat_id": user_id}
        message = event.get("message") or {}
        if name in ("follow", "user_click_chatnow"):
            return Incoming(**base, command="start")
        if name == "user_send_text" and isinstance(message.get("text"), str):
            return await to_incoming_text(self.app.sessions, base, message["text"])
        if name == "user_send_location":
            where = _location(message)
            return Incoming(**base, location=where) if where else None
        if name in UNSUPPORTED:
            return Incoming(**base, unsupported=UNSUPPORTED[name])
        return None

    # --- sending ---

    async def send_replies(self, user_id: str, replies: Sequence[Reply]) -> None:
        """Send replies as CS messages; buttons numbered (stored first) or as a template."""
        parts = numbered(replies)
        all_buttons = [b for _, buttons in parts for b in buttons]
        await remember_choices(
            self.app.sessions,
            channel=CHANNEL,
            user_id=user_id,
            buttons=all_buttons,
            now=self.app.now(),
        )
        number = 0
        for reply, (text, buttons) in zip(replies, parts, strict=True):
            first = number + 1
            number += len(buttons)
            if (
                self.template_buttons
                and buttons
                and await self._send_template(user_id, reply, buttons, first)
            ):
                continue
            for chunk in split_zalo(text):
                await self.client.send_text(user_id, chunk)

    async def _send_template(
        self, user_id: str, reply: Reply, buttons: list[Button], first: int
    ) -> bool:
        """Send the reply with template buttons; False to fall back to numbered text."""
        text = plain(reply.text).strip() or "…"
        if len(buttons) > TEMPLATE_MAX_BUTTONS or len(split_zalo(text)) > 1:
            return False
        payload = [(b.label, str(n)) for n, b in enumerate(buttons, first)]
        try:
            await self.client.send_buttons(user_id, text, payload)
        except (OAWindowError, OABlockedError, ZaloAuthError, ZaloTransientError, ZaloQuotaError):
            raise
        except ZaloApiError as exc:
            log.info("zalo oa: template refused (%s); sending numbered choices", exc)
            return False
        return True

    # --- Sender ---

    async def can_message(self, chat_id: str, now: dt.datetime) -> tuple[bool, str | None]:
        """Consultation messages only within 7 days of the user's last interaction."""
        seen = await last_interaction(self.app.sessions, channel=CHANNEL, user_id=chat_id, now=now)
        if seen is None:
            return False, "no interaction recorded: a Zalo OA may only answer users who wrote"
        if now - seen > WINDOW:
            return False, (
                f"outside the Zalo OA 7-day interaction window "
                f"(last interaction {seen:%Y-%m-%d %H:%M})"
            )
        return True, None

    async def deliver(self, chat_id: str, reply: Reply) -> Outcome:
        """Send one proactive message; Zalo's refusal becomes the Outcome."""
        try:
            await self.send_replies(chat_id, [reply])
        except OAWindowError as exc:
            return Outcome("skipped", reason=f"zalo refused: {exc.description} ({exc.code})")
        except OABlockedError as exc:
            return Outcome("blocked", reason=str(exc))
        except ZaloQuotaError as exc:
            return Outcome("retry", reason=str(exc), retry_after=60.0)
        except ZaloTransientError as exc:
            return Outcome("retry", reason=str(exc))
        except ZaloApiError as exc:
            return Outcome("failed", reason=str(exc))
        return Outcome("sent")

    # --- lifecycle ---

    def start(self) -> None:
        """Start the workers (unless the intake handles events) and the token refresher."""
        if self.intake is None:
            self.workers.start()
        if self._refresher is None:
            self._refresher = asyncio.create_task(self._refresh_loop(), name="zalo-oa-tokens")

    async def _refresh_loop(self) -> None:
        """Renew the token before it expires; forget replay keys past the window."""
        while True:
            try:
                await self.client.tokens.access_token()
                await forget_seen(self.app.sessions, self.app.now() - max(self.max_age, WINDOW))
            except ZaloApiError as exc:
                log.error("zalo oa: token refresh failed: %s", exc)
            except Exception:
                log.exception("zalo oa: token refresher failed")
            await asyncio.sleep(self.refresh_every)

    async def stop(self) -> None:
        """Stop the refresher and the workers."""
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
            self._refresher = None
        await self.workers.stop()


def _event_user(event: dict[str, Any]) -> str | None:
    """The user an event is about (sender, follower or user_id), as a string."""
    name = str(event.get("event_name", ""))
    if name in ("follow", "unfollow"):
        value = (event.get("follower") or {}).get("id")
    elif name.startswith("user_send_"):
        value = (event.get("sender") or {}).get("id")
    else:
        value = event.get("user_id")
    return str(value) if value else None


def _location(message: dict[str, Any]) -> tuple[float, float] | None:
    """Coordinates of a location event (attachments per the docs, ``message.location`` too)."""
    places = [
        (a.get("payload") or {}).get("coordinates")
        for a in message.get("attachments") or []
        if isinstance(a, dict) and a.get("type") == "location"
    ]
    places.append(message.get("location"))
    for place in places:
        if isinstance(place, dict):
            try:
                return float(place["latitude"]), float(place["longitude"])
            except (KeyError, TypeError, ValueError):
                continue
    return None
