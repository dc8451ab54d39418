"""The scheduler: APScheduler wakes :meth:`Notifier.tick`; the database is the truth.

A tick (every ``HOCTAP_NOTIFY_TICK_SECONDS``) notices a new content version (change notices),
turns what fell due into broadcasts (announcements, reminders, van visits for commune
subscribers) and drains the outbox. Whatever fell due while the bot was down is sent when it
comes back, unless older than ``HOCTAP_NOTIFY_STALE_HOURS``: then its broadcast is recorded as
``expired`` with the reason, never dropped silently. A daily job closes past reminders.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.app import App, Live
from bot.delivery import Sender
from bot.leader import Leadership
from bot.messages import button
from bot.notify import signups
from bot.notify.changes import on_new_version
from bot.notify.digest import make_digest, purge_expired_texts
from bot.notify.outbox import DrainStats, Outbox, buttons_json, create_broadcast, existing_sources
from bot.notify.reminders import event_start, reminder_text, slots
from bot.pack.days import full_date
from bot.settings import NotifySettings
from db import content as content_db
from db import notify as notify_db
from db.subscriptions import audience_filter, subscribers

if TYPE_CHECKING:
    from db.models_notify import ReminderRow

log = logging.getLogger(__name__)

VERSION_ROUNDS = 5  # content versions a tick follows mid-drain before leaving it to the next
STOP_GRACE = 10.0  # seconds a running job may take to finish its batch at shutdown
VERSION_KEY = "content_version"


class Notifier:
    """Owns the outbox and the scheduler of one bot process."""

    def __init__(
        self, app: App, senders: Mapping[str, Sender], config: NotifySettings | None = None
    ) -> None:
        self.app = app
        self.config = config or app.settings.notify
        self.outbox = Outbox(app, senders, self.config)
        self.scheduler: AsyncIOScheduler | None = None
        self._tick_lock = asyncio.Lock()
        self._jobs: set[asyncio.Task[object]] = set()  # scheduler jobs running now
        self.last: DrainStats | None = None

    # --- the tick ----------------------------------------------------------------------------

    async def tick(self) -> DrainStats:
        """One pass: content changes, due items into broadcasts, then drain the outbox."""
        async with self._tick_lock:
            stats = DrainStats()
            for _ in range(VERSION_ROUNDS):
                live = await self.app.refresh(force=True)
                if live is not None:
                    await self.check_version(live)  # removed items: their reminders stop
                    await self.make_due(live)
                await self.close_past_reminders()
                self.outbox.watch_version = live.version if live is not None else None
                self.outbox.version_changed = False
                self.last = stats = await self.outbox.drain()
                if not self.outbox.version_changed:
                    break  # else content changed mid-drain: check it, then go on
            return stats

    async def check_version(self, live: Live) -> None:
        """Run change notices once per new content version (persisted in ``notify_state``)."""
        now = self.app.now()
        async with self.app.sessions.begin() as session:
            seen = await notify_db.get_state(session, VERSION_KEY)
            if seen is None:
                await notify_db.set_state(session, VERSION_KEY, str(live.version), now)
                return
            if int(seen) == live.version:
                return
            old_pack = await content_db.read_pack(session, int(seen))
        await on_new_version(self.app, old_pack, live.pack, version=live.version)
        await signups.on_new_version(self.app, old_pack, live.pack, version=live.version)
        async with self.app.sessions.begin() as session:
            await notify_db.set_state(session, VERSION_KEY, str(live.version), now)

    def _stale(self, due: dt.datetime, now: dt.datetime) -> str | None:
        if now - due > self.config.stale:
            return (
                f"stale: due {due:%Y-%m-%d %H:%M}, not sent within {self.config.stale_hours:g} h"
            )
        return None

    async def make_due(self, live: Live) -> int:
        """Turn due announcements, reminders and van visits into broadcasts; return how many."""
        made = 0
        made += await self._announcements(live)
        made += await self._reminders(live)
        made += await self._van_visits(live)
        made += await make_digest(self.app, self.config.digest_at)
        return made

    async def _announcements(self, live: Live) -> int:
        now, tz, made = self.app.now(), self.app.tz, 0
        async with self.app.sessions.begin() as session:
            done = await existing_sources(session, "pack:")
            for item in live.pack.announcements:
                source = f"pack:{item.id}"
                if source in done:
                    continue
                # a pack's time is a wall-clock time of its zone (bot.pack.load), like a
                # reminder's slot: the moment it names, in the quiet hours of that zone
                due = self.config.out_of_quiet(item.publish_at.replace(tzinfo=tz))
                if due > now:
                    continue
                text = f"**📢 {item.title}**\n{item.body}"  # whole line: bold, no literal **
                rows = []
                if item.course and live.pack.course(item.course):
                    rows.append((button("📚 Xem lớp học", f"course:{item.course}"),))
                stale = self._stale(due, now)
                recipients = (
                    []
                    if stale
                    else await subscribers(session, audience_filter(item.topics, item.communes))
                )
                made += (
                    await create_broadcast(
                        session,
                        source=source,
                        kind="announcement",
                        title=item.title,
                        text=text,
                        buttons=buttons_json(rows),
                        recipients=recipients,
                        due_at=due,
                        now=now,
                        status="expired" if stale else "running",
                        reason=stale,
                    )
                    is not None
                )
        return made

    async def _reminders(self, live: Live) -> int:
        now, tz, made = self.app.now(), self.app.tz, 0
        horizon = now.date() - dt.timedelta(days=int(self.config.stale_hours // 24) + 1)
        async with self.app.sessions.begin() as session:
            rows = await notify_db.due_reminders(
                session, horizon, now.date() + dt.timedelta(days=1)
            )
            groups: defaultdict[tuple[str, dt.date], list[tuple[ReminderRow, str, str]]]
            groups = defaultdict(list)
            for reminder, channel, chat_id in rows:
                groups[(reminder.ref, reminder.target_date)].append((reminder, channel, chat_id))
            done = await existing_sources(session, "reminder:")
            for (ref, target), members in groups.items():
                for slot, due in slots(ref, target, self.config, tz):
                    source = f"reminder:{ref}:{target.isoformat()}:{slot}"
                    if due > now or source in done:
                        continue
                    recipients = [
                        (r.user_pk, ch, chat) for r, ch, chat in members if r.created_at <= due
                    ]
                    if not recipients:
                        continue
                    reason = self._stale(due, now)
                    if reason is None and now >= event_start(live.pack, ref, target, tz):
                        reason = "the session or visit had already begun"
                    made += (
                        await create_broadcast(
                            session,
                            source=source,
                            kind="reminder",
                            title=ref,
                            text=reminder_text(live.pack, ref, target, slot),
                            recipients=[] if reason else recipients,
                            due_at=due,
                            now=now,
                            status="expired" if reason else "running",
                            reason=reason,
                        )
                        is not None
                    )
        return made

    async def _van_visits(self, live: Live) -> int:
        """Tell a commune's subscribers the day before the van comes."""
        now, tz, made = self.app.now(), self.app.tz, 0
        today = now.date()
        async with self.app.sessions.begin() as session:
            done = await existing_sources(session, "van:")
            for stop in live.pack.stops:
                for visit in stop.visits(
                    today - dt.timedelta(days=1), today + dt.timedelta(days=1)
                ):
                    source = f"van:{stop.id}:{visit.isoformat()}"
                    eve = dt.datetime.combine(visit - dt.timedelta(days=1), self.config.van_eve_at)
                    due = self.config.out_of_quiet(eve.replace(tzinfo=tz))
                    if due > now or source in done:
                        continue
                    recipients = await subscribers(session, [("commune", stop.commune)])
                    if not recipients:
                        continue
                    reason = self._stale(due, now)
                    if reason is None and now >= event_start(
                        live.pack, f"stop:{stop.id}", visit, tz
                    ):
                        reason = "the visit had already begun"
                    text = (
                        f"🚐 Xe thư viện lưu động sẽ đến {stop.commune}: {full_date(visit)}, "
                        f"{stop.time} tại {stop.place}."
                    )
                    made += (
                        await create_broadcast(
                            session,
                            source=source,
                            kind="van",
                            title=stop.place,
                            text=text,
                            recipients=[] if reason else recipients,
                            due_at=due,
                            now=now,
                            status="expired" if reason else "running",
                            reason=reason,
                        )
                        is not None
                    )
        return made

    async def close_past_reminders(self) -> None:
        """Reminders whose date has passed are done."""
        today = self.app.now().date()
        async with self.app.sessions.begin() as session:
            await notify_db.close_past_reminders(session, today)

    # --- lifecycle ---------------------------------------------------------------------------

    def _job_started(self) -> bool:
        """Track the running job's task so :meth:`stop` can wait for it; False when stopping."""
        if self.outbox.stopping:
            return False
        task = asyncio.current_task()
        if task is not None:
            self._jobs.add(task)
            task.add_done_callback(self._jobs.discard)
        return True

    async def _tick_job(self) -> None:
        if not self._job_started():
            return
        try:
            await self.tick()
        except Exception:
            log.exception("notification tick failed")

    async def _daily_job(self) -> None:
        if not self._job_started():
            return
        try:
            await self.close_past_reminders()
            purged = await purge_expired_texts(self.app)
            log.info("retention: deleted or de-linked %s", purged or "nothing")
        except Exception:
            log.exception("daily notification job failed")

    def start(self) -> None:
        """Start APScheduler: the tick now and every ``tick_seconds``, the daily job."""
        scheduler = AsyncIOScheduler(timezone=self.app.tz)
        scheduler.add_job(
            self._tick_job,
            IntervalTrigger(seconds=self.config.tick_seconds, timezone=self.app.tz),
            id="notify-tick",
            next_run_time=self.app.now(),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
        at = self.config.daily_at
        scheduler.add_job(
            self._daily_job,
            CronTrigger(hour=at.hour, minute=at.minute, timezone=self.app.tz),
            id="notify-daily",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
        scheduler.start()
        self.scheduler = scheduler

    async def stop(self) -> None:
        """Stop the scheduler; an in-flight tick finishes its batch (leases cover the rest)."""
        # A running drain would otherwise go on until the outbox is empty, next to the new
        # leader's, doubling the combined send rate after a lost lock.
        self.outbox.stopping = True
        # A job the scheduler has just submitted starts on the next turn of the loop: let it
        # see ``stopping`` (or register), and let running jobs finish before the shutdown,
        # which would cancel them half-way (APScheduler cancels its pending futures).
        if self.scheduler is not None:
            self.scheduler.pause()
        await asyncio.sleep(0)
        if self._jobs:
            _, late = await asyncio.wait(set(self._jobs), timeout=STOP_GRACE)
            if late:
                log.warning("a notification job was still running at shutdown: cancelled")
                for task in late:
                    task.cancel()
                await asyncio.gather(*late, return_exceptions=True)
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        try:
            await asyncio.wait_for(self._tick_lock.acquire(), timeout=5)
            self._tick_lock.release()
        except TimeoutError:
            log.warning("a notification tick was still running at shutdown")
        try:  # rows claimed and not recorded: pending again now, not after the lease
            released = await self.outbox.release()
        except Exception as exc:
            log.warning("could not release claimed deliveries (%s)", type(exc).__name__)
        else:
            if released:
                log.warning("released %s claimed deliveries at shutdown", released)


async def start_notifications(
    app: App, senders: dict[str, Sender], config: NotifySettings | None = None
) -> Notifier:
    """Create the notifier and start its scheduler in the running event loop."""
    notifier = Notifier(app, senders, config)
    notifier.start()
    log.info(
        "notifications: tick every %gs, senders %s", notifier.config.tick_seconds, list(senders)
    )
    return notifier


async def lead_scheduler(
    app: App,
    senders: dict[str, Sender],
    stop: asyncio.Event,
    leadership: Leadership,
    config: NotifySettings | None = None,
) -> None:
    """Run the notifier while this instance holds the lock; try for it every few seconds."""
    notifier: Notifier | None = None
    try:
        while not stop.is_set():
            leading = await leadership.check()
            app.metrics.leader.set(1 if leading else 0)
            if leading and notifier is None:
                notifier = await start_notifications(app, senders, config)
            elif not leading and notifier is not None:
                log.warning("lost the scheduler lock: stopping the notifier")
                await notifier.stop()
                notifier = None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), app.settings.leader_check_seconds)
    finally:
        if notifier is not None:
            await notifier.stop()
        await leadership.release()
        app.metrics.leader.set(0)
