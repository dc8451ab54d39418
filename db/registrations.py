"""Class sign-up: seats, the waiting list and demand, as queries that never commit.

Every change to one class's sign-ups starts with :func:`lock_course`, which updates that
class's ``course_seats`` row: PostgreSQL holds a row lock on it until the transaction ends,
SQLite the database write lock. Sign-ups and cancellations of one class therefore happen one
at a time, in arrival order, on any number of instances, and seats are never over-booked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.dialect import upsert_insert
from db.models_registrations import CourseSeatsRow, DemandRow, RegistrationRow

ACTIVE = ("confirmed", "waiting")


@dataclass(frozen=True)
class Outcome:
    """What a sign-up did: ``status`` confirmed / waiting / already (signed up before)."""

    row: RegistrationRow
    status: str
    position: int  # on the waiting list (1 = next); 0 when confirmed


async def lock_course(session: AsyncSession, course_id: str) -> int:
    """Lock the class's seat row (creating it) and take the next arrival number."""
    await session.execute(
        upsert_insert(session, CourseSeatsRow)
        .values(course_id=course_id, next_seq=1)
        .on_conflict_do_nothing(index_elements=["course_id"])
    )
    taken = await session.scalar(
        update(CourseSeatsRow)
        .where(CourseSeatsRow.course_id == course_id)
        .values(next_seq=CourseSeatsRow.next_seq + 1)
        .returning(CourseSeatsRow.next_seq)
    )
    assert taken is not None
    return int(taken) - 1


async def active_of(session: AsyncSession, course_id: str, user_pk: int) -> RegistrationRow | None:
    """The person's confirmed or waiting sign-up for the class."""
    return await session.scalar(
        select(RegistrationRow).where(
            RegistrationRow.course_id == course_id,
            RegistrationRow.user_pk == user_pk,
            RegistrationRow.status.in_(ACTIVE),
        )
    )


async def confirmed_count(session: AsyncSession, course_id: str) -> int:
    return int(
        await session.scalar(
            select(func.count()).where(
                RegistrationRow.course_id == course_id, RegistrationRow.status == "confirmed"
            )
        )
        or 0
    )


async def position(session: AsyncSession, row: RegistrationRow) -> int:
    """Where a waiting sign-up stands (1 = next to get a seat); 0 when it is not waiting."""
    if row.status != "waiting":
        return 0
    ahead = await session.scalar(
        select(func.count()).where(
            RegistrationRow.course_id == row.course_id,
            RegistrationRow.status == "waiting",
            RegistrationRow.seq < row.seq,
        )
    )
    return int(ahead or 0) + 1


async def register(
    session: AsyncSession,
    *,
    course_id: str,
    capacity: int | None,
    class_end: dt.date,
    user_pk: int,
    name: str,
    phone: str,
    now: dt.datetime,
) -> Outcome:
    """Sign the person up: a seat while there is one, else the waiting list."""
    seq = await lock_course(session, course_id)
    existing = await active_of(session, course_id, user_pk)
    if existing is not None:
        return Outcome(existing, "already", await position(session, existing))
    full = capacity is not None and await confirmed_count(session, course_id) >= capacity
    row = RegistrationRow(
        course_id=course_id,
        user_pk=user_pk,
        name=name,
        phone=phone,
        status="waiting" if full else "confirmed",
        seq=seq,
        class_end=class_end,
        created_at=now,
        changed_at=now,
        reason="",
    )
    session.add(row)
    await session.flush()
    return Outcome(row, row.status, await position(session, row))


async def cancel(
    session: AsyncSession,
    *,
    registration_id: int,
    capacity: int | None,
    now: dt.datetime,
    reason: str,
    user_pk: int | None = None,
) -> tuple[RegistrationRow | None, RegistrationRow | None]:
    """Cancel one sign-up (the person's own when ``user_pk`` is given): (cancelled, promoted).

    A freed seat goes to the first person waiting, who is returned to be told.
    """
    course_id = await session.scalar(
        select(RegistrationRow.course_id).where(RegistrationRow.id == registration_id)
    )
    if course_id is None:
        return None, None
    await lock_course(session, course_id)
    row = await session.get(RegistrationRow, registration_id, populate_existing=True)
    if row is None or row.status not in ACTIVE or (user_pk is not None and row.user_pk != user_pk):
        return None, None
    was = row.status
    row.status, row.reason, row.changed_at = "cancelled", reason, now
    await session.flush()
    promoted = None
    if was == "confirmed":
        promoted = await fill_seats(session, course_id, capacity, now)
    return row, promoted[0] if promoted else None


