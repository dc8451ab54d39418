"""A person's reminders, as the conversation reads and cancels them. Functions take a session
and never commit: the caller's transaction decides."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models_notify import ReminderRow


async def active_of(session: AsyncSession, user_pk: int) -> list[ReminderRow]:
    """The person's active reminders, soonest first."""
    return list(
        await session.scalars(
            select(ReminderRow)
            .where(ReminderRow.user_pk == user_pk, ReminderRow.status == "active")
            .order_by(ReminderRow.target_date, ReminderRow.id)
        )
    )


async def cancel_for(session: AsyncSession, user_pk: int, ref: str, *, reason: str) -> None:
    """Cancel the person's active reminders of ``ref``."""
    await session.execute(
        update(ReminderRow)
        .where(
            ReminderRow.user_pk == user_pk,
            ReminderRow.ref == ref,
            ReminderRow.status == "active",
        )
        .values(status="cancelled", reason=reason)
    )
