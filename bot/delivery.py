"""How the outbox talks to a channel: one proactive message to one chat, and its outcome.

Each platform's sender (``bot/channels/*``) implements :class:`Sender`; the outbox never
imports a platform library. Replies to a user's own message go straight back through the
channel and do not use this.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from bot.messages import Reply

Status = Literal["sent", "retry", "blocked", "failed", "skipped"]


@dataclass(frozen=True)
class Outcome:
    """What happened to one delivery attempt.

    ``sent``: delivered. ``retry``: try again after ``retry_after`` seconds (429, or a
    transient network or server error when ``retry_after`` is None). ``blocked``: the user
    blocked the bot or left (403); never try again and unsubscribe them. ``failed``: a
    permanent error (400...). ``skipped``: not sent on purpose (``reason`` says why, e.g.
    outside Zalo's messaging window).
    """

    status: Status
    reason: str | None = None
    retry_after: float | None = None


class Sender(Protocol):
    """A channel able to message a chat on its own initiative."""

    channel: str

    async def can_message(self, chat_id: str, now: dt.datetime) -> tuple[bool, str | None]:
        """Whether the platform's rules let us message this chat now, and if not why."""
        ...

    async def deliver(self, chat_id: str, reply: Reply) -> Outcome:
        """Send one message; never raises for a platform error (that is the Outcome)."""
        ...
