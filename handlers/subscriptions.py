"""Subscriptions and reminders, the conversation side: /thongbao, /huy, ⏰ Nhắc tôi.

Nothing is subscribed without a press: every toggle records consent (or its withdrawal) with
its time and purpose. Button data: ``n:a`` (all), ``n:t:<topic>``, ``n:c:<commune slug>``,
``n:off``; ``rm:c:<course>`` / ``rm:s:<stop>`` to ask for a reminder, ``rmx:<id>`` to cancel
one. An id too long for 64 bytes travels as a short hash (upper-case kind letter).
"""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import select

from bot.messages import MAX_BUTTON_DATA, Button, Reply, short_label
from bot.notify.reminders import add_reminder, cancel_reminder, day_label, slots, target_of
from bot.notify.subscriptions import stop_everything, subscriptions_of, toggle
from db.models_notify import ReminderRow
from db.registrations import drop_demand
from handlers.context import Ctx, slugify

TEXTS: dict[str, dict[str, str]] = {
    "menu": {
        "vi": "🔔 Chọn thông báo bạn muốn nhận (bấm để bật ✅ / tắt ⬜).\n"
        "Bấm bật nghĩa là bạn đồng ý nhận tin của mục đó qua bot; bấm lại để tắt, "
        "hoặc gõ /huy để dừng tất cả.",
        "en": "🔔 Pick the notices you want (press to turn on ✅ / off ⬜).\n"
        "Turning one on means you agree to receive those messages; press again to turn it off, "
        "or type /huy to stop everything.",
    },
    "all": {"vi": "Tất cả thông báo", "en": "All announcements"},
    "stop_all": {"vi": "🔕 Dừng tất cả", "en": "🔕 Stop everything"},
    "main_menu": {"vi": "🏠 Menu chính", "en": "🏠 Main menu"},
    "on": {"vi": "Đã bật: {what}", "en": "On: {what}"},
    "off": {"vi": "Đã tắt: {what}", "en": "Off: {what}"},
    "stopped": {
        "vi": "🔕 Đã dừng tất cả: hủy {subs} đăng ký và {rems} nhắc lịch. "
        "Bot sẽ không gửi tin nào cho bạn nữa, trừ khi bạn đăng ký lại bằng /thongbao.",
        "en": "🔕 Stopped everything: {subs} subscriptions and {rems} reminders removed. "
        "The bot will not message you unless you subscribe again with /thongbao.",
    },
    "remind_button": {"vi": "⏰ Nhắc tôi", "en": "⏰ Remind me"},
    "remind_set": {
        "vi": "⏰ Đã đặt nhắc lịch «{title}» ({day}).\nBot sẽ nhắc bạn: {when}.",
        "en": "⏰ Reminder set for «{title}» ({day}).\nThe bot will remind you: {when}.",
    },
    "remind_again": {
        "vi": "⏰ Bạn đã đặt nhắc lịch «{title}» ({day}) rồi.\nBot sẽ nhắc bạn: {when}.",
        "en": "⏰ You already have a reminder for «{title}» ({day}).\nIt comes: {when}.",
    },
    "remind_late": {
        "vi": "⏰ Đã đặt nhắc lịch «{title}» ({day}), nhưng giờ nhắc đã qua.",
        "en": "⏰ Reminder set for «{title}» ({day}), but its time has already passed.",
    },
    "remind_none": {
        "vi": "Mục này không còn buổi nào sắp tới để nhắc.",
        "en": "There is nothing ahead to remind you of.",
    },
    "remind_cancel": {"vi": "Hủy nhắc", "en": "Cancel reminder"},
    "mine": {
        "vi": "⏰ Nhắc lịch của bạn (bấm để hủy):",
        "en": "⏰ Your reminders (press one to cancel it):",
    },
    "mine_none": {
        "vi": "Bạn chưa đặt nhắc lịch nào. Bấm «⏰ Nhắc tôi» dưới một lớp học hoặc một điểm "
        "xe thư viện để được nhắc trước.",
        "en": "You have no reminders. Press «⏰ Remind me» under a class or a van stop "
        "to get one.",
    },
    "mine_other": {
        "vi": "Bạn chưa đặt nhắc lịch {what} nào. Các nhắc lịch khác của bạn (bấm để hủy):",
        "en": "You have no {what} reminders. Your other reminders (press one to cancel it):",
    },
    "what_stop": {"vi": "xe thư viện", "en": "van"},
    "what_course": {"vi": "lớp học", "en": "class"},
    "mine_cancel": {"vi": "❌ Hủy: {title}", "en": "❌ Cancel: {title}"},
    "remind_cancelled": {"vi": "Đã hủy nhắc lịch.", "en": "Reminder cancelled."},
    "remind_gone": {"vi": "Nhắc lịch này không còn.", "en": "That reminder no longer exists."},
}


