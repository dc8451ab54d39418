"""Subscriptions and reminders, the conversation side: /thongbao, /huy, ⏰ Nhắc tôi.

Nothing is subscribed without a press: every toggle records consent (or its withdrawal) with
its time and purpose. Button data: ``n:a`` (all), ``n:t:<topic>``, ``n:c:<commune slug>``,
``n:off``; ``rm:c:<course>`` / ``rm:s:<stop>`` to ask for a reminder, ``rmx:<id>`` to cancel
one. Data too long for 64 bytes travels as an ``h:`` digest (:func:`handlers.context.short_data`);
the older hashed data (upper-case kind letter) resolves to the same refs.
"""

from __future__ import annotations

import re

from bot.messages import Button, Reply, short_label
from bot.notify.reminders import add_reminder, cancel_reminder, slots, target_of
from bot.notify.subscriptions import stop_everything, subscriptions_of, toggle
from bot.pack.days import full_date
from bot.wording import slugify
from db import reminders as reminders_db
from db.registrations import drop_demand
from handlers.context import Ctx, short_data


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

    rows: list[tuple[Button, ...]] = [(Button(f"{mark('all', '')} {ctx.t('notify_all')}", "n:a"),)]
    topics = [
        Button(
            short_label(f"{mark('topic', t.id)} 📚 {t.name}", TOGGLE_LABEL),
            short_data(f"n:t:{t.id}"),
        )
        for t in ctx.pack.topics
    ]
    communes = [
        Button(
            short_label(f"{mark('commune', c)} 📍 {c}", TOGGLE_LABEL),
            short_data(f"n:c:{slugify(c)}"),
        )
        for c in _communes(ctx)
    ]
    rows += _pairs(topics) + _pairs(communes)
    rows.append((Button(ctx.t("notify_stop_all"), "n:off"), Button(ctx.t("main_menu"), "m:main")))
    return [Reply(ctx.t("notify_menu"), buttons=tuple(rows), edit=edit)]


async def stop_all(ctx: Ctx) -> list[Reply]:
    """/huy: remove every subscription and pending reminder, and say so."""
    subs, rems = await stop_everything(
        ctx.session,
        user_pk=ctx.user.id,
        now=ctx.now,
        via=ctx.incoming.channel,
        reason="/huy by the user",
    )
    subs += await drop_demand(ctx.session, ctx.user.id)  # "Báo tôi khi có lớp" too
    return [Reply(ctx.t("notify_stopped", subs=subs, rems=rems))]


def remind_row(ctx: Ctx, ref: str) -> tuple[Button, ...]:
    """The '⏰ Nhắc tôi' button under a class or a van stop."""
    kind, _, item_id = ref.partition(":")
    letter = "c" if kind == "course" else "s"
    return (Button(ctx.t("remind_button"), short_data(f"rm:{letter}:{item_id}")),)


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
    rows = await reminders_db.active_of(ctx.session, ctx.user.id)
    words = set(slugify(text).split("-"))
    wanted = "stop:" if "xe" in words else "course:" if "lop" in words else ""
    if not rows:
        return [Reply(ctx.t("remind_mine_none"))]
    head = ctx.t("remind_mine")
    if wanted:
        matching = [r for r in rows if r.ref.startswith(wanted)]
        if not matching:
            what = ctx.t("remind_what_stop" if wanted == "stop:" else "remind_what_course")
            head = ctx.t("remind_mine_other", what=what)
        rows = matching or rows
    lines = [head]
    buttons: list[tuple[Button, ...]] = []
    for row in rows:
        title = row.snapshot.get("title") or row.ref
        lines.append(f"• «{title}» ({full_date(row.target_date)})")
        label = ctx.t("remind_mine_cancel", title=short_label(title, 40))
        buttons.append((Button(label, f"rmx:{row.id}"),))
    return [Reply("\n".join(lines), buttons=tuple(buttons))]


async def _toggle(ctx: Ctx, code: str, value: str) -> list[Reply]:
    kind, item = "all", ""
    if code in ("t", "T"):
        ids = [t.id for t in ctx.pack.topics]
        found = value  # an old hashed one (n:T:) whose topic is gone finds none
        if found not in ids:
            return await menu(ctx, edit=True)
        kind, item = "topic", found
        label = next(t.name for t in ctx.pack.topics if t.id == found)
    elif code in ("c", "C"):
        names = _communes(ctx)
        slugs = {slugify(c): c for c in names}
        slug = value
        if slug not in slugs:
            return await menu(ctx, edit=True)
        kind, item = "commune", slugs[slug]
        label = item
    else:
        label = ctx.t("notify_all")
    on = await toggle(
        ctx.session,
        user_pk=ctx.user.id,
        kind=kind,
        value=item,
        now=ctx.now,
        via=ctx.incoming.channel,
    )
    replies = await menu(ctx, edit=True)
    notice = ctx.t("notify_on" if on else "notify_off", what=label)
    return [Reply(r.text, buttons=r.buttons, edit=True, notice=notice) for r in replies]


async def _remind(ctx: Ctx, code: str, value: str) -> list[Reply]:
    if code in ("c", "C"):
        ids = [c.id for c in ctx.pack.courses]
        kind = "course"
    else:
        ids = [s.id for s in ctx.pack.stops]
        kind = "stop"
    item_id = value
    if item_id not in ids:
        return [Reply(ctx.t("remind_none"))]
    ref = f"{kind}:{item_id}"
    row, created = await add_reminder(
        ctx.session,
        user_pk=ctx.user.id,
        ref=ref,
        pack=ctx.pack,
        now=ctx.now,
        via=ctx.incoming.channel,
    )
    if row is None:
        return [Reply(ctx.t("remind_none"))]
    cfg = ctx.app.settings.notify
    due = [d for _, d in slots(ref, row.target_date, cfg, ctx.now.tzinfo or ctx.app.tz)]
    ahead = [d for d in due if d > ctx.now]
    title = row.snapshot.get("title", ref)
    day = full_date(row.target_date)
    cancel = ((Button(ctx.t("remind_cancel"), f"rmx:{row.id}"),),)
    if not ahead:
        return [Reply(ctx.t("remind_late", title=title, day=day), buttons=cancel)]
    when = "; ".join(f"{d:%H:%M} {full_date(d.date())}" for d in ahead)
    key = "remind_set" if created else "remind_again"
    return [Reply(ctx.t(key, title=title, day=day, when=when), buttons=cancel)]


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
            ctx.session,
            user_pk=ctx.user.id,
            reminder_id=int(rest),
            now=ctx.now,
            via=ctx.incoming.channel,
        )
        text = ctx.t("remind_cancelled" if row else "remind_gone")
        return [Reply(text, notice=text)]
    return await menu(ctx)
