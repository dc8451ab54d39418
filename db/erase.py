"""Erase everything linked to one person (``/xoadulieu``), across every feature's tables.

Works from the schema itself, so a table added later is covered without touching this file:
rows pointing at the person's ``users`` row are deleted (their logged questions included);
rows keyed by the person's platform id on their channel are deleted; finally the ``users`` row
itself goes. Before that, every copy of the person's questions elsewhere is removed
(:func:`db.retention.erase_person_texts`: the staff digest, audit details, staff dialogs, FAQ
phrasings adopted from their questions). Staff membership and the audit log are records of the
organisation, not of a citizen, and stay (scrubbed of the person's text).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Table, and_, delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from db import models_notify, models_privacy, models_questions, models_registrations, models_zalo
from db import questions as questions_db
from db.models import Base, UserRow
from db.retention import erase_person_texts

KEEP = {"users", "staff", "audit_log"}
UNLINK: set[str] = set()  # tables whose link would be cut, the row kept (none any more)
LABELS = {
    "vi": {
        "subscriptions": "đăng ký nhận thông báo",
        "consent_log": "ghi nhận đồng ý",
        "reminders": "lời nhắc",
        "deliveries": "tin nhắn chờ gửi và đã gửi",
        "feedback": "góp ý 👍/👎",
        "question_log": "câu hỏi đã hỏi",
        "dialogs": "thao tác dở dang",
        "unreachable_users": "ghi nhận không gửi được",
        "broadcasts": "câu hỏi được trích trong bản tóm tắt cho cán bộ",
        "audit_log": "câu hỏi được trích trong nhật ký cán bộ",
        "faq_alternates": "cách hỏi của bạn đã được thêm vào hỏi đáp",
        "text_provenance": "liên kết giữa hỏi đáp và câu hỏi của bạn",
        "registrations": "đăng ký lớp học (họ tên, số điện thoại)",
        "demand_requests": "yêu cầu báo khi có lớp (chờ mở lớp)",
        "staff_questions": "câu hỏi gửi cán bộ và câu trả lời",
        "ask_messages": "tin nhắn về câu hỏi gửi cán bộ",
    },
    "en": {
        "subscriptions": "notice subscriptions",
        "consent_log": "consent records",
        "reminders": "reminders",
        "deliveries": "pending and sent messages",
        "feedback": "👍/👎 feedback",
        "question_log": "questions you asked",
        "dialogs": "unfinished actions",
        "unreachable_users": "delivery failure records",
        "broadcasts": "your questions quoted in staff summaries",
        "audit_log": "your questions quoted in the staff log",
        "faq_alternates": "your wordings added to the FAQ",
        "text_provenance": "links between the FAQ and your questions",
        "registrations": "class sign-ups (name, phone)",
        "demand_requests": "requests to be told when a class opens",
        "staff_questions": "questions sent to staff and their answers",
        "ask_messages": "messages about your questions to staff",
    },
}
# importing them puts their tables in the metadata
REGISTERED = (
    models_notify,
    models_privacy,
    models_questions,
    models_registrations,
    models_zalo,
)


def _channel_family(table: Table, channel: str) -> bool:
    """Tables without a channel column belong to one platform, named by their prefix."""
    if "channel" in table.c:
        return True
    return table.name.split("_")[0] == channel.split("_")[0]


async def erase_user(
    session: AsyncSession, user: UserRow, *, now: dt.datetime | None = None
) -> dict[str, int]:
    """Delete every row about ``user`` and every copy of their text; rows touched per table.

    ``faq_alternates`` in the result means the live content changed (reload it after commit).
    """
    counts, _ = await erase_person_texts(session, user.id, now=now or dt.datetime.now(dt.UTC))
    for name, n in (await questions_db.erase_person(session, user.id)).items():
        counts[name] = counts.get(name, 0) + n
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
            counts[table.name] = counts.get(table.name, 0) + touched
    await session.execute(delete(UserRow).where(UserRow.id == user.id))
    return counts


def describe(counts: dict[str, int], lang: str = "vi") -> list[str]:
    """Lines naming what was erased, in Vietnamese or English."""
    labels = LABELS.get(lang, LABELS["vi"])
    return [f"• {labels.get(name, name)}: {n}" for name, n in sorted(counts.items())]
