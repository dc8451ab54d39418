"""What a person did to the bot itself rather than said to it (``Incoming.event``).

- ``unfollow``: they left the Zalo OA, so every subscription and reminder of theirs stops
  (consent withdrawn);
- ``withdraw``: they asked Zalo to withdraw their data, so everything linked to them is erased.

Neither gets a reply, and neither creates the person: :func:`handlers.conversation.dispatch`
only routes an event of someone it already knows.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.app import App
from bot.messages import Reply
from bot.notify.subscriptions import stop_everything
from db.erase import erase_user
from handlers.context import Ctx

log = logging.getLogger(__name__)

UnfollowHook = Callable[[App, str, str], Awaitable[None]]
_unfollow_hook: UnfollowHook | None = None


def set_unfollow_hook(hook: UnfollowHook | None) -> None:
    """Replace what an unfollow does (tests); None restores stopping every notice."""
    global _unfollow_hook
    _unfollow_hook = hook


async def unfollow(ctx: Ctx) -> list[Reply]:
    """Every subscription and reminder of theirs stops (consent withdrawn)."""
    channel, user_id = ctx.incoming.channel, ctx.incoming.user_id
    if _unfollow_hook is not None:
        await _unfollow_hook(ctx.app, channel, user_id)
        return []
    subs, reminders = await stop_everything(
        ctx.session,
        user_pk=ctx.user.id,
        now=ctx.now,
        via=f"{channel}:unfollow",
        reason="người dùng bỏ theo dõi",
    )
    log.info("%s: unfollow: %d subscriptions and %d reminders stopped", channel, subs, reminders)
    return []


async def withdraw(ctx: Ctx) -> list[Reply]:
    """Erase everything linked to them (their wordings leave the live content too)."""
    counts = await erase_user(ctx.session, ctx.user, now=ctx.now)
    ctx.user_erased = True
    if counts:
        log.info("%s: data withdrawal: erased %s", ctx.incoming.channel, counts)
    if "faq_alternates" in counts:
        ctx.content_changed = True  # reloaded once the erasure is committed
    return []


EVENTS: dict[str, Callable[[Ctx], Awaitable[list[Reply]]]] = {
    "unfollow": unfollow,
    "withdraw": withdraw,
}


async def event(ctx: Ctx) -> list[Reply]:
    """Act on an event; an unknown one is ignored."""
    handler = EVENTS.get(ctx.incoming.event or "")
    return await handler(ctx) if handler is not None else []
