"""Erase everything linked to one person (``/xoadulieu``), across every feature's tables.

Works from the schema itself, so a table added later is covered without touching this file:
rows pointing at the person's ``users`` row are deleted, except logged questions, whose link is
cut (the text stays for statistics, with no way back to the person); rows keyed by the
person's platform id on their channel are deleted; finally the ``users`` row itself goes.
Staff membership and the audit log are records of the organisation, not of a citizen, and stay.
"""

from __future__ import annotations

from sqlalchemy import Table, and_, delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from db import models_notify, models_zalo
from db.models import Base, UserRow

KEEP = {"users", "staff", "audit_log"}
UNLINK = {"question_log"}  # keep the text, cut the link
LABELS = {
    "subscriptions": "đăng ký nhận thông báo",
    "consent_log": "ghi nhận đồng ý",
    "reminders": "lời nhắc",
    "deliveries": "tin nhắn chờ gửi và đã gửi",
    "feedback": "góp ý 👍/👎",
    "question_log": "liên kết với câu hỏi đã hỏi",
    "dialogs": "thao tác dở dang",
    "unreachable_users": "ghi nhận không gửi được",
}
REGISTERED = (models_notify, models_zalo)  # importing them puts their tables in the metadata


def _channel_family(table: Table, channel: str) -> bool:
    """Tables without a channel column belong to one platform, named by their prefix."""
    if "channel" in table.c:
        return True
    return table.name.split("_")[0] == channel.split("_")[0]


async def erase_user(session: AsyncSession, user: UserRow) -> dict[str, int]:
    """Delete or unlink every row about ``user``; returns rows touched per table."""
    counts: dict[str, int] = {}
    for table in reversed(Base.metadata.sorted_tables):
        if table.name in KEEP:
            continue
        touched = 0
        for column in table.columns:
            if not any(fk.column.table.name == "users" for fk in column.foreign_keys):
                continue
            if table.name in UNLINK:
                result = await session.execute(
                    update(table).where(column == user.id).values({column.name: None})
                )
            else:
                result = await session.execute(delete(table).where(column == user.id))
            touched += int(getattr(result, "rowcount", 0) or 0)
        if "user_id" in table.c and _channel_family(table, user.channel):
            condition = table.c.user_id == user.user_id
            if "channel" in table.c:
                condition = and_(condition, table.c.channel == user.channel)
            result = await session.execute(delete(table).where(condition))
            touched += int(getattr(result, "rowcount", 0) or 0)
        if (
            "chat_id" in table.c
            and "user_pk" not in table.c
            and _channel_family(table, user.channel)
        ):
            condition = table.c.chat_id == user.chat_id
            if "channel" in table.c:
                condition = and_(condition, table.c.channel == user.channel)
            result = await session.execute(delete(table).where(condition))
            touched += int(getattr(result, "rowcount", 0) or 0)
        if touched:
            counts[table.name] = touched
    await session.execute(delete(UserRow).where(UserRow.id == user.id))
    return counts


def describe(counts: dict[str, int]) -> list[str]:
    """Vietnamese lines naming what was erased."""
    return [f"• {LABELS.get(name, name)}: {n}" for name, n in sorted(counts.items())]
