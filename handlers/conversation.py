"""The conversation, channel-agnostic: ``dispatch(incoming, app) -> [Reply]``.

One ordered table decides who handles what (see ``ROUTES``). Order matters: what the platform
delivered that we cannot read is answered first, then files, locations, button presses,
commands, and last free text, which goes to the answering engine.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable

from bot.app import App
from bot.messages import DURABLE, Button, Incoming, Reply
from db.errors import DBAPIError, OperationalError
from db.staff import mark_disliked
from db.users import find_user, flood_state, record_feedback, touch_user
from handlers import (
    ask,
    ask_person,
    demand,
    lifecycle,
    menu,
    my_registrations,
    places,
    privacy,
    registration,
    staff,
    staff_registrations,
    state,
    subscriptions,
    uploads,
)
from handlers.context import Ctx, resolve
from handlers.texts import t

log = logging.getLogger(__name__)

Handler = Callable[[Ctx], Awaitable[list[Reply]]]


async def _unsupported(ctx: Ctx) -> list[Reply]:
    return [Reply(ctx.t("unsupported"))]


async def _document(ctx: Ctx) -> list[Reply]:
    """Only staff may upload (content spreadsheets); a citizen's file gets a polite no."""
    if staff.allowed(ctx.role, "editor"):
        return await staff.upload(ctx)
    return [Reply(ctx.t("document_citizen"))]


async def _location(ctx: Ctx) -> list[Reply]:
    assert ctx.incoming.location is not None
    return await places.nearest(ctx, *ctx.incoming.location)


async def _location_command(ctx: Ctx) -> list[Reply]:
    """/location LAT LON (the terminal's way to share a place)."""
    args = ctx.incoming.args
    try:
        lat, lon = float(args[0].replace(",", ".")), float(args[1].replace(",", "."))
    except (IndexError, ValueError):
        return [Reply(ctx.t("location_bad"))]
    return await places.nearest(ctx, lat, lon)


async def _lang(ctx: Ctx) -> list[Reply]:
    choice = (ctx.incoming.args[0].lower() if ctx.incoming.args else "")[:2]
    if choice in ("vi", "en"):
        ctx.user.language = choice
        return [Reply(t("lang_set", choice), buttons=menu.main_buttons(ctx))]
    buttons = ((Button("Tiếng Việt", "lang:vi"), Button("English", "lang:en")),)
    return [Reply(ctx.t("lang_pick"), buttons=buttons)]


COMMANDS: dict[str, Handler] = {
    "start": menu.start,
    "help": menu.help_,
    "trogiup": menu.help_,
    "menu": menu.main_menu,
    "lophoc": menu.topics,
    "giomocua": menu.libraries,
    "xethuvien": menu.van,
    "hoidap": menu.faq_list,
    "thongbao": subscriptions.menu,
    "huy": subscriptions.stop_all,
    "lang": _lang,
    "location": _location_command,
    "quyenriengtu": privacy.notice,
    "xoadulieu": privacy.ask_erase,
    "hoicanbo": ask_person.command,
}


# Staff commands: the staff tools, and the sign-up ones (which extend /thongke with demand).
STAFF_COMMANDS = {**staff.COMMANDS, **staff_registrations.COMMANDS}


async def _command(ctx: Ctx) -> list[Reply]:
    name = ctx.incoming.command or ""
    if name in STAFF_COMMANDS:
        least, handler = STAFF_COMMANDS[name]
        if staff.allowed(ctx.role, least):
            return await handler(ctx)
    # An unknown command, or a staff command from someone who is not, gets the ordinary help.
    return await COMMANDS.get(name, menu.help_)(ctx)


ButtonHandler = Callable[[Ctx, str], Awaitable[list[Reply]]]  # (ctx, the pressed data)


def _rest(data: str) -> str:
    return data.partition(":")[2]


async def _staff_button(ctx: Ctx, data: str) -> list[Reply]:
    replies = await staff.button(ctx, data)
    return replies if replies is not None else await menu.help_(ctx)


async def _staff_signups_button(ctx: Ctx, data: str) -> list[Reply]:
    replies = await staff_registrations.button(ctx, data)
    return replies if replies is not None else await menu.help_(ctx)


async def _ask_staff_button(ctx: Ctx, data: str) -> list[Reply]:
    return await ask_person.button(ctx, _rest(data))


async def _demand_button(ctx: Ctx, data: str) -> list[Reply]:
    return await demand.press(ctx)


async def _privacy_button(ctx: Ctx, data: str) -> list[Reply]:
    return await (privacy.erase(ctx) if _rest(data) == "erase" else privacy.keep(ctx))


async def _menu_button(ctx: Ctx, data: str) -> list[Reply]:
    section, _, page = _rest(data).partition(":")
    if section == "courses":
        return await menu.topics(ctx, edit=True)
    if section == "hours":
        return await menu.libraries(ctx, edit=True)
    if section == "van":
        return await menu.van(ctx, edit=True)
    if section == "faq":
        return await menu.faq_list(ctx, int(page) if page.isdecimal() else 0, edit=True)
    if section == "notify":
        return await subscriptions.menu(ctx, edit=True)
    return await menu.main_menu(ctx, edit=True)


