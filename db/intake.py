"""Queries of the intake (:mod:`db.models_intake`): store, claim with a lease, finish, purge.

Functions take the session and never commit; :mod:`bot.intake` owns the transactions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.dialect import upsert_insert
from db.models_intake import IntakeRow


@dataclass(frozen=True)
class Stored:
    """One update to store: its channel, dedupe key, ordering key (the chat) and body."""

    channel: str
    key: str
    chat: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Claimed:
    """A claimed update, to be handled and then finished with its token."""

    id: int
    channel: str
    chat: str
    payload: dict[str, Any]
    attempts: int


async def store(session: AsyncSession, items: Sequence[Stored], now: dt.datetime) -> int:
    """Insert the updates not seen before (``channel`` + ``key`` unique); how many were new."""
    if not items:
        return 0
    new = 0
    for item in items:  # one statement each: the count of new rows must be exact
        statement = (
            upsert_insert(session, IntakeRow)
            .values(
                channel=item.channel,
                update_key=item.key[:200],
                chat_key=item.chat[:64],
                payload=item.payload,
                status="pending",
                attempts=0,
                available_at=now,
                received_at=now,
            )
            .on_conflict_do_nothing(index_elements=["channel", "update_key"])
        )
        result = await session.execute(statement)
        new += int(getattr(result, "rowcount", 0) or 0)
    return new


async def claim(
    session: AsyncSession,
    channels: Sequence[str],
    limit: int,
    *,
    now: dt.datetime,
    lease: dt.timedelta,
    token: str,
) -> list[Claimed]:
    """Lease up to ``limit`` due updates (pending, or processing with an expired lease)."""
    due = or_(
        (IntakeRow.status == "pending") & (IntakeRow.available_at <= now),
        (IntakeRow.status == "processing") & (IntakeRow.lease_until < now),
    )
    ids = list(
        await session.scalars(
            select(IntakeRow.id)
            .where(IntakeRow.channel.in_(list(channels)), due)
            .order_by(IntakeRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        return []
    await session.execute(
        update(IntakeRow)
        .where(IntakeRow.id.in_(ids), due)
        .values(
            status="processing",
            lease_until=now + lease,
            claim_token=token,
            attempts=IntakeRow.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    rows = await session.scalars(
        select(IntakeRow)
        .where(IntakeRow.id.in_(ids), IntakeRow.claim_token == token)
        .order_by(IntakeRow.id)
    )
    return [
        Claimed(r.id, r.channel, r.chat_key, r.payload or {}, r.attempts)
        for r in rows
        if r.status == "processing"
    ]


async def finish(
    session: AsyncSession, row_id: int, token: str, *, status: str, now: dt.datetime
) -> None:
    """Mark a claimed update ``done`` (or ``failed``) and blank its body: only the key stays."""
    await session.execute(
        update(IntakeRow)
        .where(IntakeRow.id == row_id, IntakeRow.claim_token == token)
        .values(status=status, payload=None, done_at=now, lease_until=None, claim_token=None)
        .execution_options(synchronize_session=False)
    )


async def release(
    session: AsyncSession, row_ids: Sequence[int], token: str, *, available_at: dt.datetime
) -> None:
    """Give claimed updates back (a failed attempt, or a stop): due again at ``available_at``."""
    if not row_ids:
        return
    await session.execute(
        update(IntakeRow)
        .where(IntakeRow.id.in_(list(row_ids)), IntakeRow.claim_token == token)
        .values(status="pending", available_at=available_at, lease_until=None, claim_token=None)
        .execution_options(synchronize_session=False)
    )


async def purge(session: AsyncSession, older_than: dt.datetime) -> int:
    """Forget finished updates received before ``older_than`` (their keys served dedup)."""
    result = await session.execute(
        delete(IntakeRow).where(
            IntakeRow.status.in_(("done", "failed")), IntakeRow.received_at < older_than
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def counts(session: AsyncSession) -> dict[str, int]:
    """Rows per status (tests and metrics)."""
    from sqlalchemy import func

    rows = await session.execute(select(IntakeRow.status, func.count()).group_by(IntakeRow.status))
    return {status: int(n) for status, n in rows.all()}
