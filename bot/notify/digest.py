"""Daily staff digest and data retention.

The digest (yesterday's figures and the open unanswered groups) goes to every staff member
who has talked to the bot, through the outbox, once a day at ``HOCTAP_DIGEST_AT`` (local).
It is made by the scheduler's tick, so a digest that fell due while the bot was down is sent
when it comes back. Logged questions older than ``HOCTAP_RETENTION_DAYS`` are deleted daily,
with every copy of them (:func:`db.retention.purge_expired`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, cast

from bot import stats
from bot.app import App
from bot.inbox import group_questions
from bot.workhours import main_library, working_hours
from db import questions as questions_db
from db import registrations
from db import staff as staff_db
from db.notify import staff_recipients
from db.outbox import Recipient, broadcast_exists, create_broadcast
from db.retention import purge_expired

if TYPE_CHECKING:
    from bot.settings import Settings
    from db.session import AsyncSession

__all__ = [
    "digest_recipients",
    "digest_text",
    "make_digest",
    "overdue_lines",
    "purge_expired_texts",
    "purge_old_questions",
    "staff_recipients",  # db.notify's, still importable from here
]


async def digest_recipients(session: AsyncSession, settings: Settings) -> list[Recipient]:
    """Where the digest goes: the one staff chat an admin configured (``HOCTAP_STAFF_CHAT``,
    e.g. a staff group), else each staff member's private chat. Never a chat staff merely
    wrote in: a person's chat id is only ever their private chat (see ``not_private``)."""
    if settings.staff_chat:
        channel, _, chat = settings.staff_chat.partition(":")
        return [cast(Recipient, (None, channel, chat))]
    return await staff_recipients(session, settings.staff_ids)


async def digest_text(session: AsyncSession, app: App, day: dt.date) -> str:
    """Yesterday's numbers and the open unanswered groups, in Vietnamese."""
    tz = app.tz
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    figures = await stats.collect(session, start + dt.timedelta(hours=23, minutes=59), tz, days=1)
    asked = figures.total
    lines = [f"🗓 Tóm tắt ngày {day:%d/%m/%Y}: {asked} câu hỏi"]
    if asked:
        lines.append(
            f"Trả lời được {figures.share('answered'):.0%}, "
            f"hỏi lại {figures.share('clarified'):.0%}, "
            f"chưa trả lời được {figures.share('fallback'):.0%}."
        )
    signed = await registrations.new_between(session, start, start + dt.timedelta(days=1))
    if signed:
        pack = app.live.pack if app.live else None
        lines.append(f"📝 Đăng ký lớp mới qua trợ lý: {sum(signed.values())} (xem /dangky)")
        for course_id, n in sorted(signed.items(), key=lambda kv: (-kv[1], kv[0])):
            course = pack.course(course_id) if pack else None
            lines.append(f"– {course.title if course else course_id}: {n}")
    rows = await staff_db.open_questions(session, start - dt.timedelta(days=6))
    groups = group_questions([(r.id, r.text) for r in rows])
    end = start + dt.timedelta(days=1)
    fresh = [g for g in groups if any(start <= r.at < end for r in rows if r.id in g.row_ids)]
    if fresh:
        lines.append(f"Câu hỏi chưa trả lời mới ({len(fresh)} nhóm), xử lý bằng /chuatraloi:")
        lines += [f"• {g.text} ({g.count})" for g in fresh[:5]]
    lines += await overdue_lines(session, app)
    return "\n".join(lines)


async def overdue_lines(session: AsyncSession, app: App) -> list[str]:
    """Questions sent to staff and open longer than ``HOCTAP_QUESTION_OVERDUE_HOURS`` working
    hours (the main library's): their numbers only, never the citizen's words."""
    limit = app.settings.question_overdue_hours
    library = main_library(app.live.pack) if app.live is not None else None
    now = app.now()
    late = [
        (row.id, working_hours(library, row.asked_at, now, app.tz))
        for row in await questions_db.open_questions(session, limit=500)
    ]
    late = [(n, hours) for n, hours in late if hours > limit]
    if not late:
        return []
    shown = ", ".join(f"#{n} ({hours:.0f} giờ)" for n, hours in late[:10])
    return [f"Câu hỏi gửi cán bộ chờ quá {limit:g} giờ làm việc: {len(late)} ({shown}); /cauhoi"]


async def make_digest(app: App, at: dt.time) -> bool:
    """Create today's digest broadcast once it is due; True when one was made."""
    now = app.now()
    if now.time() < at:
        return False
    source = f"digest:{now.date().isoformat()}"
    async with app.sessions.begin() as session:
        if await broadcast_exists(session, source):
            return False
        recipients = await digest_recipients(session, app.settings)
        text = await digest_text(session, app, now.date() - dt.timedelta(days=1))
        made = await create_broadcast(
            session,
            source=source,
            kind="digest",
            title="Tóm tắt hằng ngày",
            text=text,
            recipients=recipients,
            due_at=now,
            now=now,
        )
    return made is not None


async def purge_expired_texts(app: App) -> dict[str, int]:
    """Delete or de-link every copy of citizens' text older than the retention period (logged
    questions, digests quoting them, staff dialogs, provenance links, old audit quotes)."""
    cutoff = app.now() - dt.timedelta(days=app.settings.retention_days)
    async with app.sessions.begin() as session:
        counts = await purge_expired(session, cutoff)
        # sign-ups (names, phones) go a set number of days after their class ends
        days = app.settings.registration_retention_days
        today = app.now().astimezone(app.tz).date()
        if purged := await registrations.purge(session, today=today, days=days):
            counts["registrations"] = purged
        if wishes := await registrations.purge_demand(session, cutoff):
            counts["demand_requests"] = wishes
        return counts


async def purge_old_questions(app: App) -> int:
    """:func:`purge_expired_texts`; returns how many logged questions were deleted."""
    return (await purge_expired_texts(app)).get("question_log", 0)