async def _commune_button(ctx: Ctx, data: str) -> list[Reply]:
    return await menu.commune(ctx, _rest(data))


async def _language_button(ctx: Ctx, data: str) -> list[Reply]:
    ctx.incoming = dataclasses.replace(ctx.incoming, args=(_rest(data),))
    return await _lang(ctx)


async def _feedback_button(ctx: Ctx, data: str) -> list[Reply]:
    helpful, _, faq_id = _rest(data).partition(":")
    await record_feedback(
        ctx.session, user_pk=ctx.user.id, ref=f"faq:{faq_id}", helpful=helpful == "1", now=ctx.now
    )
    if helpful == "1":
        return [Reply(ctx.t("thanks_feedback"), notice=ctx.t("thanks_feedback"))]
    await mark_disliked(ctx.session, ctx.user.id, faq_id)
    return [Reply(ctx.t("feedback_bad", contact=ctx.pack.info.contact))]


async def _item_button(ctx: Ctx, data: str) -> list[Reply]:
    answer = ctx.live.engine.render(data, ctx.now)
    if answer.kind == "fallback":
        return await _stale_button(ctx, data)
    state.keep(ctx.user, answer.context)  # a pressed item is what was "just shown"
    # Browsing edits the menu message; an answer picked from a clarify list is new.
    edit = data.partition(":")[0] in ("topic", "library", "course")
    return [menu.item_reply(ctx, data, answer, edit=edit)]


async def _stale_button(ctx: Ctx, data: str) -> list[Reply]:
    return [Reply(ctx.t("stale_button"), buttons=menu.main_buttons(ctx))]


# What a pressed button does, by readable action name (the staff ones route on in staff.ACTIONS).
BUTTONS: dict[str, ButtonHandler] = {
    "staff": _staff_button,
    "staff_signups": _staff_signups_button,  # /dangky: rosters, spreadsheets, cancelling
    "ask_staff": _ask_staff_button,  # a citizen's question to staff
    "signup": registration.on_button,  # 📝 Đăng ký under a class
    "signup_consent": registration.on_button,  # Đồng ý / Thôi
    "cancel_signup": registration.on_button,  # "đăng ký của tôi"
    "demand": _demand_button,  # 🙋 Báo tôi khi có lớp
    "privacy": _privacy_button,  # /xoadulieu's confirmation
    "menu": _menu_button,
    "commune": _commune_button,  # the van's stops in one commune
    "notices": subscriptions.on_button,  # /thongbao's toggles
    "remind": subscriptions.on_button,  # ⏰ Nhắc tôi
    "cancel_reminder": subscriptions.on_button,
    "language": _language_button,
    "feedback": _feedback_button,  # 👍 / 👎 under a FAQ answer
    "item": _item_button,  # a FAQ, class, topic, library, centre or van stop by its ref
}
# Button data starts with a short code (it must fit 64 bytes, and the buttons already sent sit
# under messages in people's chats, so the codes on the wire stay as they are): its action.
BUTTON_CODES: dict[str, str] = {
    "st": "staff",
    "sr": "staff_signups",
    "hq": "ask_staff",
    "rg": "signup",
    "rG": "signup",  # a course id too long for 64 bytes, hashed
    "rgy": "signup_consent",
    "rgn": "signup_consent",
    "rgx": "cancel_signup",
    "dm": "demand",
    "pv": "privacy",
    "m": "menu",
    "v": "commune",
    "n": "notices",
    "rm": "remind",
    "rmx": "cancel_reminder",
    "lang": "language",
    "fb": "feedback",
    **{kind: "item" for kind in ("faq", "course", "topic", "library", "center", "stop")},
}


async def _button(ctx: Ctx) -> list[Reply]:
    """Route a pressed button by its data's code (``BUTTON_CODES``, then ``BUTTONS``)."""
    data = resolve(ctx.incoming.button or "", ctx.pack)
    if data is None:
        return await _stale_button(ctx, "")
    handler = BUTTONS.get(BUTTON_CODES.get(data.partition(":")[0], ""), _stale_button)
    return await handler(ctx, data)


async def _text(ctx: Ctx) -> list[Reply]:
    text = (ctx.incoming.text or "").strip()
    if not text:
        return [Reply(ctx.t("empty"))]
    shown = ctx.incoming.shown_choices
    if shown and text.rstrip(".").isdecimal():
        # A number beyond the numbered choices shown (terminal, Zalo): say which to pick.
        return [Reply(ctx.t("choice_range", last=shown))]
    if ctx.role is not None:
        replies = await staff.dialog_text(ctx, text)
        if replies is not None:
            return replies
    if ask_person.writing(ctx.user) is not None:  # a question to staff being written
        return await ask_person.dialog_text(ctx, text) or []
    replies = await registration.dialog_text(ctx, text)
    if replies is not None:
        return replies
    if my_registrations.asks_for_my_sign_ups(text):
        return await my_registrations.my_sign_ups(ctx)
    if subscriptions.asks_for_my_reminders(text):
        return await subscriptions.my_reminders(ctx, text)
    replies = await registration.typed_sign_up(ctx, text)
    if replies is not None:
        return replies
    return await ask.free_text(ctx, text)


