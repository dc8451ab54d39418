"""Change notices: after a new content version goes live, tell the people with a reminder.

Each active reminder carries a snapshot of the item as the citizen saw it. The new version's
description is compared with it; a removed item cancels the reminder, a changed one moves it
(or cancels it when nothing is ahead), and the people concerned, and only they, get one
message per (item, date) saying what changed, old → new. Sources ``change:<version>:<ref>:<date>``
are unique, so running this twice sends nothing twice.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import TYPE_CHECKING

from bot.app import App
from bot.notify.reminders import describe, target_of
from bot.pack import Pack
from db import notify as notify_db
from db import outbox as outbox_db
from db import users as users_db

if TYPE_CHECKING:
    from db.models_notify import ReminderRow

log = logging.getLogger(__name__)

LABELS = {
    "date": "Ngày",
    "dates": "Thời gian",
    "time": "Giờ",
    "weekdays": "Lịch học",
    "place": "Địa điểm",
    "title": "Tên",
}


def _diff(old: dict[str, str], new: dict[str, str]) -> list[tuple[str, str, str]]:
    return [
        (LABELS.get(key, key), str(old.get(key, "")), str(new.get(key, "")))
        for key in LABELS
        if key in old or key in new
        if str(old.get(key, "")) != str(new.get(key, ""))
    ]


async def on_new_version(
    app: App, old_pack: Pack | None, new_pack: Pack, *, version: int | None = None
) -> int:
    """Notify reminder holders of changed or cancelled items; return broadcasts created."""
    version = version if version is not None else (app.live.version if app.live else 0)
    now = app.now()
    created = 0
    async with app.sessions.begin() as session:
        rows = await notify_db.active_reminders(session)
        groups: defaultdict[tuple[str, str], list[ReminderRow]] = defaultdict(list)
        for row in rows:
            groups[(row.ref, row.target_date.isoformat())].append(row)
        unreachable = await notify_db.unreachable_users(session)
        for (ref, day), members in groups.items():
            old = members[0].snapshot or {}
            title = old.get("title", ref)
            new_target = target_of(new_pack, ref, now.date(), members[0].target_date)
            new = describe(new_pack, ref, new_target) if new_target else None
            if new is not None and not _diff(old, new):
                continue
            if new is None:
                removed = describe(new_pack, ref, None) is None
                why = "đã bị hủy" if removed else "không còn buổi nào sắp tới"
                lines = [f"❌ Thay đổi lịch: «{title}» {why}."]
                if old.get("date"):
                    lines.append(f"(Lịch cũ: {old.get('date')}, {old.get('time', '')})")
                lines.append("Nhắc lịch của bạn cho mục này đã được hủy.")
                for row in members:
                    row.status, row.reason = "cancelled", f"content v{version}: {why}"
                await outbox_db.skip_pending_of_sources(
                    session, f"reminder:{ref}:{day}:", f"cancelled by content v{version}"
                )
            else:
                lines = [f"🔔 Thay đổi lịch: «{title}»"]
                lines += [f"• {label}: {a or '—'} → {b or '—'}" for label, a, b in _diff(old, new)]
                lines.append(f"Nhắc lịch của bạn đã chuyển theo lịch mới ({new['date']}).")
                for row in members:
                    row.snapshot = new
                    assert new_target is not None
                    row.target_date = new_target
            users = {row.user_pk for row in members} - unreachable
            recipients = await users_db.recipients(session, users)
            made = await outbox_db.create_broadcast(
                session,
                source=f"change:{version}:{ref}:{day}",
                kind="change",
                title=title,
                text="\n".join(lines),
                recipients=recipients,
                due_at=now,
                now=now,
            )
            created += made is not None
    if created:
        log.info("content v%s: %s change notices", version, created)
    return created
