"""After a new content version: tell the people signed up for a changed or cancelled class,
and the people who asked for a class that has now been added.

Registrants with an active reminder for the class are already told by :mod:`changes` (the same
notice, once); the others (the waiting list, those who switched the reminder off) get it here,
worded the same way. A class removed from the content cancels its sign-ups. Sources
``signup-change:<version>:<course>`` and ``demand:<course>`` are unique: nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.app import App
from bot.notify.changes import _diff
from bot.notify.reminders import add_reminder, describe, target_of
from bot.pack import Pack
from bot.pack.models import Course
from bot.understanding.normalize import folded_words
from db import notify as notify_db
from db import registrations as reg_db
from db import users as users_db
from db.outbox import create_broadcast

if TYPE_CHECKING:
    from db.models_registrations import DemandRow, RegistrationRow
    from db.session import AsyncSession

log = logging.getLogger(__name__)


async def on_new_version(app: App, old_pack: Pack | None, new_pack: Pack, *, version: int) -> int:
    """Registrant and demand notices for one new version; broadcasts created."""
    made = 0
    if old_pack is not None:
        made += await _registrants(app, old_pack, new_pack, version)
        made += await _demand(app, old_pack, new_pack)
    return made


async def _registrants(app: App, old_pack: Pack, new_pack: Pack, version: int) -> int:
    now = app.now()
    made = 0
    async with app.sessions.begin() as session:
        rows = await notify_db.active_registrations(session)
        for course_id in dict.fromkeys(r.course_id for r in rows):
            ref = f"course:{course_id}"
            members = [r for r in rows if r.course_id == course_id]
            old_course = old_pack.course(course_id)
            title = old_course.title if old_course else course_id
            old_target = target_of(old_pack, ref, now.date())
            old = describe(old_pack, ref, old_target) or {}
            new_course = new_pack.course(course_id)
            if new_course is None:
                lines = [f"❌ Thay đổi lịch: «{title}» đã bị hủy."]
                lines.append("Đăng ký lớp này của bạn cũng đã được hủy.")
                for row in members:
                    row.status, row.changed_at = "cancelled", now
                    row.reason = f"content v{version}: class removed"
                told = {r.user_pk for r in members}
            else:
                made += await _more_seats(session, app, new_pack, members)
                new_target = target_of(new_pack, ref, now.date(), old_target)
                new = describe(new_pack, ref, new_target) or {}
                changes = _diff(old, new)
                if not changes:
                    continue
                lines = [f"🔔 Thay đổi lịch: «{title}»"]
                lines += [f"• {label}: {a or '—'} → {b or '—'}" for label, a, b in changes]
                lines.append("Đăng ký của bạn vẫn được giữ theo lịch mới.")
                reminded = await notify_db.reminded_users(session, ref)
                told = {r.user_pk for r in members} - reminded
            if not told:
                continue
            recipients = await users_db.recipients(session, told)
            created = await create_broadcast(
                session,
                source=f"signup-change:{version}:{course_id}",
                kind="change",
                title=title,
                text="\n".join(lines),
                recipients=recipients,
                due_at=now,
                now=now,
            )
            made += created is not None
    return made


async def _more_seats(
    session: AsyncSession,
    app: App,
    pack: Pack,
    members: Sequence[RegistrationRow],
) -> int:
    """Seats free in the new version (more of them, or no limit): the people waiting get them,
    in order, and are told."""
    new = pack.course(members[0].course_id)
    if new is None or not any(r.status == "waiting" for r in members):
        return 0
    now = app.now()
    await reg_db.lock_course(session, new.id)
    promoted = await reg_db.fill_seats(session, new.id, new.capacity, now)
    made = 0
    for row in promoted:
        await add_reminder(
            session,
            user_pk=row.user_pk,
            ref=f"course:{new.id}",
            pack=pack,
            now=now,
            via="registration",
        )
        recipients = await users_db.recipients(session, [row.user_pk])
        if not recipients:
            continue
        text = (
            f"🎉 Lớp «{new.title}» có thêm chỗ và đã có chỗ cho bạn (bạn đang ở danh sách chờ). "
            f"Khai giảng {new.start_date:%d/%m/%Y}. Gõ «đăng ký của tôi» để xem hoặc hủy."
        )
        created = await create_broadcast(
            session,
            source=f"registration:promoted:{row.id}",
            kind="registration",
            title=new.title,
            text=text,
            recipients=recipients,
            due_at=now,
            now=now,
        )
        made += created is not None
    return made


def matches(pack: Pack, course: Course, wish: DemandRow) -> bool:
    """Whether a class answers a wish: its topic (an id, or the words asked, all of them in
    the class's title, topic, keywords or description) and its commune when one was named."""
    if wish.commune:
        center = pack.center(course.center)
        if center is None or center.commune != wish.commune:
            return False
    if pack.topic(wish.topic) is not None:
        return course.topic == wish.topic
    topic = pack.topic(course.topic)
    about = " ".join(
        [
            course.title,
            topic.name if topic else "",
            *(topic.synonyms if topic else []),
            *course.keywords,
            course.description or "",
        ]
    )
    have = set(folded_words(about))
    wanted = folded_words(wish.topic)
    return bool(wanted) and all(w in have for w in wanted)


async def _demand(app: App, old_pack: Pack, new_pack: Pack) -> int:
    """A class added that someone asked for: they are told, once."""
    now = app.now()
    added = [
        c for c in new_pack.courses if old_pack.course(c.id) is None and c.end_date >= now.date()
    ]
    if not added:
        return 0
    made = 0
    async with app.sessions.begin() as session:
        wishes = await reg_db.open_demand(session)
        for course in added:
            wanted = [w for w in wishes if w.status == "open" and matches(new_pack, course, w)]
            if not wanted:
                continue
            for wish in wanted:
                wish.status, wish.course_id = "notified", course.id
            users = {w.user_pk for w in wanted}
            recipients = await users_db.recipients(session, users)
            center = new_pack.center(course.center)
            where = f"{center.name}, {center.address}" if center else course.center
            text = (
                f"🎉 Đã có lớp bạn chờ: «{course.title}»\n"
                f"Thời gian: {course.start_date:%d/%m/%Y} – {course.end_date:%d/%m/%Y}"
                + (f", {course.time}" if course.time else "")
                + f"\nĐịa điểm: {where}\nGõ «đăng ký lớp {course.title}» để ghi tên."
            )
            created = await create_broadcast(
                session,
                source=f"demand:{course.id}",
                kind="demand",
                title=course.title,
                text=text,
                recipients=recipients,
                due_at=now,
                now=now,
            )
            made += created is not None
    if made:
        log.info("demand notices for %s new classes", made)
    return made
