"""The outbox: broadcasts and their deliveries, claimed with a lease and sent under limits.

A broadcast and its deliveries are written in one transaction (:func:`create_broadcast`); its
``source`` is unique, so a due item becomes one broadcast however many ticks race. Senders
claim a small batch (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; one statement on SQLite), mark
it ``sending`` with a lease BEFORE calling the platform, and record the outcomes right after.
A crash leaves at most the claimed batch ambiguous: those rows are sent again once their lease
expires (the duplicate bound is ``workers × batch_size`` per process).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.app import App
from bot.delivery import Outcome, Sender
from bot.messages import Button, Reply
from bot.settings import NotifySettings
from db import outbox as outbox_db
from db import questions as questions_db
from db import staff as staff_db
from db.outbox import (
    ButtonRows,
    Recipient,
    broadcast_exists,
    counts,
    create_broadcast,
    existing_sources,
)
from db.subscriptions import mark_unreachable

if TYPE_CHECKING:
    from db.models_notify import BroadcastRow
    from db.session import AsyncSession

__all__ = [  # the data functions (db.outbox) stay importable from here for the handlers
    "ButtonRows",
    "Recipient",
    "broadcast_exists",
    "counts",
    "create_broadcast",
    "existing_sources",
]

log = logging.getLogger(__name__)

URGENT = "urgent"  # the kind of a staff announcement sent even in quiet hours


def buttons_json(rows: Sequence[Sequence[Button]]) -> ButtonRows:
    """Button rows as JSON for the broadcast row."""
    return [[[b.label, b.data] for b in row] for row in rows]


def reply_of(broadcast: BroadcastRow) -> Reply:
    """The message a broadcast sends."""
    rows = tuple(tuple(Button(label, data) for label, data in row) for row in broadcast.buttons)
    return Reply(broadcast.text, buttons=rows)


# A staff answer the channel will not carry now (Zalo OA: the person has not written for 7
# days) is ``held``, not skipped: the channel is asked again every HOLD_RECHECK, which costs
# nothing per incoming message, and it goes as soon as the person writes again.
HOLD_KINDS = frozenset({"answer"})
HOLD_RECHECK = dt.timedelta(minutes=1)
CHANNEL_NAMES = {"zalo_oa": "Zalo OA", "zalo_bot": "Zalo Bot", "telegram": "Telegram"}


async def _tell_staff_held(
    session: AsyncSession, item: Claimed, reason: str | None, now: dt.datetime
) -> None:
    """Tell the staff member who answered that the answer waits for the person (once)."""
    question = await questions_db.held(session, item.broadcast_id, now)
    if question is None or not question.answered_by:
        return
    staff = await questions_db.recipient_of(session, question.answered_by)
    if staff is None:
        return
    why = (
        "người hỏi đã không nhắn gì cho Zalo OA hơn 7 ngày, nên Zalo chưa cho gửi"
        if item.channel == "zalo_oa"
        else f"{CHANNEL_NAMES.get(item.channel, item.channel)} chưa cho gửi lúc này"
    )
    log.info("answer to question %s held: %s", question.id, reason)
    await create_broadcast(
        session,
        source=questions_db.source(question.id, "held"),
        kind="staff_question",
        text=f"⏳ Câu trả lời cho câu hỏi #{question.id} chưa đến được người hỏi: {why}. "
        "Câu trả lời được giữ lại và sẽ tự gửi ngay khi người hỏi nhắn lại.",
        recipients=[staff],
        due_at=now,
        now=now,
    )


class RateLimiter:
    """A global pace (evenly spaced slots), one message per chat per interval, and pauses.

    A 429 pauses everyone for ``retry_after`` and lowers the pace a little; successes bring it
    back towards the configured rate. Seconds are the event loop's (``time``, ``sleep``: a fake
    clock in tests).
    """

    def __init__(
        self,
        rate_per_s: float,
        per_chat_s: float,
        *,
        time: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._time = time
        self._sleep = sleep
        self.target = rate_per_s
        self.rate = rate_per_s
        self.per_chat_s = per_chat_s
        self._next = 0.0
        self._paused_until = 0.0
        self._chat_next: dict[str, float] = {}
        self._lock = asyncio.Lock()
        self.flood_waits = 0

    def _now(self) -> float:
        return self._time() if self._time is not None else asyncio.get_running_loop().time()

    async def acquire(self, chat_id: str) -> None:
        """Wait for a global slot and for this chat's next allowed moment."""
        async with self._lock:
            now = self._now()
            chat_at = self._chat_next.get(chat_id, 0.0)
            slot = max(now, self._next, self._paused_until, chat_at)
            if slot <= max(now, self._next, self._paused_until):
                self._next = slot + 1.0 / self.rate
            self._chat_next[chat_id] = slot + self.per_chat_s
            if len(self._chat_next) > 50_000:
                self._chat_next = {k: v for k, v in self._chat_next.items() if v > now}
        delay = slot - self._now()
        if delay > 0:
            await self._sleep(delay)
        while True:  # a 429 seen by another send while we waited pauses us too
            wait = self._paused_until - self._now()
            if wait <= 0:
                return
            await self._sleep(wait)

    def flood(self, retry_after: float) -> None:
        """Honour a 429: everyone waits ``retry_after`` seconds; the pace drops by 20%."""
        self.flood_waits += 1
        self._paused_until = max(self._paused_until, self._now() + retry_after)
        self.rate = max(1.0, self.rate * 0.8)

    def success(self) -> None:
        """Creep back towards the configured pace."""
        if self.rate < self.target:
            self.rate = min(self.target, self.rate * 1.01 + 0.01)


