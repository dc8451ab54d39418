"""Graceful shutdown and honest cancellation of broadcasts.

Stopping the notifier lets the batch in flight finish and gives back whatever is still claimed
(no row is left ``sending``). Cancelling stops what is queued and what a 429 or an error put
back, reports true counts, and is checked on the server: an editor cannot cancel what the
system sends by forging the button.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, update

from bot.app import App
from bot.delivery import Outcome
from bot.messages import Incoming, Reply
from bot.notify import scheduler as scheduler_module
from bot.notify.outbox import DrainStats, Outbox, create_broadcast
from bot.notify.scheduler import Notifier
from db import staff as staff_db
from db.models_notify import BroadcastRow, DeliveryRow
from handlers import dispatch
from tests import test_notify_outbox as outbox_tests
from tests.test_notify_outbox import START, config, seed

app = outbox_tests.app  # the dev pack on a fixed clock, SQLite and PostgreSQL

EDITOR, ADMIN = "900", "901"


@pytest.fixture
async def staff(app: App) -> AsyncIterator[App]:
    async with app.sessions.begin() as s:
        await staff_db.set_staff(s, f"telegram:{EDITOR}", "editor", by="test", now=START)
        await staff_db.set_staff(s, f"telegram:{ADMIN}", "admin", by="test", now=START)
    yield app


def press(user: str, data: str) -> Incoming:
    return Incoming("telegram", user, user, button=data)


async def broadcast(app: App, source: str, users: int, *, kind: str = "announcement") -> int:
    recipients = [(await seed(app, 1000 + i), "telegram", str(1000 + i)) for i in range(users)]
    async with app.sessions.begin() as s:
        made = await create_broadcast(
            s,
            source=source,
            kind=kind,
            title="Thử",
            text="Nội dung",
            recipients=recipients,
            due_at=START,
            now=START,
        )
    assert made is not None
    return made


async def by_status(app: App, broadcast_id: int) -> dict[str, int]:
    async with app.sessions() as s:
        rows = (
            await s.execute(
                select(DeliveryRow.status).where(DeliveryRow.broadcast_id == broadcast_id)
            )
        ).all()
    out: dict[str, int] = {}
    for (status,) in rows:
        out[status] = out.get(status, 0) + 1
    return out


class Gate:
    """A sender that holds every delivery until ``open`` is set."""

    channel = "telegram"

    def __init__(self, expect: int = 1) -> None:
        self.open = asyncio.Event()
        self.expect = expect
        self.held = asyncio.Event()  # set once ``expect`` deliveries are waiting
        self.waiting = 0
        self.sent: list[str] = []

    async def can_message(self, chat_id: str, now: dt.datetime) -> tuple[bool, str | None]:
        return True, None

    async def deliver(self, chat_id: str, reply: Reply) -> Outcome:
        self.waiting += 1
        if self.waiting >= self.expect:
            self.held.set()
        await self.open.wait()
        self.sent.append(chat_id)
        return Outcome("sent")


async def test_cancel_stops_queued_and_requeued_and_tells_true_counts(staff: App) -> None:
    app = staff
    bid = await broadcast(app, "staff:thu", 5)
    box = Outbox(app, {"telegram": Gate()}, config(batch_size=1, workers=1))
    [in_flight] = await box.claim(1)  # one delivery out at the platform right now
    async with app.sessions.begin() as s:
        ids = list(await s.scalars(select(DeliveryRow.id).where(DeliveryRow.status == "pending")))
        await s.execute(update(DeliveryRow).where(DeliveryRow.id == ids[0]).values(status="sent"))
        await s.execute(  # a 429 put this one back for later
            update(DeliveryRow)
            .where(DeliveryRow.id == ids[1])
            .values(next_attempt_at=START + dt.timedelta(minutes=5), error="429")
        )
    [reply] = await dispatch(press(EDITOR, f"st:an:cancel:{bid}"), app)
    assert "3 tin chưa gửi sẽ không gửi nữa" in reply.text
    assert "1 tin đang được gửi" in reply.text and "1 tin đã gửi trước đó" in reply.text

    # the delivery in flight comes back with a 429: it is not queued again
    await box._record([(in_flight, Outcome("retry", retry_after=1.0))], DrainStats())
    assert await by_status(app, bid) == {"sent": 1, "skipped": 4}
    assert await box.claim(10) == []


async def test_an_editor_cannot_cancel_what_the_system_sends(staff: App) -> None:
    app = staff
    bid = await broadcast(app, "reminder:lop-tin-hoc:2026-11-26", 2, kind="reminder")
    [progress] = await dispatch(Incoming("telegram", EDITOR, EDITOR, command="guitin"), app)
    assert not [b for b in progress.flat_buttons if b.data == f"st:an:cancel:{bid}"]
    [refused] = await dispatch(press(EDITOR, f"st:an:cancel:{bid}"), app)  # forged
    assert "chỉ quản trị viên" in refused.text
    assert await by_status(app, bid) == {"pending": 2}
    async with app.sessions() as s:
        assert (await s.get(BroadcastRow, bid)).status == "running"  # type: ignore[union-attr]
    [done] = await dispatch(press(ADMIN, f"st:an:cancel:{bid}"), app)
    assert "2 tin chưa gửi sẽ không gửi nữa" in done.text


async def test_stop_finishes_the_batch_in_flight(staff: App) -> None:
    app = staff
    bid = await broadcast(app, "staff:dung", 6)
    gate = Gate(expect=3)
    notifier = Notifier(app, {"telegram": gate}, config(batch_size=3, workers=1))
    ticking = asyncio.create_task(notifier._tick_job())
    await asyncio.wait_for(gate.held.wait(), 30)  # the first batch is at the platform
    stopping = asyncio.create_task(notifier.stop())
    await asyncio.sleep(0.05)
    gate.open.set()  # the platform answers
    await stopping
    await ticking
    assert len(gate.sent) == 3  # the batch finished; no new batch was taken
    assert await by_status(app, bid) == {"sent": 3, "pending": 3}


async def test_stop_gives_back_a_batch_that_cannot_finish(
    staff: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = staff
    monkeypatch.setattr(scheduler_module, "STOP_GRACE", 0.2)
    bid = await broadcast(app, "staff:treo", 4)
    gate = Gate(expect=2)  # never opens: the platform hangs
    notifier = Notifier(app, {"telegram": gate}, config(batch_size=2, workers=1))
    ticking = asyncio.create_task(notifier._tick_job())
    await asyncio.wait_for(gate.held.wait(), 30)
    await notifier.stop()
    await asyncio.gather(ticking, return_exceptions=True)
    assert await by_status(app, bid) == {"pending": 4}  # nothing left ``sending``
    again = Outbox(app, {"telegram": Gate()}, config())
    assert len(await again.claim(10)) == 4  # the next leader takes them at once
