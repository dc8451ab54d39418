"""Seats under load: 50 people sign up at once for a class of 30, each in their own
transaction, on SQLite and PostgreSQL, and on two app instances sharing one PostgreSQL.
Exactly 30 get a seat and 20 wait, in the order they took the class's lock; nothing is
over-booked; cancellations hand seats to the waiting list in that order.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import App, build_app
from bot.clock import FixedClock
from bot.settings import Settings
from db import registrations as reg_db
from db.models import UserRow
from db.models_registrations import RegistrationRow
from tests.conftest import fresh_postgres
from tests.registration_helpers import NOW, signup_pack

COURSE = "may-cong-nghiep"
SEATS, PEOPLE = 30, 50


def make_app(url: str, tmp_path: Path) -> App:
    settings = Settings(
        _env_file=None, database_url=url, content_dir=signup_pack(tmp_path, may_cong_nghiep=SEATS)
    )
    return build_app(settings, clock=FixedClock(NOW))


async def make_users(app: App, n: int) -> list[int]:
    async with app.sessions.begin() as session:
        rows = [
            UserRow(
                channel="telegram",
                user_id=str(9000 + i),
                chat_id=str(9000 + i),
                first_seen=NOW,
                last_seen=NOW,
            )
            for i in range(n)
        ]
        session.add_all(rows)
        await session.flush()
        return [r.id for r in rows]


async def one(app: App, user_pk: int, arrivals: list[int]) -> reg_db.Outcome:
    """One sign-up in its own transaction, as one message would make it."""
    async with app.sessions.begin() as session:
        outcome = await reg_db.register(
            session,
            course_id=COURSE,
            capacity=SEATS,
            class_end=dt.date(2027, 3, 31),
            user_pk=user_pk,
            name=f"Người {user_pk}",
            phone="+84912345678",
            now=NOW,
        )
        arrivals.append(user_pk)  # under the class's lock: the order it was taken in
        return outcome


def check(rows: list[RegistrationRow], arrivals: list[int]) -> None:
    confirmed = [r for r in rows if r.status == "confirmed"]
    waiting = sorted((r for r in rows if r.status == "waiting"), key=lambda r: r.seq)
    assert len(confirmed) == SEATS and len(waiting) == PEOPLE - SEATS
    by_seq = [r.user_pk for r in sorted(rows, key=lambda r: r.seq)]
    assert by_seq == arrivals  # seats and places given in arrival order
    assert sorted(r.seq for r in rows) == list(range(1, PEOPLE + 1))
    assert {r.user_pk for r in confirmed} == set(arrivals[:SEATS])
    assert [r.user_pk for r in waiting] == arrivals[SEATS:]


async def rows_of(app: App) -> list[RegistrationRow]:
    async with app.sessions() as session:
        return list(await session.scalars(select(RegistrationRow)))


@pytest.fixture
async def app(database_url: str, tmp_path: Path) -> AsyncIterator[App]:
    application = make_app(database_url, tmp_path)
    await application.prepare()
    try:
        yield application
    finally:
        await application.close()


async def test_fifty_at_once_for_thirty_seats(app: App) -> None:
    users = await make_users(app, PEOPLE)
    arrivals: list[int] = []
    outcomes = await asyncio.gather(*(one(app, pk, arrivals) for pk in users))
    assert sorted(o.status for o in outcomes).count("confirmed") == SEATS
    positions = sorted(o.position for o in outcomes if o.status == "waiting")
    assert positions == list(range(1, PEOPLE - SEATS + 1))
    rows = await rows_of(app)
    check(rows, arrivals)
    # the same people again, all at once: nobody gets a second place
    again = await asyncio.gather(*(one(app, pk, []) for pk in users[:10]))
    assert {o.status for o in again} == {"already"} and len(await rows_of(app)) == PEOPLE
    # five cancel at once: the first five waiting get their seats, in order
    seated = [r for r in rows if r.status == "confirmed"][:5]

    async def cancel(row: RegistrationRow) -> RegistrationRow | None:
        async with app.sessions.begin() as session:
            _, promoted = await reg_db.cancel(
                session, registration_id=row.id, capacity=SEATS, now=NOW, reason="test"
            )
            return promoted

    promoted = await asyncio.gather(*(cancel(r) for r in seated))
    assert sorted(p.user_pk for p in promoted if p) == sorted(arrivals[SEATS : SEATS + 5])
    after = await rows_of(app)
    assert sum(r.status == "confirmed" for r in after) == SEATS
    assert sum(r.status == "waiting" for r in after) == PEOPLE - SEATS - 5


@pytest.mark.postgres
async def test_fifty_at_once_on_two_instances(tmp_path: Path) -> None:
    async with fresh_postgres() as url:
        first, second = make_app(url, tmp_path / "a"), make_app(url, tmp_path / "b")
        await asyncio.gather(first.prepare(), second.prepare())
        try:
            users = await make_users(first, PEOPLE)
            arrivals: list[int] = []
            await asyncio.gather(
                *(one(first if i % 2 else second, pk, arrivals) for i, pk in enumerate(users))
            )
            check(await rows_of(second), arrivals)
        finally:
            await first.close()
            await second.close()
