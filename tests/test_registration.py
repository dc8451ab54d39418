"""Signing up for a class through ``dispatch``, on SQLite and PostgreSQL: the steps, seats and
the waiting list, every bad input answered politely with nothing changed, erasure, retention.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import App, build_app
from bot.clock import FixedClock
from bot.settings import Settings
from db import registrations as reg_db
from db.models_notify import BroadcastRow, ConsentRow, ReminderRow
from db.models_registrations import DemandRow, RegistrationRow
from handlers.registration import sign_up_subject
from handlers.registration_rules import clean_name, phone_of
from tests.registration_helpers import NOW, cmd, press, send, sign_up, signup_pack, text


@pytest.fixture
async def app(database_url: str, tmp_path: Path) -> AsyncIterator[App]:
    settings = Settings(
        _env_file=None, database_url=database_url, content_dir=signup_pack(tmp_path)
    )
    application = build_app(settings, clock=FixedClock(NOW))
    await application.prepare()
    try:
        yield application
    finally:
        await application.close()


async def registrations(app: App) -> list[RegistrationRow]:
    async with app.sessions() as session:
        return list(await session.scalars(select(RegistrationRow).order_by(RegistrationRow.id)))


async def test_sign_up_from_the_class_reply_with_consent_name_and_phone(app: App) -> None:
    item = await send(app, press("1", "course:may-cong-nghiep"))
    assert "Nộp đơn" in item.text  # the class's own way to register stays ...
    assert "rg:may-cong-nghiep" in [b.data for b in item.flat_buttons]  # ... with ours beside it
    asked = await send(app, press("1", "rg:may-cong-nghiep"))
    assert "họ tên và số điện thoại" in asked.text and "90 ngày" in asked.text
    assert [b.data for b in asked.flat_buttons] == ["rgy", "rgn"]
    assert "họ và tên" in (await send(app, press("1", "rgy"))).text
    phone_asked = await send(app, text("1", "  Nguyễn   Thị Lan "))
    assert "số điện thoại" in phone_asked.text and phone_asked.ask_contact is None  # typed here
    done = await send(app, text("1", "091 234 5678"))
    assert "✅ Đã đăng ký lớp «Sơ cấp nghề may công nghiệp»" in done.text
    assert "Nguyễn Thị Lan (0912 345 678)" in done.text
    assert "04/01/2027" in done.text and "Địa điểm:" in done.text and "mang theo" in done.text
    [row] = await registrations(app)
    assert (row.status, row.name, row.phone) == ("confirmed", "Nguyễn Thị Lan", "+84912345678")
    async with app.sessions() as session:
        reminder = await session.scalar(select(ReminderRow))
        purposes = list(await session.scalars(select(ConsentRow.purpose)))
    assert reminder is not None and reminder.ref == "course:may-cong-nghiep"  # switched on
    assert any("đăng ký lớp học" in p for p in purposes)


async def test_typed_sign_up_finds_the_class(app: App) -> None:
    asked = await send(app, text("2", "đăng ký lớp may công nghiệp"))
    assert "Đăng ký lớp «Sơ cấp nghề may công nghiệp»" in asked.text and "rgy" in [
        b.data for b in asked.flat_buttons
    ]
    again = await send(app, text("3", "cho tôi ghi tên lớp may công nghiệp"))
    assert "rgy" in [b.data for b in again.flat_buttons]
    # a question about how to register is a question, not a sign-up
    assert sign_up_subject("đăng ký lớp may ở đâu") is None
    assert sign_up_subject("đăng ký lớp may thế nào?") is None


@pytest.mark.parametrize(
    ("typed", "ok"),
    [
        ("0912345678", True),
        ("+84 912 345 678", True),
        ("0209 3871 120", True),
        ("12345", False),
        ("0912", False),
        ("091234567890", False),
        ("abc", False),
        ("+1 202 555 0100", False),
        ("", False),
    ],
)
def test_vietnamese_phone_numbers(typed: str, ok: bool) -> None:
    assert (phone_of(typed) is not None) is ok


def test_names() -> None:
    assert clean_name(" Lò  Văn Pá ") == "Lò Văn Pá"
    assert clean_name("A") is None and clean_name("12345") is None and clean_name("Lan 2") is None


async def test_bad_phone_and_bad_name_change_nothing(app: App) -> None:
    await send(app, press("4", "rg:may-cong-nghiep"))
    await send(app, press("4", "rgy"))
    question = await send(app, text("4", "giờ mở cửa thư viện tỉnh"))
    assert "Giờ mở cửa" in question.text or "mở cửa" in question.text  # answered, not a name
    await send(app, press("4", "rg:may-cong-nghiep"))
    await send(app, press("4", "rgy"))
    bad_name = await send(app, text("4", "12345"))
    assert "Tên này chưa đúng" in bad_name.text
    await send(app, text("4", "Hoàng Văn Nam"))
    bad = await send(app, text("4", "0912"))
    assert "Số điện thoại này chưa đúng" in bad.text and "0912 345 678" in bad.text
    assert await registrations(app) == []
    done = await send(app, text("4", "0987654321"))  # still on the phone step
    assert "✅" in done.text


async def test_twice_full_finished_closed_and_no_registration(app: App) -> None:
    await sign_up(app, "5", "may-cong-nghiep")
    twice = await send(app, press("5", "rg:may-cong-nghiep"))
    assert "đã đăng ký rồi" in twice.text and not twice.flat_buttons
    finished = await send(app, press("5", "rg:chan-nuoi-ga"))
    assert "đã kết thúc" in finished.text
    closed = await send(app, press("5", "rg:tin-hoc-van-phong"))
    assert "hết hạn đăng ký" in closed.text and "01/12/2026" in closed.text
    free = await send(app, press("5", "rg:trong-cam-quyt"))
    assert "không cần đăng ký" in free.text
    started = await send(app, press("5", "rg:smartphone-nguoi-cao-tuoi"))
    assert "đã khai giảng" in started.text
    for course in ("chan-nuoi-ga", "tin-hoc-van-phong", "trong-cam-quyt"):
        item = await send(app, press("5", f"course:{course}"))
        assert not [b for b in item.flat_buttons if b.data.startswith("rg")]
    assert len(await registrations(app)) == 1
    # a full class offers the waiting list up front
    await sign_up(app, "6", "nuoi-ca-ao")
    full = await send(app, press("7", "rg:nuoi-ca-ao"))
    assert "đã đủ 1 chỗ" in full.text and "danh sách chờ" in full.text
    await send(app, press("7", "rgy"))
    await send(app, text("7", "Lý Thị Hoa"))
    waiting = await send(app, text("7", "0912000111"))
    assert "danh sách chờ, vị trí số 1" in waiting.text


async def test_cancel_promotes_the_first_waiting_who_is_told(app: App) -> None:
    await sign_up(app, "10", "nuoi-ca-ao", "Người Một")
    await sign_up(app, "11", "nuoi-ca-ao", "Người Hai")
    await sign_up(app, "12", "nuoi-ca-ao", "Người Ba")
    mine = await send(app, text("10", "đăng ký của tôi"))
    [cancel] = [b.data for b in mine.flat_buttons if b.data.startswith("rgx:")]
    assert "Đã hủy đăng ký" in (await send(app, press("10", cancel))).text
    again = await send(app, press("10", cancel))
    assert "không còn" in again.text
    rows = {r.name: r.status for r in await registrations(app)}
    assert rows == {"Người Một": "cancelled", "Người Hai": "confirmed", "Người Ba": "waiting"}
    async with app.sessions() as session:
        told = await session.scalar(
            select(BroadcastRow).where(BroadcastRow.source.startswith("registration:promoted:"))
        )
        reminded = await session.scalar(select(func.count()).where(ReminderRow.status == "active"))
    assert told is not None and "Đã có chỗ cho bạn" in told.text
    assert reminded == 1  # the promoted person's reminder on, the cancelled one's off
    three = await send(app, text("12", "đăng ký của tôi"))
    assert "vị trí 1" in three.text
    # someone else's cancel button does nothing
    other = await send(app, press("12", cancel.replace(cancel.split(":")[1], "2")))
    assert "không còn" in other.text


async def test_contact_outside_a_sign_up_keeps_nothing(app: App) -> None:
    from bot.messages import Incoming

    reply = await send(app, Incoming("telegram", "20", "20", contact="+84912345678"))
    assert "chỉ dùng số điện thoại khi bạn đăng ký" in reply.text
    assert await registrations(app) == []


async def test_erase_and_retention_cover_sign_ups_and_demand(app: App) -> None:
    await sign_up(app, "30", "may-cong-nghiep")
    absent = await send(app, text("30", "có lớp tiếng Hàn không"))
    assert "Hiện chưa có lớp" in absent.text
    assert "dm:go" in [b.data for b in absent.flat_buttons]
    told = await send(app, press("30", "dm:go"))
    assert "sẽ báo bạn ngay khi có lớp" in told.text
    async with app.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(DemandRow)) == 1
    await send(app, cmd("30", "xoadulieu"))
    erased = await send(app, press("30", "pv:erase"))
    assert "đăng ký lớp học" in erased.text and "chờ mở lớp" in erased.text
    async with app.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(RegistrationRow)) == 0
        assert await session.scalar(select(func.count()).select_from(DemandRow)) == 0
    # retention: a class that ended more than the setting's days ago loses its sign-ups
    await sign_up(app, "31", "may-cong-nghiep")
    async with app.sessions.begin() as session:
        assert await reg_db.purge(session, today=NOW.date(), days=90) == 0
        end = (await registrations(app))[0].class_end
        assert await reg_db.purge(session, today=end.replace(year=end.year + 1), days=90) == 1


async def test_daily_purge_deletes_sign_ups_after_the_class_and_old_wishes(app: App) -> None:
    from bot.notify.digest import purge_expired_texts

    await sign_up(app, "32", "nuoi-ca-ao")  # ends 16/12/2026
    await sign_up(app, "33", "may-cong-nghiep")  # ends 31/03/2027
    await send(app, text("32", "có lớp tiếng Hàn không"))
    await send(app, press("32", "dm:go"))
    assert isinstance(app.clock, FixedClock)
    app.clock.when = NOW.replace(year=2027, month=3, day=16, hour=3)  # 90 days after 16/12
    assert "registrations" not in await purge_expired_texts(app)
    app.clock.when = NOW.replace(year=2027, month=3, day=17, hour=3)
    purged = await purge_expired_texts(app)
    assert purged["registrations"] == 1 and "demand_requests" not in purged
    assert [r.course_id for r in await registrations(app)] == ["may-cong-nghiep"]
    app.clock.when = NOW.replace(year=2027, month=6, day=1, hour=3)  # past the 180 days
    assert (await purge_expired_texts(app))["demand_requests"] == 1


def test_registration_closes_round_trips_through_yaml_and_spreadsheet(tmp_path: Path) -> None:
    from bot.pack import dump_pack, load_pack
    from bot.pack.xlsx import read_workbook, write_workbook

    pack, problems = load_pack(signup_pack(tmp_path))
    assert pack is not None, problems
    closes = {c.id: c.registration_closes for c in pack.courses if c.registration_closes}
    assert closes == {"tin-hoc-van-phong": dt.date(2026, 12, 1)}
    again, sheet_problems = read_workbook(write_workbook(pack))
    assert again is not None and not sheet_problems
    assert again.courses == pack.courses
    dump_pack(pack, tmp_path / "out", template=signup_pack(tmp_path / "t"))
    back, problems = load_pack(tmp_path / "out")
    assert back is not None and back.courses == pack.courses, problems
    late = [dict(c.model_dump(), registration_closes=dt.date(2027, 12, 1)) for c in pack.courses]
    from bot.pack.models import Course

    with pytest.raises(ValueError, match="hạn đăng ký"):
        Course.model_validate(late[0])
