"""Questions citizens send to staff ("ask a person"): every query of the feature.

Functions take a session and never commit. Claiming, answering and closing are single
conditional UPDATEs, so two staff racing for one question (on any number of instances) get
exactly one winner: the row lock makes the second wait and then find the condition false.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import DialogRow, QuestionLogRow, UserRow
from db.models_notify import BroadcastRow, DeliveryRow
from db.models_questions import StaffQuestionRow

MAX_CHARS = 1000  # a question, an added line, an answer or a reason
MAX_ADDITIONS = 5
SOURCE = "ask:"  # broadcast sources of the feature: ask:<id>:<what>


def source(question_id: int, what: str) -> str:
    """The outbox source of one message about a question (``ask:12:answer``)."""
    return f"{SOURCE}{question_id}:{what}"


async def create(
    session: AsyncSession,
    user: UserRow,
    text: str,
    *,
    who: str,
    tried: dict[str, object],
    now: dt.datetime,
) -> StaffQuestionRow:
    """A new open question of ``user``."""
    row = StaffQuestionRow(
        user_pk=user.id,
        channel=user.channel,
        who=who[:200],
        text=text[:MAX_CHARS],
        additions=[],
        tried=tried,
        status="open",
        asked_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def get(session: AsyncSession, question_id: int) -> StaffQuestionRow | None:
    return await session.get(StaffQuestionRow, question_id, populate_existing=True)


async def of_user(
    session: AsyncSession, user_pk: int, question_id: int
) -> StaffQuestionRow | None:
    """The question only if it is ``user_pk``'s own."""
    return await session.scalar(
        select(StaffQuestionRow).where(
            StaffQuestionRow.id == question_id, StaffQuestionRow.user_pk == user_pk
        )
    )


async def mine(session: AsyncSession, user_pk: int, limit: int = 10) -> Sequence[StaffQuestionRow]:
    """The person's questions, newest first."""
    rows = await session.scalars(
        select(StaffQuestionRow)
        .where(StaffQuestionRow.user_pk == user_pk)
        .order_by(StaffQuestionRow.id.desc())
        .limit(limit)
    )
    return rows.all()


async def open_count(session: AsyncSession, user_pk: int) -> int:
    count = await session.scalar(
        select(func.count()).where(
            StaffQuestionRow.user_pk == user_pk, StaffQuestionRow.status == "open"
        )
    )
    return int(count or 0)


async def open_questions(session: AsyncSession, limit: int = 10) -> Sequence[StaffQuestionRow]:
    """Open questions, oldest first."""
    rows = await session.scalars(
        select(StaffQuestionRow)
        .where(StaffQuestionRow.status == "open")
        .order_by(StaffQuestionRow.asked_at, StaffQuestionRow.id)
        .limit(limit)
    )
    return rows.all()


async def last_unanswered(session: AsyncSession, user_pk: int) -> QuestionLogRow | None:
    """The person's latest question the bot could not answer (fallback or clarify)."""
    return await session.scalar(
        select(QuestionLogRow)
        .where(
            QuestionLogRow.user_pk == user_pk,
            QuestionLogRow.kind.in_(("fallback", "clarify")),
        )
        .order_by(QuestionLogRow.id.desc())
        .limit(1)
    )


async def take_dialog(session: AsyncSession, channel: str, user_id: str, kind: str) -> bool:
    """Delete a person's dialog; True for the one caller that did (two taps of "send" at the
    same moment: the row lock lets exactly one of them find it)."""
    result = await session.execute(
        delete(DialogRow).where(
            DialogRow.channel == channel, DialogRow.user_id == user_id, DialogRow.kind == kind
        )
    )
    return int(getattr(result, "rowcount", 0) or 0) > 0


