"""Users, feedback and logged questions: functions take a session and never commit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import FeedbackRow, QuestionLogRow, UserRow


async def touch_user(
    session: AsyncSession, *, channel: str, user_id: str, chat_id: str, now: dt.datetime
) -> UserRow:
    """The user's row, created on first contact; ``last_seen`` and ``chat_id`` updated.

    One upsert (``INSERT … ON CONFLICT DO UPDATE … RETURNING``), so a person's simultaneous
    first messages, handled concurrently or by different instances, never collide.
    """
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    stmt = (
        insert(UserRow)
        .values(
            channel=channel, user_id=user_id, chat_id=chat_id, first_seen=now, last_seen=now,
            window_count=0,
        )
        .on_conflict_do_update(
            index_elements=["channel", "user_id"], set_={"last_seen": now, "chat_id": chat_id}
        )
        .returning(UserRow)
    )  # fmt: skip
    row = await session.scalar(
        select(UserRow).from_statement(stmt).execution_options(populate_existing=True)
    )
    assert row is not None
    return row


async def record_feedback(
    session: AsyncSession, *, user_pk: int | None, ref: str, helpful: bool, now: dt.datetime
) -> None:
    """Store a 👍 / 👎 under an answer."""
    session.add(FeedbackRow(user_pk=user_pk, ref=ref, helpful=helpful, at=now))


async def log_question(
    session: AsyncSession,
    *,
    user_pk: int | None,
    channel: str,
    text: str,
    kind: str,
    ids: list[str],
    score: float,
    now: dt.datetime,
) -> None:
    """Keep a free-text question and how it was answered (for the unanswered inbox)."""
    session.add(
        QuestionLogRow(
            user_pk=user_pk, channel=channel, at=now, text=text[:1000], kind=kind, ids=ids,
            score=score,
        )
    )  # fmt: skip


def count_message(user: UserRow, now: dt.datetime, limit: int) -> str:
    """Count one message in the user's minute window: ``ok``, ``warn`` (first over) or ``drop``."""
    start = user.window_start
    if start is None or (now - start).total_seconds() >= 60:
        user.window_start = now
        user.window_count = 1
        return "ok"
    user.window_count = (user.window_count or 0) + 1
    if user.window_count <= limit:
        return "ok"
    return "warn" if user.window_count == limit + 1 else "drop"
