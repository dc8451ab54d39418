"""Broadcast rules staff can predict: a class removed while its reminders are being sent stops
them before the next batch (not 600 reminders, then 600 cancellations)."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from bot.app import App
from bot.notify.config import NotifySettings
from bot.notify.scheduler import Notifier
from bot.pack import load_pack
from db import content as content_db
from db.models_notify import BroadcastRow, DeliveryRow
from handlers import dispatch
from handlers.types import Incoming
from tests import test_notify_changes as changes
from tests.test_notify_changes import TZ, edited_pack, to
from tests.test_shutdown_cancel import Gate

app = changes.app  # the dev pack on a fixed clock, SQLite and PostgreSQL

PEOPLE = 30
BATCH = 5


async def deliveries(app: App, kind: str) -> dict[str, int]:
    async with app.sessions() as s:
        rows = await s.execute(
            select(DeliveryRow.status, func.count())
            .join(BroadcastRow, BroadcastRow.id == DeliveryRow.broadcast_id)
            .where(BroadcastRow.kind == kind)
            .group_by(DeliveryRow.status)
        )
        return {status: int(n) for status, n in rows.all()}


async def test_removed_class_stops_its_reminders_mid_send(app: App, tmp_path: Path) -> None:
    remind = "rm:c:trong-rau-huu-co"
    for uid in range(1, PEOPLE + 1):
        await dispatch(Incoming("telegram", str(uid), str(uid), button=remind), app)
    gate = Gate(expect=BATCH)
    config = NotifySettings(_env_file=None, rate_per_s=1000.0, batch_size=BATCH, workers=1)
    notifier = Notifier(app, {"telegram": gate}, config)
    await notifier.tick()  # remembers the live version; nothing due yet
    to(app, dt.datetime(2026, 12, 6, 19, 0, tzinfo=TZ))  # the class's reminder evening
    ticking = asyncio.create_task(notifier.tick())
    await asyncio.wait_for(gate.held.wait(), 30)  # the first batch of reminders is out
    pack, problems = load_pack(edited_pack(tmp_path))  # the class is removed meanwhile
    assert pack is not None, problems
    async with app.sessions.begin() as session:
        await content_db.apply_pack(session, pack, now=app.now(), author="test")
    await app.refresh(force=True)
    gate.open.set()
    await ticking
    assert await deliveries(app, "reminder") == {"sent": BATCH, "skipped": PEOPLE - BATCH}
    assert await deliveries(app, "change") == {"sent": PEOPLE}  # each told once it is off
