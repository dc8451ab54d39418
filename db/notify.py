"""The notifier's other queries: its persistent facts, reminders, and who gets the staff digest.

Functions take a session and never commit (the notifier owns the transactions).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.dialect import upsert_insert
from db.models import StaffRow, UserRow
from db.models_notify import NotifyStateRow, ReminderRow, UnreachableRow
from db.models_registrations import RegistrationRow
from db.outbox import Recipient
from db.registrations import ACTIVE

# --- notify_state ----------------------------------------------------------------------------


async def get_state(session: AsyncSession, key: str) -> str | None:
    """One persistent fact of the notifier (None when never set)."""
    row = await session.get(NotifyStateRow, key)
    return row.value if row else None


async def set_state(session: AsyncSession, key: str, value: str, now: dt.datetime) -> None:
    """Upsert one fact (two instances may race to write it first)."""
    stmt = upsert_insert(session, NotifyStateRow).values(key=key, value=value, updated_at=now)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["key"], set_={"value": value, "updated_at": now}
        )
    )


# --- reminders -------------------------------------------------------------------------------


async def due_reminders(
    session: AsyncSession, first: dt.date, last: dt.date
) -> list[tuple[ReminderRow, str, str]]:
    """(reminder, channel, chat_id) of the active reminders of reachable users whose date is
    from ``first`` to ``last``."""
    rows = await session.execute(
        select(ReminderRow, UserRow.channel, UserRow.chat_id)
        .join(UserRow, UserRow.id == ReminderRow.user_pk)
        .where(
            ReminderRow.status == "active",
            ReminderRow.target_date >= first,
            ReminderRow.target_date <= last,
            ReminderRow.user_pk.not_in(select(UnreachableRow.user_pk)),
        )
    )
    return [(reminder, channel, chat_id) for reminder, channel, chat_id in rows]


async def close_past_reminders(session: AsyncSession, today: dt.date) -> None:
    """Active reminders whose date is before ``today`` are done."""
    await session.execute(
        update(ReminderRow)
        .where(ReminderRow.status == "active", ReminderRow.target_date < today)
        .values(status="done")
    )


async def active_reminders(session: AsyncSession) -> list[ReminderRow]:
    """Every active reminder, by item, date and id."""
    return list(
        await session.scalars(
            select(ReminderRow)
            .where(ReminderRow.status == "active")
            .order_by(ReminderRow.ref, ReminderRow.target_date, ReminderRow.id)
        )
    )


async def reminded_users(session: AsyncSession, ref: str) -> set[int]:
    """The users with an active reminder for this item."""
    return set(
        await session.scalars(
            select(ReminderRow.user_pk).where(
                ReminderRow.ref == ref, ReminderRow.status == "active"
            )
        )
    )


async def active_reminder(
    session: AsyncSession, user_pk: int, ref: str, target: dt.date
) -> ReminderRow | None:
    """The user's active reminder for this item on this date, if any."""
    return await session.scalar(
        select(ReminderRow).where(
            ReminderRow.user_pk == user_pk,
            ReminderRow.ref == ref,
            ReminderRow.target_date == target,
            ReminderRow.status == "active",
        )
    )


async def get_reminder(session: AsyncSession, reminder_id: int) -> ReminderRow | None:
    """One reminder by id."""
    return await session.get(ReminderRow, reminder_id)


async def unreachable_users(session: AsyncSession) -> set[int]:
    """Users the platform refused."""
    return set(await session.scalars(select(UnreachableRow.user_pk)))


# --- who the notices go to -------------------------------------------------------------------


async def staff_recipients(session: AsyncSession, initial_admins: list[str]) -> list[Recipient]:
    """(user_pk, channel, chat_id) of staff who have a chat with the bot."""
    keys = [tuple(k.split(":", 1)) for k in initial_admins if ":" in k]
    staff_keys = (await session.execute(select(StaffRow.channel, StaffRow.user_id))).all()
    keys += [(c, u) for c, u in staff_keys]
    if not keys:
        return []
    rows = await session.execute(
        select(UserRow.id, UserRow.channel, UserRow.chat_id).where(
            or_(*[tuple_(UserRow.channel, UserRow.user_id) == key for key in keys])
        )
    )
    return [(pk, channel, chat) for pk, channel, chat in rows]


async def active_registrations(session: AsyncSession) -> Sequence[RegistrationRow]:
    """Every confirmed or waiting sign-up, by class and order of arrival (for change notices)."""
    return (
        await session.scalars(
            select(RegistrationRow)
            .where(RegistrationRow.status.in_(ACTIVE))
            .order_by(RegistrationRow.course_id, RegistrationRow.seq)
        )
    ).all()
