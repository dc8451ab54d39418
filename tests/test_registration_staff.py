"""Sign-ups, the staff side and the data: the authorization matrix of the new commands and
buttons, rosters (chat, spreadsheet with formulas escaped, command line), staff cancelling,
change and demand notices after a content import, the digest, /thongke, and erasure.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook
from sqlalchemy import select, text

from bot import registrations as views
from bot.app import App, build_app
from bot.clock import FixedClock
from bot.messages import Incoming
from bot.notify import signups
from bot.notify.digest import digest_text
from bot.pack import load_pack
from bot.settings import Settings
from db import content as content_db
from db import registrations as reg_db
from db import staff as staff_db
from db.models_notify import BroadcastRow
from db.models_registrations import DemandRow, RegistrationRow
from handlers import dispatch
from tests.registration_helpers import NOW, cmd, press, send, sign_up, signup_pack
from tests.registration_helpers import text as said
from tests.test_privacy import _scan
from tests.test_retention import where_found

ADMIN, EDITOR, CITIZEN = "1", "2", "3"
STAFF_COMMANDS = ["dangky", "thongke"]
STAFF_BUTTONS = ["sr:l:nuoi-ca-ao", "sr:x:nuoi-ca-ao", "sr:c:1", "sr:cy:1", "sr:n"]


@pytest.fixture
async def app(database_url: str, tmp_path: Path) -> AsyncIterator[App]:
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        content_dir=signup_pack(tmp_path),
        staff_ids=[f"terminal:{ADMIN}"],
    )
    application = build_app(settings, clock=FixedClock(NOW))
    await application.prepare()
    async with application.sessions.begin() as s:
        await staff_db.set_staff(s, f"terminal:{EDITOR}", "editor", by="test", now=NOW)
    try:
        yield application
    finally:
        await application.close()


async def rows(app: App) -> list[RegistrationRow]:
    async with app.sessions() as session:
        return list(await session.scalars(select(RegistrationRow).order_by(RegistrationRow.id)))


@pytest.mark.parametrize("name", STAFF_COMMANDS)
async def test_citizen_gets_the_ordinary_help_for_staff_commands(app: App, name: str) -> None:
    helped = await send(app, cmd(CITIZEN, "help"))
    assert (await send(app, cmd(CITIZEN, name))).text == helped.text


@pytest.mark.parametrize("data", STAFF_BUTTONS)
async def test_citizen_forging_staff_buttons_gets_help_and_changes_nothing(
    app: App, data: str
) -> None:
    await sign_up(app, "40", "nuoi-ca-ao")
    helped = await send(app, cmd(CITIZEN, "help"))
    replies = await dispatch(press(CITIZEN, data), app)
    assert [r.text for r in replies] == [helped.text] and not any(r.attachment for r in replies)
    assert [r.status for r in await rows(app)] == ["confirmed"]


@pytest.mark.parametrize("user", [ADMIN, EDITOR])
async def test_staff_overview_roster_and_cancel(app: App, user: str) -> None:
    await sign_up(app, "41", "nuoi-ca-ao", "Đinh Văn Một")
    await sign_up(app, "42", "nuoi-ca-ao", "Ma Thị Hai")  # waits: one seat
    overview = await send(app, cmd(user, "dangky"))
    assert "Nuôi cá ao nước tĩnh (14/12): 1/1 chỗ, 1 chờ" in overview.text
    assert "Sơ cấp nghề may công nghiệp (04/01): 0/35 chỗ" in overview.text
    roster = await send(app, press(user, "sr:l:nuoi-ca-ao"))
    assert "1. Đinh Văn Một — 0912 345 678" in roster.text and "Danh sách chờ:" in roster.text
    sheet = await send(app, press(user, "sr:x:nuoi-ca-ao"))
    assert sheet.attachment is not None and sheet.attachment.file_name.endswith(".xlsx")
    first = (await rows(app))[0]
    ask = await send(app, press(user, f"sr:c:{first.id}"))
    assert "Người đó sẽ được báo" in ask.text and (await rows(app))[0].status == "confirmed"
    done = await send(app, press(user, f"sr:cy:{first.id}"))
    assert "Đã hủy đăng ký của Đinh Văn Một" in done.text
    assert [r.status for r in await rows(app)] == ["cancelled", "confirmed"]
    async with app.sessions() as session:
        sources = set(await session.scalars(select(BroadcastRow.source)))
    assert f"registration:cancelled:{first.id}" in sources  # the person is told
    assert any(s.startswith("registration:promoted:") for s in sources)  # and the next one


def test_roster_spreadsheet_rows_and_escaped_formulas() -> None:
    pack, problems = load_pack(Path(__file__).parent / "packs" / "dev")
    assert pack is not None, problems
    course = pack.course("nuoi-ca-ao")
    assert course is not None
    names = ['=HYPERLINK("http://x","bấm")', "+84 lừa", "-1", "@SUM(A1)", "Lò Thị Mai"]
    people = [
        RegistrationRow(
            id=i,
            course_id=course.id,
            user_pk=i,
            name=n,
            phone="+84912345678",
            status="confirmed" if i < 4 else "waiting",
            seq=i,
            class_end=course.end_date,
            created_at=NOW,
            changed_at=NOW,
        )
        for i, n in enumerate(names)
    ]
    phones = {i: "0912 345 678" for i in range(5)}
    data = views.roster_workbook(course, people, phones, dt.UTC)
    sheet = load_workbook(io.BytesIO(data))["Danh sách"]
    body = list(sheet.iter_rows(min_row=3))
    assert [c.value for c in body[0][:4]] == [1, "'" + names[0], "0912 345 678", "Có chỗ"]
    for row, name in zip(body, names, strict=True):
        cell = row[1]
        assert cell.data_type == "s" and cell.value.lstrip("'") == name
        assert not str(cell.value).startswith(("=", "+", "-", "@"))
    assert [r[3].value for r in body] == ["Có chỗ"] * 4 + ["Chờ"]
    assert body[4][4].value == 1  # first on the waiting list


async def test_change_and_demand_notices_after_an_import(app: App, tmp_path: Path) -> None:
    await sign_up(app, "50", "nuoi-ca-ao")
    await sign_up(app, "51", "nuoi-ca-ao")  # waiting: gets the new seat
    await sign_up(app, "54", "nuoi-ca-ao")  # waiting still: no reminder, told here
    await sign_up(app, "52", "may-cong-nghiep")
    asked = await send(app, said("53", "có lớp tiếng Hàn không"))
    assert "dm:go" in [b.data for b in asked.flat_buttons]
    await send(app, press("53", "dm:go"))
    near = await send(app, said("55", "có lớp tiếng Hàn ở Chợ Rã không"))
    assert "dm:go" in [b.data for b in near.flat_buttons]
    await send(app, press("55", "dm:go"))
    stats = await dispatch(cmd(EDITOR, "thongke"), app)
    assert "tiếng hàn: 1 người" in stats[-1].text.lower()
    assert "tiếng hàn — xã chợ rã: 1 người" in stats[-1].text.lower()
    # the next version: the fish class moved, the sewing class gone, a Korean class added
    target = tmp_path / "v2"
    shutil.copytree(signup_pack(tmp_path / "x"), target)
    path = target / "courses.yaml"
    courses = yaml.safe_load(path.read_text(encoding="utf-8"))
    courses = [c for c in courses if c["id"] != "may-cong-nghiep"]
    for course in courses:
        if course["id"] == "nuoi-ca-ao":
            course["start_date"] = dt.date(2026, 12, 15)
            course["capacity"] = 2  # one more seat: the person waiting gets it
    korean = dict(
        courses[0],
        id="tieng-han",
        title="Tiếng Hàn giao tiếp cơ bản",
        keywords=["tiếng hàn"],
        start_date=dt.date(2027, 1, 10),
        end_date=dt.date(2027, 3, 10),
    )
    korean.pop("capacity", None)
    path.write_text(yaml.safe_dump([*courses, korean], allow_unicode=True), encoding="utf-8")
    notices = target / "announcements.yaml"
    kept = [
        a
        for a in yaml.safe_load(notices.read_text(encoding="utf-8"))
        if a.get("course") != "may-cong-nghiep"
    ]
    notices.write_text(yaml.safe_dump(kept, allow_unicode=True), encoding="utf-8")
    old = app.live.pack if app.live else None
    new, problems = load_pack(target)
    assert new is not None and old is not None, problems
    async with app.sessions.begin() as session:
        await content_db.apply_pack(session, new, now=NOW, author="test")
    assert await signups.on_new_version(app, old, new, version=2) == 4  # not the Chợ Rã wish
    assert await signups.on_new_version(app, old, new, version=2) == 0  # once
    async with app.sessions() as session:
        made = {b.source: b.text for b in await session.scalars(select(BroadcastRow))}
        wish = await session.scalar(select(DemandRow).order_by(DemandRow.id))
    assert "Đăng ký của bạn vẫn được giữ" in made["signup-change:2:nuoi-ca-ao"]
    assert "đã bị hủy" in made["signup-change:2:may-cong-nghiep"]
    assert "Tiếng Hàn giao tiếp cơ bản" in made["demand:tieng-han"]
    assert wish is not None and wish.status == "notified"
    statuses = [r.status for r in await rows(app)]
    assert statuses == ["confirmed", "confirmed", "waiting", "cancelled"]
    assert any(s.startswith("registration:promoted:") for s in made)


async def test_digest_counts_new_sign_ups_without_names(app: App) -> None:
    await sign_up(app, "60", "may-cong-nghiep", "Vi Văn Kín")
    async with app.sessions() as session:
        digest = await digest_text(session, app, NOW.date())
    assert "Đăng ký lớp mới qua trợ lý: 1" in digest and "Vi Văn Kín" not in digest


async def test_erase_scan_covers_sign_ups_dialogs_and_demand(app: App) -> None:
    user = "987654321"
    await sign_up(app, user, "nuoi-ca-ao", "Bế Văn Riêng", "0977 111 222")
    await send(app, press(user, "rg:may-cong-nghiep"))  # a sign-up left half way
    await send(app, press(user, "rgy"))
    await send(app, said(user, "Bế Văn Riêng"))
    await send(app, said(user, "có lớp tiếng Hàn không"))
    await send(app, press(user, "dm:go"))
    await sign_up(app, "77", "nuoi-ca-ao")  # someone else's (waiting)
    async with app.sessions() as s:
        user_pk = await s.scalar(text("SELECT id FROM users WHERE user_id = :u"), {"u": user})
    assert user_pk is not None and "registrations.user_pk" in await _scan(app, user_pk)
    await send(app, cmd(user, "xoadulieu"))
    await send(app, press(user, "pv:erase"))
    assert await _scan(app, user_pk) == []
    found = await where_found(app, ("Bế Văn Riêng", "+84977111222", "0977 111 222"))
    assert found == {k: set() for k in found}
    [other] = await rows(app)  # the other person's sign-up stays, and gets the freed seat
    assert other.status == "confirmed"
    async with app.sessions() as session:
        sources = list(await session.scalars(select(BroadcastRow.source)))
    assert f"registration:promoted:{other.id}" in sources


def test_command_line_export(tmp_path: Path, clean_env: dict[str, str]) -> None:
    env = {
        **clean_env,
        "HOCTAP_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
        "HOCTAP_CONTENT_DIR": str(signup_pack(tmp_path)),
    }
    hoctap = [sys.executable, "-m", "bot.cli"]
    out = tmp_path / "ds.xlsx"
    done = subprocess.run(
        [*hoctap, "registrations", "export", "nuoi-ca-ao", "--xlsx", str(out)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Đã ghi 0 người" in done.stdout and load_workbook(out)["Danh sách"]["B2"].value
    missing = subprocess.run(
        [*hoctap, "registrations", "export", "khong-co", "--xlsx", str(out)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert missing.returncode == 1 and "Không có lớp mã 'khong-co'" in missing.stderr


async def test_demand_is_counted_by_topic_and_commune(app: App) -> None:
    for user in ("70", "71"):
        await dispatch(Incoming("terminal", user, user, command="start"), app)
    async with app.sessions.begin() as session:
        ids = list(await session.scalars(text("SELECT id FROM users ORDER BY id")))
        for pk in ids:
            await reg_db.add_demand(
                session, user_pk=pk, topic="nuôi dê", commune="Xã Chợ Rã", now=NOW
            )
        assert not await reg_db.add_demand(
            session, user_pk=ids[0], topic="nuôi dê", commune="Xã Chợ Rã", now=NOW
        )
        assert await reg_db.demand_counts(session) == [("nuôi dê", "Xã Chợ Rã", len(ids))]