async def _contact(ctx: Ctx) -> list[Reply]:
    """A phone shared with the contact button: the phone step of a sign-up."""
    return await registration.phone(ctx, ctx.incoming.contact or "")


Route = tuple[Callable[[Incoming], bool], Handler]

# Note: order matters. The first route whose test matches handles the message.
ROUTES: list[Route] = [
    (lambda m: m.unsupported is not None, _unsupported),
    (lambda m: m.document is not None, _document),
    (lambda m: m.location is not None, _location),
    (lambda m: m.contact is not None, _contact),
    (lambda m: m.button is not None, _button),
    (lambda m: m.command is not None, _command),
    (lambda m: m.event is not None, lifecycle.event),
    (lambda m: True, _text),
]


DB_RETRIES = 3
DB_RETRY_DELAY = 0.5


def _kind(incoming: Incoming) -> str:
    kinds = ("unsupported", "document", "location", "contact", "button", "command", "event")
    for kind in kinds:
        if getattr(incoming, kind) is not None:
            return kind
    return "text"


def not_private(incoming: Incoming) -> list[Reply]:
    """What a group or channel gets: nothing, or one polite pointer to a private chat for a
    command of ours. Nothing is read from or written to the database: the person's row (and
    so where their notices go) is never pointed at a group, chatter is never logged as a
    question, and staff content (digest, inbox, dialogs) never opens in front of a group.
    """
    name = incoming.command or ""
    if name in COMMANDS or name in STAFF_COMMANDS:
        lang = "en" if (incoming.language or "").startswith("en") else "vi"
        return [Reply(t("private_only", lang))]
    return []


async def dispatch(incoming: Incoming, app: App) -> list[Reply]:
    """Answer one incoming message; never raises (an error gets an apology).

    A database that is briefly unavailable is retried a few times before apologising; an
    update handled from the durable intake (``DURABLE``) raises instead, to be handled again.
    Only private chats are conversations (:func:`not_private`).
    """
    started = time.perf_counter()
    app.metrics.updates.labels(incoming.channel, _kind(incoming)).inc()
    if not incoming.private:
        return not_private(incoming)
    try:
        if incoming.document is not None:
            incoming = await uploads.read_ahead(incoming, app)  # off the loop, no transaction
        for attempt in range(DB_RETRIES):
            try:
                return await _dispatch(incoming, app)
            except (OperationalError, DBAPIError, OSError) as exc:
                if attempt == DB_RETRIES - 1:
                    raise
                log.warning("database unavailable (%s); retrying", type(exc).__name__)
                await asyncio.sleep(DB_RETRY_DELAY * (attempt + 1))
    except (OperationalError, DBAPIError, OSError):
        if DURABLE.get():
            raise  # stored in the intake: it is handled again once the database is back
        log.exception("handler failed for %s update from %s", incoming.channel, incoming.user_key)
    except Exception:
        log.exception("handler failed for %s update from %s", incoming.channel, incoming.user_key)
    finally:
        app.metrics.latency.observe(time.perf_counter() - started)
    return [] if incoming.event is not None else [Reply(t("error", "vi"))]


async def _dispatch(incoming: Incoming, app: App) -> list[Reply]:
    live = await app.require_live()
    now = app.now()
    async with app.sessions.begin() as session:
        if incoming.event is not None:
            # Not a message (an unfollow, a withdrawal): nobody is created or touched, and
            # someone never seen has nothing to act on.
            known = await find_user(session, channel=incoming.channel, user_id=incoming.user_id)
            if known is None:
                return []
            user, role = known, None
        else:
            user, role = await touch_user(
                session,
                channel=incoming.channel,
                user_id=incoming.user_id,
                chat_id=incoming.chat_id,
                now=now,
                quiet=app.settings.conversation_quiet,
            )
            if f"{incoming.channel}:{incoming.user_id}" in app.settings.staff_ids:
                role = "admin"  # the settings' initial staff (see db.staff.role_of)
        ctx = Ctx(
            app=app, incoming=incoming, live=live, session=session, user=user, now=now, role=role
        )
        if role is None and incoming.event is None:
            flood = flood_state(user, app.settings.flood_per_minute)
            if flood != "ok":
                # Too many messages this minute: say so once, then stay quiet until it passes.
                return [Reply(ctx.t("flood"))] if flood == "warn" else []
        replies: list[Reply] = []
        for test, handler in ROUTES:
            if test(incoming):
                replies = await handler(ctx)
                break
    if ctx.content_changed:
        await app.refresh(force=True)  # committed: this instance answers from it at once
    return replies
