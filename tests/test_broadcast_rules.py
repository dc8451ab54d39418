"""Broadcast rules staff can predict: a class removed while its reminders are being sent stops
them before the next batch (not 600 reminders, then 600 cancellations); an upload reusing the
id of an announcement sent before is warned about; "Gửi ngay" in quiet hours says when it will
really go and offers "Gửi khẩn"."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from bot.app import App
from bot.messages import Document, Incoming, Reply
from bot.notify.config import NotifySettings
from bot.notify.outbox import create_broadcast
from bot.notify.scheduler import Notifier
from bot.pack import load_pack
from db import content as content_db
from db import staff as staff_db
from db.models_notify import BroadcastRow, DeliveryRow
from handlers import dispatch
from tests import test_notify_changes as changes
from tests.test_notify_changes import TZ, edited_pack, to
from tests.test_notify_outbox import seed
from tests.test_shutdown_cancel import Gate
from tests.test_staff import workbook

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


EDITOR = "900"


async def editor_of(app: App) -> None:
    async with app.sessions.begin() as s:
        await staff_db.set_staff(s, f"telegram:{EDITOR}", "editor", by="test", now=app.now())


def staff_says(**fields: object) -> Incoming:
    return Incoming("telegram", EDITOR, EDITOR, **fields)  # type: ignore[arg-type]


async def test_reusing_a_sent_announcement_id_is_warned(app: App) -> None:
    await editor_of(app)
    async with app.sessions.begin() as s:  # khai-giang-smartphone went out long ago
        await create_broadcast(
            s,
            source="pack:khai-giang-smartphone",
            kind="announcement",
            title="cũ",
            text="cũ",
            recipients=[],
            due_at=app.now(),
            now=app.now(),
        )

    def reuse(wb) -> None:  # type: ignore[no-untyped-def]
        wb["Thông báo"]["B2"] = "Khai giảng khóa mới lớp điện thoại thông minh"
        wb["Thông báo"]["D2"] = "2026-12-20 08:00"

    data = workbook(reuse)

    async def fetch() -> bytes:
        return data

    document = Document("thong-bao.xlsx", None, len(data), fetch)
    [preview] = await dispatch(staff_says(document=document), app)
    assert "«khai-giang-smartphone» dùng lại mã" in preview.text
    assert "sẽ KHÔNG được gửi" in preview.text


async def test_send_now_in_quiet_hours_says_when_and_offers_urgent(app: App) -> None:
    await editor_of(app)
    await seed(app, 77, ("all", ""))
    night = dt.datetime(2026, 12, 2, 22, 0, tzinfo=TZ)
    to(app, night)

    async def write() -> list[Reply]:
        await dispatch(staff_says(command="thongbaomoi"), app)
        await dispatch(staff_says(text="Mất điện sáng mai"), app)
        await dispatch(staff_says(text="Thư viện đóng cửa đến trưa."), app)
        await dispatch(staff_says(button="st:an:ok"), app)
        return await dispatch(staff_says(button="st:an:now"), app)

    intro, _, confirm = await write()
    assert "sẽ gửi lúc 07:00 03/12/2026" in intro.text  # not "22:00": the quiet hours
    assert "giờ yên lặng" in confirm.text and "07:00 03/12" in confirm.text
    assert [b.data for b in confirm.flat_buttons] == ["st:an:go", "st:an:urgent", "st:an:x"]
    [later] = await dispatch(staff_says(button="st:an:go"), app)
    assert "lúc 07:00 03/12" in later.text

    intro, _, confirm = await write()
    [urgent] = await dispatch(staff_says(button="st:an:urgent"), app)
    assert "(khẩn)" in urgent.text and "lúc 22:00 02/12" in urgent.text
    gate = Gate()
    gate.open.set()
    config = NotifySettings(_env_file=None, rate_per_s=1000.0)
    await Notifier(app, {"telegram": gate}, config).outbox.drain()
    assert gate.sent == ["77"]  # only the urgent one, in the night
    to(app, dt.datetime(2026, 12, 3, 7, 1, tzinfo=TZ))
    await Notifier(app, {"telegram": gate}, config).outbox.drain()
    assert gate.sent == ["77", "77"]  # the other one, once the quiet hours are over
