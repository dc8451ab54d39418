"""Subscriptions, consent and unreachable users: functions take a session and never commit.

(``bot.notify.subscriptions`` re-exports them for the callers above ``db/``.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import UserRow
from db.models_notify import ConsentRow, ReminderRow, SubscriptionRow, UnreachableRow

KINDS = ("all", "topic", "commune")
PURPOSES = {
    "all": "nhận mọi thông báo",
    "topic": "nhận thông báo lớp học theo chủ đề",
    "commune": "nhận thông báo theo xã/phường",
    "reminder": "nhắc lịch lớp học / xe thư viện",
}


def purpose_of(kind: str, value: str) -> str:
    """The consent purpose shown and stored for one subscription."""
    base = PURPOSES[kind]
    return f"{base}: {value}" if value else base


async def subscriptions_of(session: AsyncSession, user_pk: int) -> set[tuple[str, str]]:
    """The user's (kind, value) subscriptions."""
    rows = await session.execute(
        select(SubscriptionRow.kind, SubscriptionRow.value).where(
            SubscriptionRow.user_pk == user_pk
        )
    )
    return {(k, v) for k, v in rows}


async def log_consent(
    session: AsyncSession,
    *,
    user_pk: int,
    action: str,
    purpose: str,
    now: dt.datetime,
    detail: str = "",
    via: str = "",
) -> None:
    """Keep one grant or withdrawal as evidence."""
    session.add(
        ConsentRow(user_pk=user_pk, at=now, action=action, purpose=purpose, detail=detail, via=via)
    )


async def clear_unreachable(session: AsyncSession, user_pk: int) -> None:
    """A user who presses a button again is reachable again."""
    await session.execute(delete(UnreachableRow).where(UnreachableRow.user_pk == user_pk))


async def toggle(
    session: AsyncSession, *, user_pk: int, kind: str, value: str, now: dt.datetime, via: str
) -> bool:
    """Subscribe if not subscribed, else unsubscribe; returns whether now subscribed."""
    if kind not in KINDS:
        raise ValueError(f"unknown subscription kind {kind!r}")
    row = await session.scalar(
        select(SubscriptionRow).where(
            SubscriptionRow.user_pk == user_pk,
            SubscriptionRow.kind == kind,
            SubscriptionRow.value == value,
        )
    )
    purpose = purpose_of(kind, value)
    if row is not None:
        await session.delete(row)
        await log_consent(
            session, user_pk=user_pk, action="withdraw", purpose=purpose, now=now, via=via
        )
        return False
    session.add(
        SubscriptionRow(user_pk=user_pk, kind=kind, value=value, consented_at=now, purpose=purpose)
    )
    await log_consent(session, user_pk=user_pk, action="grant", purpose=purpose, now=now, via=via)
    await clear_unreachable(session, user_pk)
    await session.flush()
    return True


async def stop_everything(
    session: AsyncSession, *, user_pk: int, now: dt.datetime, via: str, reason: str
) -> tuple[int, int]:
    """Remove every subscription and cancel every active reminder; (subscriptions, reminders)."""
    subs = list(
        await session.scalars(select(SubscriptionRow).where(SubscriptionRow.user_pk == user_pk))
    )
    for row in subs:
        await log_consent(
            session, user_pk=user_pk, action="withdraw", purpose=row.purpose, now=now, via=via
        )
        await session.delete(row)
    result = await session.execute(
        update(ReminderRow)
        .where(ReminderRow.user_pk == user_pk, ReminderRow.status == "active")
        .values(status="cancelled", reason=reason)
    )
    cancelled = int(getattr(result, "rowcount", 0) or 0)
    if cancelled:
        await log_consent(
            session,
            user_pk=user_pk,
            action="withdraw",
            purpose=PURPOSES["reminder"],
            now=now,
            via=via,
            detail=f"{cancelled} reminders",
        )
    await session.flush()
    return len(subs), cancelled


async def mark_unreachable(
    session: AsyncSession, *, user_pk: int, now: dt.datetime, reason: str
) -> None:
    """The platform refused this user (403): unsubscribe them and stop their reminders."""
    if await session.get(UnreachableRow, user_pk) is None:
        session.add(UnreachableRow(user_pk=user_pk, at=now, reason=reason))
    await stop_everything(session, user_pk=user_pk, now=now, via="platform", reason=reason)


def audience_filter(topics: Iterable[str], communes: Iterable[str]) -> list[tuple[str, str]]:
    """The (kind, value) subscriptions an announcement with these topics/communes reaches."""
    keys = [("all", "")]
    keys += [("topic", t) for t in topics]
    keys += [("commune", c) for c in communes]
    return keys


async def subscribers(
    session: AsyncSession, keys: list[tuple[str, str]]
) -> list[tuple[int, str, str]]:
    """(user_pk, channel, chat_id) of the reachable users subscribed to any of ``keys``."""
    if not keys:
        return []
    cond = or_(*(and_(SubscriptionRow.kind == k, SubscriptionRow.value == v) for k, v in keys))
    unreachable = select(UnreachableRow.user_pk)
    rows = await session.execute(
        select(UserRow.id, UserRow.channel, UserRow.chat_id)
        .join(SubscriptionRow, SubscriptionRow.user_pk == UserRow.id)
        .where(cond, UserRow.id.not_in(unreachable))
        .distinct()
        .order_by(UserRow.id)
    )
    return [(pk, ch, chat) for pk, ch, chat in rows]
