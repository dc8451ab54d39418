"""Menus and browsing by buttons: topics → classes → a class; libraries → hours; the van."""

from __future__ import annotations

import datetime as dt

from bot.messages import Button, Reply, button
from bot.pack import visits
from bot.pack.days import day_label
from bot.understanding import Answer, Context
from bot.wording import slugify, with_commune
from handlers import registration_rules, state, subscriptions
from handlers.context import Ctx, choice_button

FAQ_PAGE = 8
VAN_DAYS = 30


def main_buttons(ctx: Ctx, *, ask: bool = True) -> tuple[tuple[Button, ...], ...]:
    """The entries of the main menu, two per row (``ask=False``: without "Hỏi cán bộ", when
    the reply already offers to send its very question to staff)."""
    last = [Button(ctx.t("menu_notify"), "m:notify")]
    if ask:
        last.append(Button(ctx.t("menu_ask"), "hq:menu"))
    return (
        (Button(ctx.t("menu_courses"), "m:courses"), Button(ctx.t("menu_hours"), "m:hours")),
        (Button(ctx.t("menu_van"), "m:van"), Button(ctx.t("menu_faq"), "m:faq")),
        tuple(last),
    )


def _nav(ctx: Ctx, back: str | None) -> tuple[Button, ...]:
    row = [Button(ctx.t("back"), back)] if back else []
    return (*row, Button(ctx.t("main_menu"), "m:main"))


def _rows(buttons: list[Button], per_row: int = 1) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))


async def start(ctx: Ctx) -> list[Reply]:
    """/start: welcome naming the organisation, what is kept, and the main menu."""
    info = ctx.pack.info
    text = (
        ctx.t("welcome", name=info.name, org=info.organisation) + "\n\n" + ctx.t("privacy_short")
    )
    state.forget(ctx.user)  # a fresh start: nothing said before carries over
    return [Reply(text, buttons=main_buttons(ctx))]


# Where a person can share a location from the app; elsewhere it is typed (/location LAT LON).
SHARES_LOCATION = {"telegram", "zalo_oa"}
# Where buttons are shown as numbered choices to type.
NUMBERED_CHOICES = {"terminal", "zalo_bot", "zalo_oa"}


def help_text(ctx: Ctx) -> str:
    """The help, telling what this channel can do: share a location, or type it."""
    channel = ctx.incoming.channel
    lines = [ctx.t("help")]
    lines.append(
        ctx.t("help_location_share" if channel in SHARES_LOCATION else "help_location_type")
    )
    if channel in NUMBERED_CHOICES:
        lines.append(ctx.t("help_numbers"))
    return "\n".join(lines)


async def help_(ctx: Ctx) -> list[Reply]:
    """/help, and what a citizen gets for an unknown command."""
    return [Reply(help_text(ctx), buttons=main_buttons(ctx))]


async def main_menu(ctx: Ctx, *, edit: bool = False) -> list[Reply]:
    return [Reply(ctx.t("menu"), buttons=main_buttons(ctx), edit=edit)]


async def topics(ctx: Ctx, *, edit: bool = False) -> list[Reply]:
    """The topics that have classes, as buttons."""
    used = {c.topic for c in ctx.pack.courses}
    items = [
        button(topic.name, f"topic:{topic.id}") for topic in ctx.pack.topics if topic.id in used
    ]
    if not items:
        return [Reply(ctx.t("no_topics"), buttons=(_nav(ctx, None),), edit=edit)]
    return [Reply(ctx.t("pick_topic"), buttons=(*_rows(items), _nav(ctx, None)), edit=edit)]


async def libraries(ctx: Ctx, *, edit: bool = False) -> list[Reply]:
    items = [button(lib.name, f"library:{lib.id}") for lib in ctx.pack.libraries]
    if not items:
        return [Reply(ctx.t("no_libraries"), buttons=(_nav(ctx, None),), edit=edit)]
    return [Reply(ctx.t("pick_library"), buttons=(*_rows(items), _nav(ctx, None)), edit=edit)]


def _visits(ctx: Ctx, days: int) -> list[tuple[dt.date, str, str, str, str]]:
    """(date, time, place, commune, stop id) of every van visit not yet over in the next
    ``days`` days."""
    return [
        (day, stop.time, stop.place, stop.commune, stop.id)
        for day, stop in visits.upcoming(ctx.pack.stops, ctx.live.engine.local(ctx.now), days)
    ]


