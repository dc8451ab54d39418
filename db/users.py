"""Users, feedback and logged questions: functions take a session and never commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import Table, case, insert, inspect, literal, null, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from db.dialect import upsert_insert
from db.models import FeedbackRow, QuestionLogRow, StaffRow, UserRow

FLOOD_WINDOW = dt.timedelta(minutes=1)


async def touch_user(
    session: AsyncSession,
    *,
    channel: str,
    user_id: str,
    chat_id: str,
    now: dt.datetime,
    quiet: dt.timedelta | None = None,
) -> tuple[UserRow, str | None]:
    """The user's row, created on first contact; ``last_seen``, ``chat_id`` and the message
    count of the current one-minute window updated; and their staff role (None: a citizen).

    One upsert (``INSERT … ON CONFLICT DO UPDATE … RETURNING``): a person's simultaneous
    messages, handled concurrently or by different instances, never collide, and the window
    count is incremented by the database, so none is lost. The same statement forgets the
    conversation state of someone silent for longer than ``quiet`` (judged on the previous
    ``last_seen``) and returns the staff role from a subquery, so a message costs one statement
    here whatever it needs of the person.
    """
    table = UserRow.__table__.c
    new_window = or_(table.window_start.is_(None), table.window_start <= now - FLOOD_WINDOW)
    updates: dict[str, Any] = {
        "last_seen": now,
        "chat_id": chat_id,
        "window_start": case(
            (new_window, literal(now, table.window_start.type)), else_=table.window_start
        ),
        "window_count": case((new_window, 1), else_=table.window_count + 1),
    }
    if quiet is not None:
        updates["conversation"] = case(
            (table.last_seen <= now - quiet, null()), else_=table.conversation
        )
    role = (
        select(StaffRow.role)
        .where(StaffRow.channel == channel, StaffRow.user_id == user_id)
        .scalar_subquery()
        .label("staff_role")
    )
    stmt = (
        upsert_insert(session, UserRow)
        .values(
            channel=channel,
            user_id=user_id,
            chat_id=chat_id,
            first_seen=now,
            last_seen=now,
            window_start=now,
            window_count=1,
        )
        .on_conflict_do_update(index_elements=["channel", "user_id"], set_=updates)
        .returning(UserRow, role)
    )
    result = await session.execute(
        select(UserRow, role).from_statement(stmt).execution_options(populate_existing=True)
    )
    row, staff_role = result.one()
    return row, staff_role


def flood_state(user: UserRow, limit: int) -> str:
    """``ok`` within the limit, ``warn`` for the first message over it, then ``drop``."""
    count = user.window_count or 0
    if count <= limit:
        return "ok"
    return "warn" if count == limit + 1 else "drop"


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
    user: UserRow | None = None,
) -> None:
    """Keep a free-text question and how it was answered (for the unanswered inbox).

    With ``user`` whose conversation state was just changed, the change travels with the log
    row: on PostgreSQL in the same statement (``WITH … UPDATE users … INSERT INTO
    question_log``), elsewhere in the same flush, so keeping the state costs no round trip.
    """
    values = {
        "user_pk": user_pk,
        "channel": channel,
        "at": now,
        "text": text[:1000],
        "kind": kind,
        "ids": ids,
        "score": score,
    }
    changed = user is not None and inspect(user).attrs.conversation.history.has_changes()
    if user is None or not changed or session.get_bind().dialect.name != "postgresql":
        session.add(QuestionLogRow(**values))
        return
    state = user.conversation
    set_committed_value(user, "conversation", state)  # written below, not by the next flush
    users, log = cast(Table, UserRow.__table__), cast(Table, QuestionLogRow.__table__)
    kept = update(users).where(users.c.id == user.id).values(conversation=state).cte("kept")
    # Column defaults are not applied to an INSERT carrying a CTE: give every value.
    await session.execute(insert(log).values(**values, disliked=False).add_cte(kept))


async def recipients(session: AsyncSession, user_pks: Iterable[int]) -> list[tuple[int, str, str]]:
    """(user_pk, channel, chat_id) of each of these users: the recipients of a broadcast."""
    rows = await session.execute(
        select(UserRow.id, UserRow.channel, UserRow.chat_id).where(UserRow.id.in_(set(user_pks)))
    )
    return [(pk, channel, chat) for pk, channel, chat in rows]


async def by_pk(session: AsyncSession, user_pk: int) -> UserRow | None:
    """The user row of ``user_pk`` (None once erased)."""
    return await session.get(UserRow, user_pk)


async def find_user(session: AsyncSession, *, channel: str, user_id: str) -> UserRow | None:
    """The person's row if they are known; nothing is created or touched."""
    return await session.scalar(
        select(UserRow).where(UserRow.channel == channel, UserRow.user_id == user_id)
    )
