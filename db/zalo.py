"""The Zalo surfaces' shared state: functions take a session and never commit.

The OA token pair (compare-and-swap on the single-use refresh token, a lease while one process
refreshes), each user's last interaction (the OA's 7-day window), the numbered choices last
shown to each user, and the keys of webhook deliveries and updates already handled. The caller
owns the transaction; no network call belongs inside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.dialect import upsert_insert
from db.models_zalo import ZaloChoiceRow, ZaloInteractionRow, ZaloSeenRow, ZaloTokenRow

SEEN_KEY = 160  # characters of a replay key that are kept


# --- numbered choices ------------------------------------------------------------------------


async def save_choices(
    session: AsyncSession, *, channel: str, user_id: str, data: Sequence[str], now: dt.datetime
) -> None:
    """Remember the choices just shown to this user (the last list wins)."""
    row = await session.get(ZaloChoiceRow, (channel, user_id))
    if row is None:
        session.add(
            ZaloChoiceRow(channel=channel, user_id=user_id, choices=list(data), shown_at=now)
        )
    else:
        row.choices = list(data)
        row.shown_at = now


async def lookup_choice(
    session: AsyncSession, *, channel: str, user_id: str, number: int
) -> tuple[str | None, int]:
    """The button data behind ``number`` in the list last shown to this user (None if there is
    none), and how many choices that list has."""
    row = await session.get(ZaloChoiceRow, (channel, user_id))
    choices = row.choices if row is not None and row.choices else []
    if not 1 <= number <= len(choices):
        return None, len(choices)
    value = choices[number - 1]
    return (value if isinstance(value, str) else None), len(choices)


# --- interactions ----------------------------------------------------------------------------


async def touch_interaction(
    session: AsyncSession, *, channel: str, user_id: str, now: dt.datetime
) -> None:
    """Record that the user interacted now (never moves the time backwards)."""
    row = await session.get(ZaloInteractionRow, (channel, user_id))
    if row is None:
        session.add(ZaloInteractionRow(channel=channel, user_id=user_id, last_interaction=now))
    elif row.last_interaction < now:
        row.last_interaction = now


async def last_interaction(
    session: AsyncSession, *, channel: str, user_id: str
) -> dt.datetime | None:
    """When the user last interacted (aware UTC), or None."""
    row = await session.get(ZaloInteractionRow, (channel, user_id))
    return None if row is None else row.last_interaction


async def known_users(session: AsyncSession, channel: str) -> list[str]:
    """Every user id with a recorded interaction on ``channel``."""
    rows = await session.scalars(
        select(ZaloInteractionRow.user_id).where(ZaloInteractionRow.channel == channel)
    )
    return list(rows)


# --- replay keys -----------------------------------------------------------------------------


async def first_time(session: AsyncSession, keys: Sequence[str], now: dt.datetime) -> bool:
    """Record ``keys`` as handled; False if any was handled before (a replay or duplicate).

    Nothing is recorded for a replay; two deliveries racing each other both insert what they
    can and only the one that inserted every key is the first.
    """
    cut = list(dict.fromkeys(key[:SEEN_KEY] for key in keys))
    if not cut:
        return True
    seen = await session.scalar(
        select(func.count()).select_from(ZaloSeenRow).where(ZaloSeenRow.key.in_(cut))
    )
    if seen:
        return False
    stmt = (
        upsert_insert(session, ZaloSeenRow)
        .values([{"key": key, "seen_at": now} for key in cut])
        .on_conflict_do_nothing(index_elements=["key"])
    )
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0) == len(cut))


async def forget_seen(session: AsyncSession, older_than: dt.datetime) -> None:
    """Drop replay keys older than the replay window."""
    await session.execute(delete(ZaloSeenRow).where(ZaloSeenRow.seen_at < older_than))


# --- the OA token pair -----------------------------------------------------------------------


async def token(session: AsyncSession, name: str) -> ZaloTokenRow | None:
    """The stored token pair ``name``, if any."""
    return await session.get(ZaloTokenRow, name)


async def store_first_token(
    session: AsyncSession, name: str, *, access_token: str, refresh_token: str, now: dt.datetime
) -> None:
    """Store the configured pair unless one is stored already (a stored pair always wins)."""
    stmt = (
        upsert_insert(session, ZaloTokenRow)
        .values(
            name=name,
            access_token=access_token,
            refresh_token=refresh_token,
            expires_at=None if access_token else now,
            generation=0,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["name"])
    )
    await session.execute(stmt)


async def claim_refresh(
    session: AsyncSession,
    name: str,
    *,
    refresh_token: str,
    owner: str,
    now: dt.datetime,
    lease: dt.timedelta,
) -> bool:
    """Take the refresh lease by compare-and-swap on the stored refresh token."""
    result = await session.execute(
        update(ZaloTokenRow)
        .where(
            ZaloTokenRow.name == name,
            ZaloTokenRow.refresh_token == refresh_token,
            (ZaloTokenRow.lease_owner.is_(None)) | (ZaloTokenRow.lease_until < now),
        )
        .values(lease_owner=owner, lease_until=now + lease)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


async def release_refresh(session: AsyncSession, name: str, *, owner: str) -> None:
    """Give the refresh lease back (the refresh failed)."""
    await session.execute(
        update(ZaloTokenRow)
        .where(ZaloTokenRow.name == name, ZaloTokenRow.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
    )


async def store_refreshed(
    session: AsyncSession,
    name: str,
    *,
    spent: str,
    owner: str,
    access_token: str,
    refresh_token: str,
    expires_at: dt.datetime,
    now: dt.datetime,
) -> bool:
    """Replace the pair, only over the refresh token spent and only while holding the lease;
    False when the lease was lost (nothing stored)."""
    generation = await session.scalar(
        select(ZaloTokenRow.generation).where(ZaloTokenRow.name == name)
    )
    result = await session.execute(
        update(ZaloTokenRow)
        .where(
            ZaloTokenRow.name == name,
            ZaloTokenRow.refresh_token == spent,
            ZaloTokenRow.lease_owner == owner,
        )
        .values(
            access_token=access_token,
            refresh_token=refresh_token,
            expires_at=expires_at,
            generation=(generation or 0) + 1,
            lease_owner=None,
            lease_until=None,
            updated_at=now,
        )
    )
    return bool(getattr(result, "rowcount", 0) == 1)
