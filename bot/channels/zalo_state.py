"""What a Zalo surface keeps between requests, one transaction at a time (queries in
:mod:`db.zalo`).

Several instances may serve one OA or one bot, so everything that must survive a request
(the choices a number refers to, when a user last wrote, what was already handled) is kept in
the database, never in process memory. An inbound message costs one transaction here
(:func:`begin_message`) besides the conversation's own; sending buttons costs one more (the
numbers must be stored before they are shown). No network call is made inside any of them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from bot.channels.zalo_text import choice_number
from bot.messages import Button, Incoming
from db import zalo as store

if TYPE_CHECKING:
    from bot.app import App


async def begin_message(app: App, incoming: Incoming) -> Incoming:
    """The bookkeeping of one inbound message, in one transaction: the user interacted now,
    and a typed number is mapped back to the choice it picks.

    A number beyond the stored choices keeps their count, so the reply can say which to pick.
    """
    number = choice_number(incoming.text) if incoming.text is not None else None
    async with app.sessions.begin() as session:
        picked: str | None = None
        shown = 0
        if number is not None:
            picked, shown = await store.lookup_choice(
                session, channel=incoming.channel, user_id=incoming.chat_id, number=number
            )
        await store.touch_interaction(
            session, channel=incoming.channel, user_id=incoming.chat_id, now=app.now()
        )
    if picked is not None:
        return dataclasses.replace(incoming, text=None, button=picked)
    if number is not None:
        return dataclasses.replace(incoming, shown_choices=shown)
    return incoming


async def remember_choices(
    app: App, *, channel: str, user_id: str, buttons: Iterable[Button]
) -> None:
    """Store the numbered choices of a batch of replies, if it had any."""
    data = [b.data for b in buttons]
    if not data:
        return
    async with app.sessions.begin() as session:
        await store.save_choices(
            session, channel=channel, user_id=user_id, data=data, now=app.now()
        )


async def last_interaction(app: App, *, channel: str, user_id: str) -> dt.datetime | None:
    """When the user last interacted (aware UTC), or None."""
    async with app.sessions() as session:
        return await store.last_interaction(session, channel=channel, user_id=user_id)


async def first_time(app: App, keys: Sequence[str]) -> bool:
    """Record ``keys`` as handled; False if any was handled before (a replay or duplicate)."""
    async with app.sessions.begin() as session:
        return await store.first_time(session, keys, app.now())


async def forget_seen(app: App, older_than: dt.datetime) -> None:
    """Drop replay keys older than the replay window."""
    async with app.sessions.begin() as session:
        await store.forget_seen(session, older_than)