@dataclass
class DrainStats:
    """What one drain did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    flood_waits: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Claimed:
    """One claimed delivery and the message to send."""

    id: int
    user_pk: int | None
    channel: str
    chat_id: str
    attempts: int
    reply: Reply
    kind: str = ""
    broadcast_id: int = 0


class Outbox:
    """Claims pending deliveries and sends them through the channel's :class:`Sender`."""

    def __init__(self, app: App, senders: Mapping[str, Sender], config: NotifySettings) -> None:
        self.app = app
        self.senders = dict(senders)
        self.config = config
        self.limiter = RateLimiter(config.rate_per_s, config.per_chat_interval_s)
        self._replies: dict[int, Reply] = {}
        self.stopping = False  # set when this process stops leading: claim no more batches
        self._tokens: set[str] = set()  # claims of this process (released on stop)
        # The content version a drain started from: if another one goes live meanwhile, the
        # drain stops before its next batch, so the notifier can first cancel the reminders of
        # removed items (instead of sending them all, then their cancellations).
        self.watch_version: int | None = None
        self.version_changed = False

    async def claim(self, limit: int, *, urgent_only: bool = False) -> list[Claimed]:
        """Mark up to ``limit`` due deliveries ``sending`` with a lease; return them.

        ``urgent_only`` (quiet hours): only broadcasts staff sent as urgent (kind ``urgent``).
        """
        if not self.senders:
            return []
        now = self.app.now()
        token = uuid.uuid4().hex
        lease = now + dt.timedelta(seconds=self.config.lease_seconds)
        async with self.app.sessions.begin() as session:
            rows = await outbox_db.claim(
                session,
                channels=self.senders,
                now=now,
                lease_until=lease,
                token=token,
                limit=limit,
                kind=URGENT if urgent_only else None,
            )
            if not rows:
                return []
            self._tokens.add(token)
            out = []
            for delivery, broadcast in rows:
                reply = self._replies.get(broadcast.id)
                if reply is None:
                    reply = self._replies[broadcast.id] = reply_of(broadcast)
                out.append(
                    Claimed(
                        delivery.id,
                        delivery.user_pk,
                        delivery.channel,
                        delivery.chat_id,
                        delivery.attempts,
                        reply,
                        broadcast.kind,
                        broadcast.id,
                    )
                )
            return out

    async def _send_one(self, item: Claimed) -> Outcome:
        """Wait for the limits, then ask the channel; a raising sender is a transient error."""
        sender = self.senders[item.channel]
        try:
            ok, why = await sender.can_message(item.chat_id, self.app.now())
            if not ok:
                return Outcome("skipped", why or "cannot message now")
            await self.limiter.acquire(item.chat_id)
            outcome = await sender.deliver(item.chat_id, item.reply)
        except Exception as exc:  # a sender must not raise; if it does, retry later
            log.exception("sender %s raised", item.channel)
            return Outcome("retry", f"{type(exc).__name__}: {exc}")
        if outcome.status == "retry" and outcome.retry_after is not None:
            self.limiter.flood(outcome.retry_after)
        elif outcome.status == "sent":
            self.limiter.success()
        return outcome

    async def _record(self, results: list[tuple[Claimed, Outcome]], stats: DrainStats) -> None:
        """Write the outcomes of one batch in one transaction."""
        now = self.app.now()
        cfg = self.config
        async with self.app.sessions.begin() as session:
            sent = [item.id for item, outcome in results if outcome.status == "sent"]
            if sent:  # the common case, one statement for the batch
                await outbox_db.mark_sent(session, sent, now)
                stats.sent += len(sent)
                for item, outcome in results:  # a staff answer reached its person: audited
                    if outcome.status == "sent" and item.kind in HOLD_KINDS:
                        detail = {"broadcast": item.broadcast_id}
                        await staff_db.audit(
                            session, "system", "question.delivered", detail, now=now
                        )
            for item, outcome in results:
                values: dict[str, object] = {"claimed_until": None, "claim_token": None}
                if outcome.status == "sent":
                    continue
                elif outcome.status == "retry" and outcome.retry_after is not None:
                    wait = dt.timedelta(seconds=outcome.retry_after)
                    values.update(status="pending", next_attempt_at=now + wait, error="429")
                    stats.retried += 1
                elif outcome.status == "retry":
                    attempts = item.attempts + 1
                    reason = outcome.reason or "transient error"
                    if attempts >= cfg.max_attempts:
                        values.update(
                            status="failed",
                            attempts=attempts,
                            error=f"gave up after {attempts} attempts: {reason}",
                        )
                        stats.failed += 1
                    else:
                        backoff = cfg.backoff_seconds * 2 ** (attempts - 1)
                        values.update(
                            status="pending",
                            attempts=attempts,
                            error=reason,
                            next_attempt_at=now + dt.timedelta(seconds=backoff),
                        )
                        stats.retried += 1
                elif outcome.status == "blocked":
                    reason = f"blocked: {outcome.reason or 'forbidden'}"
                    values.update(status="failed", error=reason)
                    stats.failed += 1
                    if item.user_pk is not None:
                        await mark_unreachable(
                            session, user_pk=item.user_pk, now=now, reason=reason
                        )
                        await outbox_db.skip_pending_of_user(
                            session, item.user_pk, "user unreachable"
                        )
                elif outcome.status == "skipped" and item.kind in HOLD_KINDS:
                    values.update(
                        status="held",
                        error=outcome.reason or "held",
                        next_attempt_at=now + HOLD_RECHECK,
                    )
                    stats.skipped += 1
                    await _tell_staff_held(session, item, outcome.reason, now)
                elif outcome.status == "skipped":
                    values.update(status="skipped", error=outcome.reason or "skipped")
                    stats.skipped += 1
                else:
                    values.update(status="failed", error=outcome.reason or "failed")
                    stats.failed += 1
                await outbox_db.update_delivery(session, item.id, values)
            # A broadcast cancelled while this batch was out: what it requeued is not sent.
            await outbox_db.skip_cancelled(
                session, [item.id for item, _ in results], "cán bộ đã hủy"
            )

    async def release(self) -> int:
        """Give back what this process claimed and did not record (a stop): ``pending`` again
        at once, so that the next leader need not wait for the lease to run out."""
        if not self._tokens:
            return 0
        async with self.app.sessions.begin() as session:
            released = await outbox_db.release(session, self._tokens)
        self._tokens.clear()
        return released

    async def _worker(self, stats: DrainStats, deadline: float | None) -> None:
        loop = asyncio.get_running_loop()
        while (deadline is None or loop.time() < deadline) and not self.stopping:
            quiet = self.config.in_quiet(self.app.now())  # only urgent ones go out then
            if self.watch_version is not None:
                live = await self.app.refresh()
                if live is not None and live.version != self.watch_version:
                    self.version_changed = True
                    return
            batch = await self.claim(self.config.batch_size, urgent_only=quiet)
            if not batch:
                return
            outcomes = await asyncio.gather(*(self._send_one(item) for item in batch))
            await self._record(list(zip(batch, outcomes, strict=True)), stats)

    async def drain(self, *, max_seconds: float | None = None) -> DrainStats:
        """Send every due delivery (or until ``max_seconds``); return what happened."""
        stats = DrainStats()
        loop = asyncio.get_running_loop()
        deadline = None if max_seconds is None else loop.time() + max_seconds
        before = self.limiter.flood_waits
        await asyncio.gather(*(self._worker(stats, deadline) for _ in range(self.config.workers)))
        stats.flood_waits = self.limiter.flood_waits - before
        await self.finish_broadcasts()
        return stats

    async def finish_broadcasts(self) -> None:
        """Mark running broadcasts with nothing left to send as done."""
        now = self.app.now()
        async with self.app.sessions.begin() as session:
            await outbox_db.finish_broadcasts(session, now)
        if len(self._replies) > 100:
            self._replies.clear()