async def resolve_logged(session: AsyncSession, row: StaffQuestionRow) -> int:
    """The person's logged questions with this text leave the unanswered inbox: staff
    answered them in person. How many."""
    result = await session.execute(
        update(QuestionLogRow)
        .where(
            QuestionLogRow.user_pk == row.user_pk,
            QuestionLogRow.text == row.text,
            QuestionLogRow.status.is_(None),
        )
        .values(status="resolved")
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _free_or_mine(actor: str, now: dt.datetime) -> object:
    return or_(
        StaffQuestionRow.claimed_by.is_(None),
        StaffQuestionRow.claimed_by == actor,
        StaffQuestionRow.claimed_until < now,
    )


async def claim(
    session: AsyncSession, question_id: int, actor: str, *, until: dt.datetime, now: dt.datetime
) -> bool:
    """Claim an open question for ``actor`` until ``until``; False if someone else holds it."""
    result = await session.execute(
        update(StaffQuestionRow)
        .where(
            StaffQuestionRow.id == question_id,
            StaffQuestionRow.status == "open",
            _free_or_mine(actor, now),  # type: ignore[arg-type]
        )
        .values(claimed_by=actor, claimed_until=until)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


async def release(session: AsyncSession, question_id: int, actor: str) -> None:
    """Let go of a claim (the staff member cancelled)."""
    await session.execute(
        update(StaffQuestionRow)
        .where(StaffQuestionRow.id == question_id, StaffQuestionRow.claimed_by == actor)
        .values(claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )


async def finish(
    session: AsyncSession,
    question_id: int,
    actor: str,
    *,
    status: str,
    now: dt.datetime,
    answer: str | None = None,
    reason: str | None = None,
) -> bool:
    """Answer or close an open question that is free or claimed by ``actor``; True if this
    call did it (exactly one of two racing staff gets True)."""
    result = await session.execute(
        update(StaffQuestionRow)
        .where(
            StaffQuestionRow.id == question_id,
            StaffQuestionRow.status == "open",
            _free_or_mine(actor, now),  # type: ignore[arg-type]
        )
        .values(
            status=status,
            answer=answer,
            close_reason=reason,
            answered_by=actor,
            finished_at=now,
            claimed_by=None,
            claimed_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


async def withdraw(
    session: AsyncSession, user_pk: int, question_id: int, *, now: dt.datetime
) -> bool:
    """The author withdraws their open question; True if it was open and theirs."""
    result = await session.execute(
        update(StaffQuestionRow)
        .where(
            StaffQuestionRow.id == question_id,
            StaffQuestionRow.user_pk == user_pk,
            StaffQuestionRow.status == "open",
        )
        .values(status="withdrawn", finished_at=now, claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


async def held(
    session: AsyncSession, broadcast_id: int, now: dt.datetime
) -> StaffQuestionRow | None:
    """Mark the question of an answer broadcast as held (first time only: else None)."""
    broadcast = await session.get(BroadcastRow, broadcast_id)
    if broadcast is None or not broadcast.source.startswith(SOURCE):
        return None
    number = broadcast.source.split(":")[1]
    if not number.isdecimal():
        return None
    row = await session.get(StaffQuestionRow, int(number))
    if row is None or row.held_at is not None:
        return None
    row.held_at = now
    return row


async def recipient_of(session: AsyncSession, key: str) -> tuple[int, str, str] | None:
    """(user_pk, channel, chat_id) of a staff member named ``channel:user_id``."""
    channel, _, user_id = key.partition(":")
    row = (
        await session.execute(
            select(UserRow.id, UserRow.channel, UserRow.chat_id).where(
                UserRow.channel == channel, UserRow.user_id == user_id
            )
        )
    ).first()
    return None if row is None else (int(row[0]), str(row[1]), str(row[2]))


async def _drop_broadcasts(session: AsyncSession, question_ids: list[int]) -> int:
    """Delete the outbox messages about these questions (they quote them)."""
    dropped = 0
    for start in range(0, len(question_ids), 200):
        chunk = question_ids[start : start + 200]
        ids = list(
            await session.scalars(
                select(BroadcastRow.id).where(
                    or_(*[BroadcastRow.source.startswith(source(q, "")) for q in chunk])
                )
            )
        )
        if ids:
            await session.execute(delete(DeliveryRow).where(DeliveryRow.broadcast_id.in_(ids)))
            result = await session.execute(delete(BroadcastRow).where(BroadcastRow.id.in_(ids)))
            dropped += int(getattr(result, "rowcount", 0) or 0)
    return dropped


async def erase_person(session: AsyncSession, user_pk: int) -> dict[str, int]:
    """The person's questions, answers and every message quoting them; rows per table."""
    ids = list(
        await session.scalars(
            select(StaffQuestionRow.id).where(StaffQuestionRow.user_pk == user_pk)
        )
    )
    if not ids:
        return {}
    counts = {"ask_messages": await _drop_broadcasts(session, ids)}
    result = await session.execute(delete(StaffQuestionRow).where(StaffQuestionRow.id.in_(ids)))
    counts["staff_questions"] = int(getattr(result, "rowcount", 0) or 0)
    return {k: v for k, v in counts.items() if v}


async def purge_finished(session: AsyncSession, cutoff: dt.datetime) -> dict[str, int]:
    """Questions answered, closed or withdrawn before ``cutoff``, with their messages."""
    ids = list(
        await session.scalars(
            select(StaffQuestionRow.id).where(
                StaffQuestionRow.status != "open", StaffQuestionRow.finished_at < cutoff
            )
        )
    )
    if not ids:
        return {}
    counts = {"ask_messages": await _drop_broadcasts(session, ids)}
    result = await session.execute(delete(StaffQuestionRow).where(StaffQuestionRow.id.in_(ids)))
    counts["staff_questions"] = int(getattr(result, "rowcount", 0) or 0)
    return counts


@dataclass(frozen=True)
class Figures:
    """Questions sent to staff in a period: how many, answered, median hours to answer."""

    sent: int
    answered: int
    median_hours: float | None


async def figures(session: AsyncSession, since: dt.datetime) -> Figures:
    rows = (
        await session.execute(
            select(
                StaffQuestionRow.status, StaffQuestionRow.asked_at, StaffQuestionRow.finished_at
            ).where(StaffQuestionRow.asked_at >= since)
        )
    ).all()
    waits = [
        (finished - asked).total_seconds() / 3600
        for status, asked, finished in rows
        if status == "answered" and finished is not None
    ]
    median = statistics.median(waits) if waits else None
    return Figures(sent=len(rows), answered=len(waits), median_hours=median)
