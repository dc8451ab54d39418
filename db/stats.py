"""The queries behind the staff statistics (``bot.stats``): counts and question texts only.

Functions take a session and never commit.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import QuestionLogRow
from db.models_notify import SubscriptionRow

LoggedQuestion = tuple[int, dt.datetime, str, str]  # (id, at, kind, text)


async def questions_between(
    session: AsyncSession, start: dt.datetime, end: dt.datetime
) -> list[LoggedQuestion]:
    """(id, at, kind, text) of the questions logged from ``start`` to before ``end``, in order."""
    rows = await session.execute(
        select(QuestionLogRow.id, QuestionLogRow.at, QuestionLogRow.kind, QuestionLogRow.text)
        .where(QuestionLogRow.at >= start, QuestionLogRow.at < end)
        .order_by(QuestionLogRow.id)
    )
    return [(n, at, kind, text) for n, at, kind, text in rows]


async def subscription_counts(session: AsyncSession) -> list[tuple[str, str, int]]:
    """(kind, value, subscribers) of every subscription, the most subscribed first."""
    rows = await session.execute(
        select(SubscriptionRow.kind, SubscriptionRow.value, func.count())
        .group_by(SubscriptionRow.kind, SubscriptionRow.value)
        .order_by(func.count().desc())
    )
    return [(kind, value, int(n)) for kind, value, n in rows]
