"""The Zalo Official Account channel (OA Open API v3): webhook events in, CS replies out.

- ``POST /zalo/oa`` checks the signature, the timestamp's age and replays
  (:mod:`bot.channels.zalo_oa_webhook`), then queues the event and answers at once (Zalo wants
  200 within 2 s). Every request gets the same bare 200: a forger learns nothing, and Zalo
  never disables the webhook because of an answer of ours.
- Replies are consultation ("tư vấn") messages, allowed within 7 days of the user's last
  interaction; buttons become numbered choices kept in the database (or, opt-in, a template
  with ``oa.query.hide`` buttons whose payload is the same number).
- The API client (:mod:`bot.channels.zalo_oa_client`) renews the token pair through
  :mod:`bot.channels.zalo_oa_tokens`; events become ``Incoming`` in
  :mod:`bot.channels.zalo_oa_events`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.channels.zalo_errors import (
    ZaloApiError,
    ZaloAuthError,
    ZaloQuotaError,
    ZaloTransientError,
)
from bot.channels.zalo_oa_client import OABlockedError, OAWindowError, ZaloOAClient
from bot.channels.zalo_oa_events import CHANNEL, event_user, to_incoming
from bot.channels.zalo_oa_webhook import (
    DEFAULT_MAX_AGE,
    MAX_BODY,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    fresh,
    replay_keys,
    timestamp_time,
    verify_signature,
)
from bot.channels.zalo_state import (
    begin_message,
    first_time,
    forget_seen,
    last_interaction,
    remember_choices,
)
from bot.channels.zalo_text import numbered, plain, split_zalo
from bot.channels.zalo_workers import Workers
from bot.delivery import Outcome
from bot.http import BodyTooLarge, read_body
from bot.intake import Intake, Stored
from bot.logs import redact_secrets
from bot.messages import Button, Reply

if TYPE_CHECKING:
    from bot.app import App, Dispatch

log = logging.getLogger(__name__)

WINDOW = dt.timedelta(days=7)  # consultation messages: last interaction at most 7 days ago
TEMPLATE_MAX_BUTTONS = 5


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
        if not fresh(timestamp_time(timestamp), self.app.now(), self.max_age):
            return "stale"
        keys = replay_keys(request.headers.get(SIGNATURE_HEADER), body)
        if self.intake is not None:
            stored = Stored(CHANNEL, keys[-1], event_user(body) or "", body)
            try:
                new = await self.intake.accept([stored])
            except Exception as exc:  # not stored: a 5xx, so that Zalo delivers it again
                log.warning("zalo oa: event not stored (%s)", type(exc).__name__)
                return "unstored"
            return "accepted" if new else "replay"
        if not await first_time(self.app, keys):
            return "replay"
        if not self.workers.submit(event_user(body) or "", body):
            log.error("zalo oa: queue full, event dropped")
            return "queue_full"
        return "accepted"

    # --- events ---

    async def handle_event(self, event: dict[str, Any]) -> None:
        """Act on one verified event (runs on a worker): one bookkeeping transaction, the
        conversation's own, then the replies (outside any transaction).

        An unfollow or a withdrawal goes to the conversation like any message (``event``
        set); it records no interaction and is never answered.
        """
        incoming = to_incoming(event)
        if incoming is None:
            return
        if incoming.event is not None:
            await self.dispatch(incoming, self.app)
            return
        incoming = await begin_message(self.app, incoming)
        replies = await self.dispatch(incoming, self.app)
        try:
            await self.send_replies(incoming.chat_id, replies)
        except ZaloApiError as exc:
            log.warning("zalo oa: reply not delivered: %s", exc)

    # --- sending ---

    async def send_replies(self, user_id: str, replies: Sequence[Reply]) -> None:
        """Send replies as CS messages; buttons numbered (stored first) or as a template."""
        parts = numbered(replies)
        all_buttons = [b for _, buttons in parts for b in buttons]
        await remember_choices(self.app, channel=CHANNEL, user_id=user_id, buttons=all_buttons)
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
        seen = await last_interaction(self.app, channel=CHANNEL, user_id=chat_id)
        if seen is None:
            return False, "no interaction recorded: a Zalo OA may only answer users who wrote"
        seen = seen.astimezone(now.tzinfo)
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
                await forget_seen(self.app, self.app.now() - max(self.max_age, WINDOW))
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
