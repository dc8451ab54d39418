"""Broadcasts as staff see them (``/guitin``): the recent ones, one by id, cancelling what has
not gone out. Functions take a session and never commit: the caller's transaction decides."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models_notify import BroadcastRow, DeliveryRow


async def recent(session: AsyncSession, limit: int) -> Sequence[BroadcastRow]:
    """The latest broadcasts, newest first."""
    return (
        await session.scalars(select(BroadcastRow).order_by(BroadcastRow.id.desc()).limit(limit))
    ).all()


async def get(session: AsyncSession, broadcast_id: int) -> BroadcastRow | None:
    return await session.get(BroadcastRow, broadcast_id)


async def skip_pending(session: AsyncSession, broadcast_id: int, *, error: str) -> int:
    """Mark the broadcast's pending deliveries skipped (pending includes what a 429 or an error
    put back in the queue); how many."""
    result = await session.execute(
        update(DeliveryRow)
        .where(DeliveryRow.broadcast_id == broadcast_id, DeliveryRow.status == "pending")
        .values(status="skipped", error=error)
    )
    return int(getattr(result, "rowcount", 0) or 0)
