"""Durable intake: an update is stored before it is acknowledged, then handled from the store.

Every channel hands what it receives to :meth:`Intake.accept` first: the webhook answers 200
only once the row is committed (5xx otherwise, so the platform delivers it again), and the
Telegram poller moves its offset only past stored updates. Workers then claim rows with a lease
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, like the outbox), run the channel's handler — which
answers and sends the replies — and mark the row done, blanking its body. A crash leaves at most
the claimed rows to be handled again once their lease runs out; a database outage only delays.
Several instances share the table; ``channel`` + update key is unique, so a redelivered update
is stored once. Updates of one chat are handled in the order they were stored (per instance).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.messages import DURABLE
from db import intake as intake_db
from db.engine import make_engine, make_sessions
from db.intake import Claimed, Stored
from db.models_intake import IntakeRow

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[None]]

KEEP_KEYS = dt.timedelta(days=2)  # Telegram and Zalo redeliver within a day
PURGE_EVERY = 3600.0  # seconds between purges of finished rows
MAX_BACKOFF = 60.0  # seconds: a failed attempt waits 2, 4, 8… up to this
STORE_FIRST = 0.2  # seconds claiming waits for updates being stored (a burst) to be stored
STORE_POOL = 4  # connections (and as many again on demand) of the storing pool, PostgreSQL

__all__ = ["Intake", "Stored"]


class Intake:
    """Stores updates and handles them from the store, on ``workers`` concurrent tasks."""

    def __init__(
        self,
        app: App,
        *,
        workers: int = 8,
        lease_seconds: float = 60.0,
        poll_seconds: float = 1.0,
        max_attempts: int = 8,
    ) -> None:
        self.app = app
        self.workers = workers
        self.lease = dt.timedelta(seconds=lease_seconds)
        self.poll_seconds = poll_seconds
        self.max_attempts = max_attempts
        self.token = uuid.uuid4().hex
        self.handlers: dict[str, Handler] = {}
        self.handled = 0
        self._wake = asyncio.Event()
        self._inflight: dict[int, asyncio.Task[None]] = {}
        self._last_of_chat: dict[str, asyncio.Task[None]] = {}
        self._loop: asyncio.Task[None] | None = None
        self._stopping = False
        self._storing = 0  # accepts under way: storing goes first (a burst is acknowledged
        self._stored = asyncio.Event()  # quickly, then answered), for ``STORE_FIRST`` at most
        self._stored.set()
        # Storing has a small pool of its own: a webhook's 200 must not wait for a connection
        # behind the workers answering (they may hold every connection of the main pool).
        url = app.db.url.render_as_string(hide_password=False)
        self._store_db: AsyncEngine | None = None
        self._store_sessions = app.sessions
        if app.db.dialect.name == "postgresql":
            self._store_db = make_engine(url, pool_size=STORE_POOL, max_overflow=STORE_POOL)
            self._store_sessions = make_sessions(self._store_db)

    def register(self, channel: str, handler: Handler) -> None:
        """Handle ``channel``'s stored updates with ``handler`` (it answers and sends)."""
        self.handlers[channel] = handler

    async def accept(self, items: Sequence[Stored]) -> int:
        """Store and commit the updates (duplicates ignored); raises if the database fails."""
        self._storing += 1
        self._stored.clear()
        try:
            async with self._store_sessions.begin() as session:
                new = await intake_db.store(session, items, self.app.clock.now())
        finally:
            self._storing -= 1
            if not self._storing:
                self._stored.set()
        self._wake.set()
        return new

    # --- workers ---

    def start(self) -> None:
        """Start claiming (idempotent)."""
        if self._loop is None:
            self._stopping = False
            self._loop = asyncio.create_task(self._claim_loop(), name="intake")

    async def stop(self, grace: float = 10.0) -> None:
        """Claim no more; let the updates in hand finish, then give back any still running."""
        self._stopping = True
        self._wake.set()
        if self._loop is not None:
            await self._loop
            self._loop = None
        running = list(self._inflight.values())
        if running:
            _, pending = await asyncio.wait(running, timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        left = list(self._inflight)
        if left:
            with contextlib.suppress(Exception):
                async with self.app.sessions.begin() as session:
                    await intake_db.release(
                        session, left, self.token, available_at=self.app.clock.now()
                    )
            self._inflight.clear()

    async def close(self) -> None:
        """Stop, and close the storing pool."""
        await self.stop()
        if self._store_db is not None:
            await self._store_db.dispose()

    def idle(self) -> bool:
        """Nothing in hand."""
        return not self._inflight

    async def _claim_loop(self) -> None:
        loop = asyncio.get_running_loop()
        last_purge = last_renew = loop.time()
        while not self._stopping:
            self._wake.clear()
            claimed: list[Claimed] = []
            free = self.workers - len(self._inflight)
            try:
                if free > 0 and self.handlers:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stored.wait(), STORE_FIRST)
                    claimed = await self._claim(free)
                if loop.time() - last_renew > self.lease.total_seconds() / 3:
                    await self._renew()
                    last_renew = loop.time()
                if loop.time() - last_purge > PURGE_EVERY:
                    await self._purge()
                    last_purge = loop.time()
            except Exception as exc:  # the database is away: try again shortly
                log.warning("intake: claiming failed (%s); retrying", type(exc).__name__)
            for item in claimed:
                self._spawn(item)
            if claimed and len(claimed) == free:
                continue  # there may be more: claim again as soon as a slot frees
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)

    async def _claim(self, limit: int) -> list[Claimed]:
        async with self.app.sessions.begin() as session:
            return await intake_db.claim(
                session,
                list(self.handlers),
                limit,
                now=self.app.clock.now(),
                lease=self.lease,
                token=self.token,
            )

    async def _renew(self) -> None:
        """Extend the lease of the updates in hand (a long upload must not be taken twice)."""
        ids = list(self._inflight)
        if not ids:
            return
        async with self.app.sessions.begin() as session:
            await session.execute(
                update(IntakeRow)
                .where(IntakeRow.id.in_(ids), IntakeRow.claim_token == self.token)
                .values(lease_until=self.app.clock.now() + self.lease)
                .execution_options(synchronize_session=False)
            )

    async def _purge(self) -> None:
        async with self.app.sessions.begin() as session:
            await intake_db.purge(session, self.app.clock.now() - KEEP_KEYS)

    def _spawn(self, item: Claimed) -> None:
        before = self._last_of_chat.get(item.chat) if item.chat else None
        task = asyncio.create_task(self._run(item, before), name=f"intake-{item.id}")
        self._inflight[item.id] = task
        if item.chat:
            self._last_of_chat[item.chat] = task

        def done(t: asyncio.Task[None]) -> None:
            if self._inflight.get(item.id) is t:
                del self._inflight[item.id]
            if item.chat and self._last_of_chat.get(item.chat) is t:
                del self._last_of_chat[item.chat]
            self._wake.set()  # a slot is free

        task.add_done_callback(done)

    async def _run(self, item: Claimed, before: asyncio.Task[None] | None) -> None:
        """Handle one update after the chat's previous one; record the outcome."""
        if before is not None:
            await asyncio.wait({before})
        handler = self.handlers.get(item.channel)
        status = "done"
        token = DURABLE.set(True)  # a database failure raises instead of apologising
        try:
            if handler is not None:
                await handler(item.payload)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if item.attempts < self.max_attempts:
                log.warning(
                    "intake: %s update %s failed (%s, attempt %s); will retry",
                    item.channel,
                    item.id,
                    type(exc).__name__,
                    item.attempts,
                )
                await self._retry_later(item)
                return
            log.error("intake: %s update %s failed for good", item.channel, item.id)
            status = "failed"
        finally:
            DURABLE.reset(token)
        self.handled += 1
        await self._finish(item, status)

    async def _retry_later(self, item: Claimed) -> None:
        wait = min(MAX_BACKOFF, 2.0**item.attempts)
        with contextlib.suppress(Exception):  # if this fails too, the lease runs out instead
            async with self.app.sessions.begin() as session:
                await intake_db.release(
                    session,
                    [item.id],
                    self.token,
                    available_at=self.app.clock.now() + dt.timedelta(seconds=wait),
                )

    async def _finish(self, item: Claimed, status: str) -> None:
        """Mark it done; if the database is away, try for a while (else it is handled again)."""
        for attempt in range(5):
            try:
                async with self.app.sessions.begin() as session:
                    await intake_db.finish(
                        session, item.id, self.token, status=status, now=self.app.clock.now()
                    )
                return
            except Exception as exc:
                log.warning("intake: marking done failed (%s)", type(exc).__name__)
                await asyncio.sleep(0.5 * 2**attempt)
