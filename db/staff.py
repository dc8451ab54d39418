"""Staff roles, the audit log, dialog state and the unanswered-question inbox.

Functions take a session and never commit: the caller's transaction decides.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditRow, DialogRow, QuestionLogRow, StaffRow

ROLES = ("admin", "editor")
INBOX_KINDS = ("fallback", "clarify")


CHANNELS = ("telegram", "zalo_oa", "zalo_bot", "terminal")
USER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def check_key(key: str) -> tuple[str, str]:
    """``split_key`` for someone about to become staff: a channel we serve and an id that
    channel could give (Telegram's are numbers); ValueError with a Vietnamese reason."""
    channel, user_id = split_key(key)
    channel = channel.lower()
    if channel not in CHANNELS:
        raise ValueError(
            f"Không có kênh “{channel}”. Kênh là một trong: {', '.join(CHANNELS)}; "
            "ví dụ telegram:123456"
        )
    numeric = channel == "telegram"
    if not USER_ID.fullmatch(user_id) or (numeric and not user_id.isdecimal()):
        kind = "một dãy số" if numeric else "chữ và số, không dấu cách"
        raise ValueError(
            f"“{user_id}” không phải mã người dùng {channel} hợp lệ (phải là {kind}); "
            "ví dụ telegram:123456"
        )
    return channel, user_id


def split_key(key: str) -> tuple[str, str]:
    """'telegram:123' -> ('telegram', '123'); ValueError for anything else."""
    channel, sep, user_id = key.strip().partition(":")
    if not sep or not channel or not user_id:
        raise ValueError(f"'{key}' phải có dạng kênh:mã-người-dùng, ví dụ telegram:123456")
    return channel, user_id


async def role_of(
    session: AsyncSession, channel: str, user_id: str, initial_admins: Iterable[str] = ()
) -> str | None:
    """The person's staff role, or None for a citizen (settings' initial staff are admins)."""
    if f"{channel}:{user_id}" in set(initial_admins):
        return "admin"
    return await session.scalar(
        select(StaffRow.role).where(StaffRow.channel == channel, StaffRow.user_id == user_id)
    )


async def set_staff(
    session: AsyncSession, key: str, role: str, *, by: str, now: dt.datetime
) -> StaffRow:
    """Add someone as staff, or change their role."""
    if role not in ROLES:
        raise ValueError(f"vai trò phải là {' hoặc '.join(ROLES)}")
    channel, user_id = check_key(key)
    key = f"{channel}:{user_id}"
    row = await session.scalar(
        select(StaffRow).where(StaffRow.channel == channel, StaffRow.user_id == user_id)
    )
    if row is None:
        row = StaffRow(channel=channel, user_id=user_id, role=role, added_by=by, added_at=now)
        session.add(row)
    else:
        row.role = role
    await audit(session, by, "staff.set", {"user": key, "role": role}, now=now)
    await session.flush()
    return row


async def remove_staff(session: AsyncSession, key: str, *, by: str, now: dt.datetime) -> bool:
    """Remove someone from staff; False if they were not staff."""
    channel, user_id = split_key(key)
    result = await session.execute(
        delete(StaffRow).where(StaffRow.channel == channel, StaffRow.user_id == user_id)
    )
    removed = bool(getattr(result, "rowcount", 0))
    if removed:
        await audit(session, by, "staff.remove", {"user": key}, now=now)
    return removed


async def list_staff(session: AsyncSession) -> Sequence[StaffRow]:
    return (await session.scalars(select(StaffRow).order_by(StaffRow.id))).all()


async def audit(
    session: AsyncSession, actor: str, action: str, detail: dict[str, Any], *, now: dt.datetime
) -> None:
    """Record a staff change."""
    session.add(AuditRow(at=now, actor=actor, action=action, detail=detail))


async def list_audit(session: AsyncSession, limit: int = 50) -> Sequence[AuditRow]:
    """The most recent staff changes, newest first."""
    result = await session.scalars(select(AuditRow).order_by(AuditRow.id.desc()).limit(limit))
    return result.all()


async def get_dialog(
    session: AsyncSession, channel: str, user_id: str, kind: str
) -> DialogRow | None:
    return await session.scalar(
        select(DialogRow).where(
            DialogRow.channel == channel, DialogRow.user_id == user_id, DialogRow.kind == kind
        )
    )


async def any_dialog(session: AsyncSession, channel: str, user_id: str) -> DialogRow | None:
    """The person's open dialog waiting for typed text, if any (the newest)."""
    return await session.scalar(
        select(DialogRow)
        .where(DialogRow.channel == channel, DialogRow.user_id == user_id)
        .order_by(DialogRow.updated_at.desc())
        .limit(1)
    )


async def put_dialog(
    session: AsyncSession,
    channel: str,
    user_id: str,
    kind: str,
    data: dict[str, Any],
    *,
    now: dt.datetime,
    blob: bytes | None = None,
) -> DialogRow:
    """Create or replace a dialog's state."""
    row = await get_dialog(session, channel, user_id, kind)
    if row is None:
        row = DialogRow(channel=channel, user_id=user_id, kind=kind)
        session.add(row)
    row.data = dict(data)
    row.updated_at = now
    if blob is not None:
        row.blob = blob
    await session.flush()
    return row


async def drop_dialogs(
    session: AsyncSession, channel: str, user_id: str, kind: str | None = None
) -> None:
    stmt = delete(DialogRow).where(DialogRow.channel == channel, DialogRow.user_id == user_id)
    if kind is not None:
        stmt = stmt.where(DialogRow.kind == kind)
    await session.execute(stmt)


async def open_questions(session: AsyncSession, since: dt.datetime) -> Sequence[QuestionLogRow]:
    """Questions the bot did not answer well and staff have not dealt with yet."""
    result = await session.scalars(
        select(QuestionLogRow)
        .where(
            QuestionLogRow.at >= since,
            QuestionLogRow.status.is_(None),
            QuestionLogRow.kind.in_(INBOX_KINDS) | QuestionLogRow.disliked,
        )
        .order_by(QuestionLogRow.id)
    )
    return result.all()


async def close_questions(session: AsyncSession, ids: Iterable[int], status: str) -> None:
    """Mark inbox questions ``ignored`` or ``resolved``."""
    ids = list(ids)
    if ids:
        await session.execute(
            update(QuestionLogRow).where(QuestionLogRow.id.in_(ids)).values(status=status)
        )


async def mark_disliked(session: AsyncSession, user_pk: int, faq_id: str) -> None:
    """Flag the person's latest question answered by ``faq_id`` as answered badly (👎)."""
    rows = await session.scalars(
        select(QuestionLogRow)
        .where(QuestionLogRow.user_pk == user_pk, QuestionLogRow.kind == "faq")
        .order_by(QuestionLogRow.id.desc())
        .limit(20)
    )
    for row in rows:
        if row.ids and row.ids[0] == faq_id:
            row.disliked = True
            return