def _t(ctx: Ctx, key: str, **values: object) -> str:
    entry = TEXTS[key]
    text = entry.get(ctx.lang) or entry["vi"]
    return text.format(**values) if values else text


def _short(prefix: str, long_prefix: str, value: str) -> str:
    """``prefix + value`` if it fits 64 ASCII bytes, else ``long_prefix + hash``."""
    data = prefix + value
    if data.isascii() and len(data) <= MAX_BUTTON_DATA:
        return data
    return long_prefix + hashlib.sha1(value.encode()).hexdigest()[:16]


def _unhash(digest: str, values: list[str]) -> str | None:
    return next((v for v in values if hashlib.sha1(v.encode()).hexdigest()[:16] == digest), None)


def _communes(ctx: Ctx) -> list[str]:
    return sorted({s.commune for s in ctx.pack.stops} | {c.commune for c in ctx.pack.centers})


TOGGLE_LABEL = 80  # a topic's whole name ('… phong cách Hồ Chí Minh'), cut at a word beyond
PAIR_LABEL = 28  # two toggles share a row only when both are this short


def _pairs(buttons: list[Button]) -> list[tuple[Button, ...]]:
    """Short toggles two to a row; a long one has its row to itself."""
    rows: list[tuple[Button, ...]] = []
    for b in buttons:
        last = rows[-1] if rows else ()
        if len(last) == 1 and len(last[0].label) <= PAIR_LABEL and len(b.label) <= PAIR_LABEL:
            rows[-1] = (last[0], b)
        else:
            rows.append((b,))
    return rows


async def menu(ctx: Ctx, *, edit: bool = False) -> list[Reply]:
    """/thongbao and 🔔: one toggle per option, ✅ when on."""
    mine = await subscriptions_of(ctx.session, ctx.user.id)

    def mark(kind: str, value: str) -> str:
        return "✅" if (kind, value) in mine else "⬜"

    rows: list[tuple[Button, ...]] = [(Button(f"{mark('all', '')} {_t(ctx, 'all')}", "n:a"),)]
    topics = [
        Button(
            short_label(f"{mark('topic', t.id)} 📚 {t.name}", TOGGLE_LABEL),
            _short("n:t:", "n:T:", t.id),
        )
        for t in ctx.pack.topics
    ]
    communes = [
        Button(
            short_label(f"{mark('commune', c)} 📍 {c}", TOGGLE_LABEL),
            _short("n:c:", "n:C:", slugify(c)),
        )
        for c in _communes(ctx)
    ]
    rows += _pairs(topics) + _pairs(communes)
    rows.append((Button(_t(ctx, "stop_all"), "n:off"), Button(_t(ctx, "main_menu"), "m:main")))
    return [Reply(_t(ctx, "menu"), buttons=tuple(rows), edit=edit)]


async def stop_all(ctx: Ctx) -> list[Reply]:
    """/huy: remove every subscription and pending reminder, and say so."""
    subs, rems = await stop_everything(
        ctx.session, user_pk=ctx.user.id, now=ctx.now, via=ctx.incoming.channel,
        reason="/huy by the user",
    )  # fmt: skip
    subs += await drop_demand(ctx.session, ctx.user.id)  # "Báo tôi khi có lớp" too
    return [Reply(_t(ctx, "stopped", subs=subs, rems=rems))]


def remind_row(ctx: Ctx, ref: str) -> tuple[Button, ...]:
    """The '⏰ Nhắc tôi' button under a class or a van stop."""
    kind, _, item_id = ref.partition(":")
    letter = "c" if kind == "course" else "s"
    return (
        Button(
            _t(ctx, "remind_button"), _short(f"rm:{letter}:", f"rm:{letter.upper()}:", item_id)
        ),
    )


def remind_rows(ctx: Ctx, ref: str) -> list[tuple[Button, ...]]:
    """'⏰ Nhắc tôi' under one class or one van stop, when there is something ahead to remind."""
    if target_of(ctx.pack, ref, ctx.now.date()) is None:
        return []
    return [remind_row(ctx, ref)]


# "nhắc của tôi", "hủy nhắc lịch xe", "xem nhắc lịch", "danh sách nhắc" (folded to ASCII words)
_MINE = re.compile(
    r"\bnhac\b.*\b(cua (toi|minh|em|tui)|cua ban than)\b"
    r"|\b(huy|bo|xoa|tat|xem|danh sach|liet ke)\b.*\bnhac\b"
    r"|\b(loi|cac) nhac\b.*\b(toi|minh|em)\b"
)


def asks_for_my_reminders(text: str) -> bool:
    """Whether typed text asks to see (or cancel) one's own reminders."""
    words = " ".join(slugify(text).split("-"))
    return bool(_MINE.search(words))


