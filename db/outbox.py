"""The outbox's queries: broadcasts and their deliveries. Functions take a session and never
commit; the notifier (``bot.notify.outbox``) owns the transactions and the sending."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.dialect import upsert_insert
from db.models_notify import BroadcastRow, DeliveryRow

Recipient = tuple[int, str, str]  # (user_pk, channel, chat_id)
ButtonRows = list[list[list[str]]]  # [[[label, data], ...], ...]
OPEN = ("pending", "sending", "held")  # deliveries of a broadcast still to be sent


async def create_broadcast(
    session: AsyncSession,
    *,
    source: str,
    kind: str,
    text: str,
    recipients: Sequence[Recipient],
    due_at: dt.datetime,
    now: dt.datetime,
    title: str = "",
    buttons: ButtonRows | None = None,
    status: str = "running",
    reason: str | None = None,
) -> int | None:
    """Insert a broadcast and one delivery per recipient; None if ``source`` already exists."""
    values = {
        "source": source,
        "kind": kind,
        "title": title,
        "text": text,
        "buttons": buttons or [],
        "due_at": due_at,
        "created_at": now,
        "status": status if recipients or status != "running" else "done",
        "reason": reason,
        "total": len(recipients) if status == "running" else 0,
        "finished_at": None if status == "running" and recipients else now,
    }
    stmt = (
        upsert_insert(session, BroadcastRow)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["source"])
        .returning(BroadcastRow.id)
    )
    broadcast_id = await session.scalar(stmt)
    if broadcast_id is None:
        return None
    if status == "running" and recipients:
        seen: set[int] = set()
        rows = []
        for user_pk, channel, chat_id in recipients:
            if user_pk in seen:
                continue
            seen.add(user_pk)
            rows.append(
                {
                    "broadcast_id": broadcast_id,
                    "user_pk": user_pk,
                    "channel": channel,
                    "chat_id": chat_id,
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": due_at,
                }
            )
        for i in range(0, len(rows), 1000):
            await session.execute(insert(DeliveryRow), rows[i : i + 1000])
    return int(broadcast_id)


async def broadcast_exists(session: AsyncSession, source: str) -> bool:
    """Whether a broadcast with this source was already made."""
    found = await session.scalar(select(BroadcastRow.id).where(BroadcastRow.source == source))
    return found is not None


async def existing_sources(session: AsyncSession, prefix: str) -> set[str]:
    """Every broadcast source starting with ``prefix``."""
    rows = await session.scalars(
        select(BroadcastRow.source).where(BroadcastRow.source.startswith(prefix))
    )
    return set(rows)


async def recent_broadcasts(session: AsyncSession, limit: int) -> Sequence[BroadcastRow]:
    """The newest ``limit`` broadcasts, newest first."""
    return (
        await session.scalars(select(BroadcastRow).order_by(BroadcastRow.id.desc()).limit(limit))
    ).all()


async def claim(
    session: AsyncSession,
    *,
    channels: Iterable[str],
    now: dt.datetime,
    lease_until: dt.datetime,
    token: str,
    limit: int,
    kind: str | None = None,
) -> list[tuple[DeliveryRow, BroadcastRow]]:
    """Mark up to ``limit`` due deliveries on ``channels`` ``sending`` until ``lease_until``
    under ``token``; return them with their broadcast, in id order.

    Due: pending or held and ``next_attempt_at`` passed, or sending with an expired lease; of a
    running broadcast (of ``kind`` when given). ``FOR UPDATE SKIP LOCKED`` on PostgreSQL.
    """
    running = select(BroadcastRow.id).where(BroadcastRow.status == "running")
    if kind is not None:
        running = running.where(BroadcastRow.kind == kind)
    due = (
        select(DeliveryRow.id)
        .where(
            DeliveryRow.broadcast_id.in_(running),  # a cancelled one sends nothing more
            DeliveryRow.channel.in_(list(channels)),
            or_(
                DeliveryRow.status.in_(("pending", "held")) & (DeliveryRow.next_attempt_at <= now),
                (DeliveryRow.status == "sending") & (DeliveryRow.claimed_until < now),
            ),
        )
        .order_by(DeliveryRow.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(await session.scalars(due))
    if not ids:
        return []
    await session.execute(
        update(DeliveryRow)
        .where(
            DeliveryRow.id.in_(ids),
            or_(
                DeliveryRow.status.in_(("pending", "held")),
                (DeliveryRow.status == "sending") & (DeliveryRow.claimed_until < now),
            ),
        )
        .values(status="sending", claimed_until=lease_until, claim_token=token)
        .execution_options(synchronize_session=False)
    )
    rows = await session.execute(
        select(DeliveryRow, BroadcastRow)
        .join(BroadcastRow, BroadcastRow.id == DeliveryRow.broadcast_id)
        .where(DeliveryRow.claim_token == token, DeliveryRow.id.in_(ids))
        .order_by(DeliveryRow.id)
    )
    return [(delivery, broadcast) for delivery, broadcast in rows]


async def mark_sent(session: AsyncSession, delivery_ids: Sequence[int], now: dt.datetime) -> None:
    """These deliveries were sent at ``now`` (one statement for the batch)."""
    await session.execute(
        update(DeliveryRow)
        .where(DeliveryRow.id.in_(delivery_ids))
        .values(status="sent", sent_at=now, error=None, claimed_until=None, claim_token=None)
        .execution_options(synchronize_session=False)
    )


async def update_delivery(session: AsyncSession, delivery_id: int, values: dict[str, Any]) -> None:
    """Record the outcome of one delivery (``values``: the columns to set)."""
    await session.execute(
        update(DeliveryRow).where(DeliveryRow.id == delivery_id).values(**values)
    )


async def skip_pending_of_user(session: AsyncSession, user_pk: int, error: str) -> None:
    """Every pending delivery to this user is skipped (the platform refused them)."""
    await session.execute(
        update(DeliveryRow)
        .where(DeliveryRow.user_pk == user_pk, DeliveryRow.status == "pending")
        .values(status="skipped", error=error)
    )


async def skip_cancelled(session: AsyncSession, delivery_ids: Sequence[int], error: str) -> None:
    """Of these deliveries, the pending ones of a cancelled broadcast are skipped."""
    cancelled = select(BroadcastRow.id).where(BroadcastRow.status == "cancelled")
    await session.execute(
        update(DeliveryRow)
        .where(
            DeliveryRow.id.in_(list(delivery_ids)),
            DeliveryRow.status == "pending",
            DeliveryRow.broadcast_id.in_(cancelled),
        )
        .values(status="skipped", error=error)
        .execution_options(synchronize_session=False)
    )


async def skip_pending_of_sources(session: AsyncSession, prefix: str, error: str) -> None:
    """Pending deliveries of the broadcasts whose source starts with ``prefix`` are skipped."""
    await session.execute(
        update(DeliveryRow)
        .where(
            DeliveryRow.status == "pending",
            DeliveryRow.broadcast_id.in_(
                select(BroadcastRow.id).where(BroadcastRow.source.startswith(prefix))
            ),
        )
        .values(status="skipped", error=error)
        .execution_options(synchronize_session=False)
    )


async def release(session: AsyncSession, tokens: Iterable[str]) -> int:
    """Deliveries still ``sending`` under these claim tokens are pending again; how many."""
    result = await session.execute(
        update(DeliveryRow)
        .where(DeliveryRow.claim_token.in_(list(tokens)), DeliveryRow.status == "sending")
        .values(status="pending", claimed_until=None, claim_token=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def finish_broadcasts(session: AsyncSession, now: dt.datetime) -> None:
    """Running broadcasts with nothing left to send are done."""
    open_ids = select(DeliveryRow.broadcast_id).where(DeliveryRow.status.in_(OPEN)).distinct()
    await session.execute(
        update(BroadcastRow)
        .where(BroadcastRow.status == "running", BroadcastRow.id.not_in(open_ids))
        .values(status="done", finished_at=now)
    )


async def counts(session: AsyncSession, broadcast_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Delivery counts per status of each broadcast."""
    out: dict[int, dict[str, int]] = {b: {} for b in broadcast_ids}
    if not broadcast_ids:
        return out
    rows = await session.execute(
        select(DeliveryRow.broadcast_id, DeliveryRow.status, func.count())
        .where(DeliveryRow.broadcast_id.in_(list(broadcast_ids)))
        .group_by(DeliveryRow.broadcast_id, DeliveryRow.status)
    )
    for broadcast_id, status, n in rows:
        out[broadcast_id][status] = int(n)
    return out


async def delivery_totals(session: AsyncSession) -> dict[str, int]:
    """How many deliveries there are in each status."""
    rows = await session.execute(
        select(DeliveryRow.status, func.count()).group_by(DeliveryRow.status)
    )
    return {status: int(n) for status, n in rows}