async def fill_seats(
    session: AsyncSession, course_id: str, capacity: int | None, now: dt.datetime
) -> list[RegistrationRow]:
    """Give free seats to the people waiting, first come first served (class locked)."""
    waiting = list(
        await session.scalars(
            select(RegistrationRow)
            .where(RegistrationRow.course_id == course_id, RegistrationRow.status == "waiting")
            .order_by(RegistrationRow.seq)
        )
    )
    free = (
        len(waiting) if capacity is None else capacity - await confirmed_count(session, course_id)
    )
    promoted = waiting[: max(free, 0)]
    for row in promoted:
        row.status, row.changed_at, row.reason = "confirmed", now, "promoted"
    await session.flush()
    return promoted


async def of_user(session: AsyncSession, user_pk: int) -> list[RegistrationRow]:
    """The person's active sign-ups, oldest first."""
    rows = await session.scalars(
        select(RegistrationRow)
        .where(RegistrationRow.user_pk == user_pk, RegistrationRow.status.in_(ACTIVE))
        .order_by(RegistrationRow.created_at, RegistrationRow.id)
    )
    return list(rows)


async def roster(session: AsyncSession, course_id: str) -> list[RegistrationRow]:
    """A class's confirmed sign-ups, then its waiting list, each in arrival order."""
    rows = await session.scalars(
        select(RegistrationRow)
        .where(RegistrationRow.course_id == course_id, RegistrationRow.status.in_(ACTIVE))
        .order_by(RegistrationRow.status, RegistrationRow.seq)
    )
    return list(rows)  # "confirmed" sorts before "waiting"


async def counts(session: AsyncSession) -> dict[str, tuple[int, int]]:
    """(confirmed, waiting) per class with any active sign-up."""
    rows = await session.execute(
        select(RegistrationRow.course_id, RegistrationRow.status, func.count())
        .where(RegistrationRow.status.in_(ACTIVE))
        .group_by(RegistrationRow.course_id, RegistrationRow.status)
    )
    out: dict[str, tuple[int, int]] = {}
    for course_id, status, n in rows:
        confirmed, waiting = out.get(course_id, (0, 0))
        out[course_id] = (
            (confirmed + n, waiting) if status == "confirmed" else (confirmed, waiting + n)
        )
    return out


async def new_between(
    session: AsyncSession, start: dt.datetime, end: dt.datetime
) -> dict[str, int]:
    """Sign-ups made in [start, end) per class (still active or not)."""
    rows = await session.execute(
        select(RegistrationRow.course_id, func.count())
        .where(RegistrationRow.created_at >= start, RegistrationRow.created_at < end)
        .group_by(RegistrationRow.course_id)
    )
    return {course_id: int(n) for course_id, n in rows}


async def active_for_course(session: AsyncSession, course_id: str) -> list[RegistrationRow]:
    return await roster(session, course_id)


async def purge(session: AsyncSession, *, today: dt.date, days: int) -> int:
    """Delete sign-ups (names, phones) of classes that ended more than ``days`` ago."""
    result = await session.execute(
        delete(RegistrationRow).where(RegistrationRow.class_end < today - dt.timedelta(days=days))
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- demand: "Báo tôi khi có lớp" -------------------------------------------------------------


async def add_demand(
    session: AsyncSession, *, user_pk: int, topic: str, commune: str, now: dt.datetime
) -> bool:
    """Record the wish (once per person, topic and commune); False if it was already there."""
    existing = await session.scalar(
        select(DemandRow.id).where(
            DemandRow.user_pk == user_pk,
            DemandRow.topic == topic,
            DemandRow.commune == commune,
            DemandRow.status == "open",
        )
    )
    if existing is not None:
        return False
    session.add(DemandRow(user_pk=user_pk, topic=topic, commune=commune, created_at=now))
    await session.flush()
    return True


async def open_demand(session: AsyncSession) -> list[DemandRow]:
    rows = await session.scalars(
        select(DemandRow).where(DemandRow.status == "open").order_by(DemandRow.id)
    )
    return list(rows)


async def demand_counts(session: AsyncSession) -> list[tuple[str, str, int]]:
    """(topic, commune, people) of open wishes, most wanted first (no one is named)."""
    rows = await session.execute(
        select(DemandRow.topic, DemandRow.commune, func.count())
        .where(DemandRow.status == "open")
        .group_by(DemandRow.topic, DemandRow.commune)
        .order_by(func.count().desc(), DemandRow.topic, DemandRow.commune)
    )
    return [(topic, commune, int(n)) for topic, commune, n in rows]


async def drop_demand(session: AsyncSession, user_pk: int) -> int:
    """Withdraw the person's open wishes (/huy)."""
    result = await session.execute(
        delete(DemandRow).where(DemandRow.user_pk == user_pk, DemandRow.status == "open")
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def purge_demand(session: AsyncSession, cutoff: dt.datetime) -> int:
    """Delete wishes older than ``cutoff`` (the words asked are a citizen's text)."""
    result = await session.execute(delete(DemandRow).where(DemandRow.created_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