def _shown_stops(ctx: Ctx, ids: list[str], slots: dict[str, str]) -> None:
    """The van's stops just listed become the conversation state, in the order shown."""
    unique = tuple(dict.fromkeys(ids))
    if unique:
        state.keep(ctx.user, Context("mobile_stops", unique, slots, ctx.now))


async def van(ctx: Ctx, *, edit: bool = False) -> list[Reply]:
    """The van's next visits and one button per commune."""
    visits = _visits(ctx, VAN_DAYS)
    if not visits:
        return [Reply(ctx.t("no_visits"), buttons=(_nav(ctx, None),), edit=edit)]
    lines = [
        f"• {day_label(d, lang=ctx.lang, capital=True)}, {time}: {with_commune(place, commune)}"
        for d, time, place, commune, _ in visits[:8]
    ]
    _shown_stops(ctx, [stop_id for *_, stop_id in visits[:8]], {})
    communes = sorted({s.commune for s in ctx.pack.stops})
    items = [button(c, f"v:{slugify(c)}") for c in communes]
    text = ctx.t("pick_commune", schedule="\n".join(lines))
    return [Reply(text, buttons=(*_rows(items, 2), _nav(ctx, None)), edit=edit)]


async def commune(ctx: Ctx, slug: str) -> list[Reply]:
    """Every stop of one commune with its next visits."""
    stops = [s for s in ctx.pack.stops if slugify(s.commune) == slug]
    if not stops:
        return [Reply(ctx.t("stale_button"), buttons=(_nav(ctx, "m:van"),), edit=True)]
    parts = [ctx.t("commune_visits", commune=stops[0].commune)]
    answers = [ctx.live.engine.render(f"stop:{s.id}", ctx.now) for s in stops]
    parts += [a.text for a in answers]
    if len(answers) == 1:
        state.keep(ctx.user, answers[0].context)
    else:
        first = answers[0].context
        slots = {**(first.slots if first else {}), "commune": stops[0].commune}
        _shown_stops(ctx, [s.id for s in stops], slots)
    return [Reply("\n\n".join(parts), buttons=(_nav(ctx, "m:van"),), edit=True)]


async def faq_list(ctx: Ctx, page: int = 0, *, edit: bool = False) -> list[Reply]:
    """The FAQ questions, a page of buttons at a time."""
    entries = ctx.pack.faq
    page = max(0, min(page, max(0, (len(entries) - 1) // FAQ_PAGE)))
    chunk = entries[page * FAQ_PAGE : (page + 1) * FAQ_PAGE]
    items = [button(f.question, f"faq:{f.id}") for f in chunk]
    nav: list[Button] = []
    if page > 0:
        nav.append(Button(ctx.t("back"), f"m:faq:{page - 1}"))
    if (page + 1) * FAQ_PAGE < len(entries):
        nav.append(Button(ctx.t("more"), f"m:faq:{page + 1}"))
    rows = (*_rows(items), tuple(nav), (Button(ctx.t("main_menu"), "m:main"),))
    return [Reply(ctx.t("pick_faq"), buttons=tuple(r for r in rows if r), edit=edit)]


def feedback_row(ctx: Ctx, faq_id: str) -> tuple[Button, ...]:
    return (
        button(ctx.t("helpful"), f"fb:1:{faq_id}"),
        button(ctx.t("not_helpful"), f"fb:0:{faq_id}"),
    )


def item_reply(ctx: Ctx, ref: str, answer: Answer, *, edit: bool) -> Reply:
    """One item's answer with the buttons that lead on from it."""
    kind, _, item_id = ref.partition(":")
    rows: list[tuple[Button, ...]] = []
    if answer.choices:
        rows += _rows([choice_button(ctx.pack, c.label, c.ref) for c in answer.choices])
    back: str | None = None
    if kind == "faq":
        rows.append(feedback_row(ctx, item_id))
        back = "m:faq"
    elif kind == "course":
        course = ctx.pack.course(item_id)
        back = f"topic:{course.topic}" if course else "m:courses"
    elif kind == "topic":
        back = "m:courses"
    elif kind == "library":
        back = "m:hours"
    elif kind == "stop":
        back = "m:van"
    if kind in ("course", "stop"):
        rows += subscriptions.remind_rows(ctx, ref) + registration_rules.signup_rows(ctx, ref)
    rows.append(tuple(button(b.label, b.data) for b in _nav(ctx, back)))
    return Reply(
        answer.text, buttons=tuple(rows), edit=edit, feedback_for=ref if kind == "faq" else None
    )