async def my_reminders(ctx: Ctx, text: str = "") -> list[Reply]:
    """The person's active reminders, each with a one-tap cancel (``rmx:<id>``).

    A message naming the van ('hủy nhắc lịch xe') or a class ('nhắc lớp học') lists only
    those; when there are none, it says so and lists the others.
    """
    rows = list(
        await ctx.session.scalars(
            select(ReminderRow)
            .where(ReminderRow.user_pk == ctx.user.id, ReminderRow.status == "active")
            .order_by(ReminderRow.target_date, ReminderRow.id)
        )
    )
    words = set(slugify(text).split("-"))
    wanted = "stop:" if "xe" in words else "course:" if "lop" in words else ""
    if not rows:
        return [Reply(_t(ctx, "mine_none"))]
    head = _t(ctx, "mine")
    if wanted:
        matching = [r for r in rows if r.ref.startswith(wanted)]
        if not matching:
            what = _t(ctx, "what_stop" if wanted == "stop:" else "what_course")
            head = _t(ctx, "mine_other", what=what)
        rows = matching or rows
    lines = [head]
    buttons: list[tuple[Button, ...]] = []
    for row in rows:
        title = row.snapshot.get("title") or row.ref
        lines.append(f"• «{title}» ({day_label(row.target_date)})")
        label = _t(ctx, "mine_cancel", title=short_label(title, 40))
        buttons.append((Button(label, f"rmx:{row.id}"),))
    return [Reply("\n".join(lines), buttons=tuple(buttons))]


async def _toggle(ctx: Ctx, code: str, value: str) -> list[Reply]:
    kind, item = "all", ""
    if code in ("t", "T"):
        ids = [t.id for t in ctx.pack.topics]
        found = value if code == "t" else _unhash(value, ids)
        if found not in ids or found is None:
            return await menu(ctx, edit=True)
        kind, item = "topic", found
        label = next(t.name for t in ctx.pack.topics if t.id == found)
    elif code in ("c", "C"):
        names = _communes(ctx)
        slugs = {slugify(c): c for c in names}
        slug = value if code == "c" else _unhash(value, list(slugs))
        if slug is None or slug not in slugs:
            return await menu(ctx, edit=True)
        kind, item = "commune", slugs[slug]
        label = item
    else:
        label = _t(ctx, "all")
    on = await toggle(
        ctx.session, user_pk=ctx.user.id, kind=kind, value=item, now=ctx.now,
        via=ctx.incoming.channel,
    )  # fmt: skip
    replies = await menu(ctx, edit=True)
    notice = _t(ctx, "on" if on else "off", what=label)
    return [Reply(r.text, buttons=r.buttons, edit=True, notice=notice) for r in replies]


async def _remind(ctx: Ctx, code: str, value: str) -> list[Reply]:
    if code in ("c", "C"):
        ids = [c.id for c in ctx.pack.courses]
        kind = "course"
    else:
        ids = [s.id for s in ctx.pack.stops]
        kind = "stop"
    item_id = value if code.islower() else _unhash(value, ids)
    if item_id is None or item_id not in ids:
        return [Reply(_t(ctx, "remind_none"))]
    ref = f"{kind}:{item_id}"
    row, created = await add_reminder(
        ctx.session, user_pk=ctx.user.id, ref=ref, pack=ctx.pack, now=ctx.now,
        via=ctx.incoming.channel,
    )  # fmt: skip
    if row is None:
        return [Reply(_t(ctx, "remind_none"))]
    cfg = ctx.app.settings.notify
    due = [d for _, d in slots(ref, row.target_date, cfg, ctx.now.tzinfo or ctx.app.tz)]
    ahead = [d for d in due if d > ctx.now]
    title = row.snapshot.get("title", ref)
    day = day_label(row.target_date)
    cancel = ((Button(_t(ctx, "remind_cancel"), f"rmx:{row.id}"),),)
    if not ahead:
        return [Reply(_t(ctx, "remind_late", title=title, day=day), buttons=cancel)]
    when = "; ".join(f"{d:%H:%M} {day_label(d.date())}" for d in ahead)
    key = "remind_set" if created else "remind_again"
    return [Reply(_t(ctx, key, title=title, day=day, when=when), buttons=cancel)]


async def on_button(ctx: Ctx, data: str) -> list[Reply]:
    """Route ``n:…``, ``rm:…`` and ``rmx:…`` presses."""
    head, _, rest = data.partition(":")
    if head == "n":
        code, _, value = rest.partition(":")
        if code == "off":
            return await stop_all(ctx)
        return await _toggle(ctx, code, value)
    if head == "rm":
        code, _, value = rest.partition(":")
        return await _remind(ctx, code, value)
    if head == "rmx" and rest.isdecimal():
        row = await cancel_reminder(
            ctx.session, user_pk=ctx.user.id, reminder_id=int(rest), now=ctx.now,
            via=ctx.incoming.channel,
        )  # fmt: skip
        text = _t(ctx, "remind_cancelled" if row else "remind_gone")
        return [Reply(text, notice=text)]
    return await menu(ctx)
