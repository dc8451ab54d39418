"""Personal data: what is kept and why (/quyenriengtu), and erasure on request (/xoadulieu).

Follows Vietnam's Law on Personal Data Protection 91/2025/QH15: the person is told what is kept
and for what, consents per purpose are recorded and can be withdrawn, and everything linked to
them is erased on request after one confirmation.
"""

from __future__ import annotations

from bot.messages import Button, Reply
from db.erase import describe, erase_user
from handlers import my_registrations
from handlers.context import Ctx


async def notice(ctx: Ctx) -> list[Reply]:
    """/quyenriengtu: the full privacy notice."""
    text = ctx.t(
        "privacy_notice",
        account=ctx.t(f"account_{ctx.incoming.channel}"),
        days=ctx.app.settings.retention_days,
        reg_days=ctx.app.settings.registration_retention_days,
        org=ctx.pack.info.organisation,
        contact=ctx.pack.info.contact,
    )
    return [Reply(text)]


async def ask_erase(ctx: Ctx) -> list[Reply]:
    """/xoadulieu: ask for confirmation first."""
    buttons = ((Button(ctx.t("erase_yes"), "pv:erase"), Button(ctx.t("erase_no"), "pv:keep")),)
    return [Reply(ctx.t("erase_ask"), buttons=buttons)]


async def erase(ctx: Ctx) -> list[Reply]:
    """The confirmed erasure: everything linked to this person goes, then we say what went."""
    await my_registrations.release_all(ctx)  # their seats go to the people waiting
    counts = await erase_user(ctx.session, ctx.user, now=ctx.now)
    ctx.user_erased = True
    ctx.content_changed = ctx.content_changed or "faq_alternates" in counts
    lines = describe(counts, "en" if ctx.lang == "en" else "vi")
    head = ctx.t("erased")
    if lines:
        head += ctx.t("erased_what")
    return [Reply("\n".join([head, *lines]), edit=True)]


async def keep(ctx: Ctx) -> list[Reply]:
    return [Reply(ctx.t("erase_kept"), edit=True)]
