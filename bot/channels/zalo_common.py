"""What both Zalo surfaces share: errors, token redaction, splitting, numbered choices, the
interaction record, replay keys and per-user ordered workers.

Several instances may serve one OA or one bot, so everything that must survive a request
(the choices a number refers to, when a user last wrote, what was already handled) is kept in
the database, never in process memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import unicodedata
import zlib
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import logs
from bot.messages import Button, Incoming, Reply, split_text
from db.models_zalo import ZaloChoiceRow, ZaloInteractionRow, ZaloSeenRow

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

MAX_TEXT = 2000  # characters (UTF-16 units) per message, both surfaces
REDACTED = logs.REDACTED
T = TypeVar("T")

# --- errors ----------------------------------------------------------------------------------


class ZaloApiError(Exception):
    """An error answer of a Zalo API; the message never contains a token or a URL."""

    def __init__(
        self, method: str, code: int | None, description: str, http_status: int | None = None
    ) -> None:
        super().__init__(f"{method}: {code} {description}")
        self.method = method
        self.code = code
        self.description = description
        self.http_status = http_status


class ZaloAuthError(ZaloApiError):
    """The token is invalid or expired and could not be renewed: stop and alert."""


class ZaloQuotaError(ZaloApiError):
    """A quota or rate limit was hit: back off, do not hot-retry."""


class ZaloTransientError(ZaloApiError):
    """Network failure, 5xx or a non-JSON answer: may be retried later."""


# --- redaction -------------------------------------------------------------------------------
# One filter for the whole process lives in :mod:`bot.logs`; these names stay for callers here.
REDACTED_LOGGERS = logs.REDACTED_LOGGERS
RedactingFilter = logs.RedactingFilter
redaction = logs.redaction
redact_secrets = logs.redact_secrets


def utc(value: dt.datetime) -> dt.datetime:
    """Every time stored by this feature is UTC (SQLite keeps no offset)."""
    return value.astimezone(dt.UTC)


# --- text ------------------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Zalo counts."""
    return len(text.encode("utf-16-le")) // 2


def split_zalo(text: str, limit: int = MAX_TEXT) -> list[str]:
    """NFC-normalise and split at line boundaries into parts of at most ``limit`` UTF-16 units."""
    text = unicodedata.normalize("NFC", text)
    parts: list[str] = []
    for part in split_text(text, limit):
        parts.extend(_cut_units(part, limit) if utf16_len(part) > limit else [part])
    return parts


def _cut_units(text: str, limit: int) -> list[str]:
    """Cut text with astral characters (emoji count twice) at ≤``limit`` units, at a space."""
    parts: list[str] = []
    while utf16_len(text) > limit:
        units, end = 0, 0
        while end < len(text) and units + utf16_len(text[end]) <= limit:
            units += utf16_len(text[end])
            end += 1
        space = text.rfind(" ", 0, end)
        cut = space if space > end // 2 else end
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text.strip():
        parts.append(text)
    return [p for p in parts if p]


def plain(text: str) -> str:
    """Zalo gets plain text: a bold line ``**like this**`` loses its markers."""
    return "\n".join(
        line.strip()[2:-2]
        if len(line.strip()) > 4 and line.strip().startswith("**") and line.strip().endswith("**")
        else line
        for line in text.split("\n")
    )


CHOICE_HINT = "(Trả lời bằng số để chọn)"
NO_FILES = "(Tệp đính kèm {name} chỉ gửi được qua Telegram hoặc lệnh hoctap trên máy chủ.)"


def numbered(replies: Sequence[Reply]) -> list[tuple[str, list[Button]]]:
    """Each reply as text with its buttons numbered on, continuing across the replies."""
    out: list[tuple[str, list[Button]]] = []
    last = max((i for i, r in enumerate(replies) if r.buttons), default=-1)
    n = 0
    for i, reply in enumerate(replies):
        buttons = reply.flat_buttons
        lines = [plain(reply.text).rstrip()]
        if reply.attachment is not None:
            lines.append(NO_FILES.format(name=reply.attachment.file_name))
        if buttons:
            lines.append("")
            for button in buttons:
                n += 1
                lines.append(f"{n}. {button.label}")
            if i == last:
                lines.append(CHOICE_HINT)
        out.append(("\n".join(lines).strip() or "…", buttons))
    return out


def parse_text(text: str) -> dict[str, Any]:
    """Keyword arguments of an :class:`Incoming` for typed text: ``/cmd args`` or text."""
    stripped = text.strip()
    if stripped.startswith("/") and len(stripped) > 1 and stripped[1].isalnum():
        name, *args = stripped[1:].split()
        return {"command": name.lower(), "args": tuple(args)}
    return {"text": text}


async def to_incoming_text(
    sessions: async_sessionmaker[AsyncSession],
    base: dict[str, Any],
    text: str,
) -> Incoming:
    """Typed text as an Incoming: a number picks a stored choice, ``/x`` is a command.

    A number beyond the stored choices keeps their count, so the reply can say which to pick.
    """
    stripped = text.strip().rstrip(".")
    if stripped.isdecimal() and 0 < len(stripped) <= 3:
        async with sessions() as session:
            data = await lookup_choice(
                session, channel=base["channel"], user_id=base["chat_id"], number=int(stripped)
            )
            row = (
                None
                if data is not None
                else await session.get(ZaloChoiceRow, (base["channel"], base["chat_id"]))
            )
        if data is not None:
            return Incoming(**base, button=data)
        shown = len(row.choices) if row is not None and row.choices else 0
        return Incoming(**base, text=text, shown_choices=shown)
    return Incoming(**base, **parse_text(text))


# --- webhooks --------------------------------------------------------------------------------


# --- numbered choices ------------------------------------------------------------------------


async def save_choices(
    session: AsyncSession, *, channel: str, user_id: str, data: Sequence[str], now: dt.datetime
) -> None:
    """Remember the choices just shown to this user (the last list wins)."""
    row = await session.get(ZaloChoiceRow, (channel, user_id))
    if row is None:
        session.add(
            ZaloChoiceRow(channel=channel, user_id=user_id, choices=list(data), shown_at=utc(now))
        )
    else:
        row.choices = list(data)
        row.shown_at = utc(now)


async def lookup_choice(
    session: AsyncSession, *, channel: str, user_id: str, number: int
) -> str | None:
    """The button data behind ``number`` in the list last shown to this user, if any."""
    row = await session.get(ZaloChoiceRow, (channel, user_id))
    if row is None or not 1 <= number <= len(row.choices):
        return None
    value = row.choices[number - 1]
    return value if isinstance(value, str) else None


async def remember_choices(
    sessions: async_sessionmaker[AsyncSession],
    *,
    channel: str,
    user_id: str,
    buttons: Iterable[Button],
    now: dt.datetime,
) -> None:
    """Store the numbered choices of a batch of replies, if it had any."""
    data = [b.data for b in buttons]
    if not data:
        return
    async with sessions.begin() as session:
        await save_choices(session, channel=channel, user_id=user_id, data=data, now=now)


# --- interactions and replay keys ------------------------------------------------------------


async def touch_interaction(
    sessions: async_sessionmaker[AsyncSession], *, channel: str, user_id: str, now: dt.datetime
) -> None:
    """Record that the user interacted now (never moves the time backwards)."""
    async with sessions.begin() as session:
        row = await session.get(ZaloInteractionRow, (channel, user_id))
        if row is None:
            session.add(
                ZaloInteractionRow(channel=channel, user_id=user_id, last_interaction=utc(now))
            )
        elif _aware(row.last_interaction, now) < now:
            row.last_interaction = utc(now)


async def last_interaction(
    sessions: async_sessionmaker[AsyncSession], *, channel: str, user_id: str, now: dt.datetime
) -> dt.datetime | None:
    """When the user last interacted (aware, in ``now``'s zone), or None."""
    async with sessions() as session:
        row = await session.get(ZaloInteractionRow, (channel, user_id))
    return None if row is None else _aware(row.last_interaction, now)


def _aware(value: dt.datetime, like: dt.datetime) -> dt.datetime:
    """SQLite hands back naive UTC datetimes; make them comparable with ``like``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(like.tzinfo)


async def first_time(
    sessions: async_sessionmaker[AsyncSession], keys: Sequence[str], now: dt.datetime
) -> bool:
    """Record ``keys`` as handled; False if any was handled before (a replay or duplicate)."""
    try:
        async with sessions.begin() as session:
            for key in keys:
                session.add(ZaloSeenRow(key=key[:160], seen_at=utc(now)))
        return True
    except IntegrityError:
        return False


async def forget_seen(sessions: async_sessionmaker[AsyncSession], older_than: dt.datetime) -> None:
    """Drop replay keys older than the replay window."""
    async with sessions.begin() as session:
        await session.execute(delete(ZaloSeenRow).where(ZaloSeenRow.seen_at < utc(older_than)))


async def known_users(sessions: async_sessionmaker[AsyncSession], channel: str) -> list[str]:
    """Every user id with a recorded interaction on ``channel``."""
    async with sessions() as session:
        rows = await session.scalars(
            select(ZaloInteractionRow.user_id).where(ZaloInteractionRow.channel == channel)
        )
        return list(rows)


# --- unfollow ------------------------------------------------------------------------------

UnfollowHook = Callable[["App", str, str], Awaitable[None]]
_unfollow_hook: UnfollowHook | None = None


def set_unfollow_hook(hook: UnfollowHook | None) -> None:
    """Install what an unfollow does (the notifications feature unsubscribes the user)."""
    global _unfollow_hook
    _unfollow_hook = hook


async def on_unfollow(app: App, channel: str, user_id: str) -> None:
    """A user unfollowed: every subscription and reminder of theirs stops (consent withdrawn)."""
    if _unfollow_hook is not None:
        await _unfollow_hook(app, channel, user_id)
        return
    from bot.notify.subscriptions import stop_everything
    from db.models import UserRow

    async with app.sessions.begin() as session:
        user = await session.scalar(
            select(UserRow).where(UserRow.channel == channel, UserRow.user_id == user_id)
        )
        if user is None:
            return
        subs, reminders = await stop_everything(
            session, user_pk=user.id, now=app.now(), via=f"{channel}:unfollow",
            reason="người dùng bỏ theo dõi",
        )  # fmt: skip
    log.info("%s: unfollow: %d subscriptions and %d reminders stopped", channel, subs, reminders)


async def on_withdraw(app: App, channel: str, user_id: str) -> None:
    """The user asked Zalo to withdraw their data: erase everything linked to them."""
    from db.erase import erase_user
    from db.models import UserRow

    async with app.sessions.begin() as session:
        user = await session.scalar(
            select(UserRow).where(UserRow.channel == channel, UserRow.user_id == user_id)
        )
        counts = await erase_user(session, user, now=app.now()) if user is not None else {}
    if counts:
        log.info("%s: data withdrawal: erased %s", channel, counts)
    if "faq_alternates" in counts:  # their wordings left the live content
        await app.refresh(force=True)


# --- workers ---------------------------------------------------------------------------------


class Workers(Generic[T]):
    """N asyncio workers; items with the same key go to the same worker, so stay in order."""

    def __init__(
        self,
        name: str,
        handle: Callable[[T], Awaitable[None]],
        *,
        count: int = 4,
        size: int = 1000,
    ) -> None:
        self.name = name
        self.handle = handle
        self.queues: list[asyncio.Queue[T]] = [asyncio.Queue(size) for _ in range(count)]
        self.tasks: list[asyncio.Task[None]] = []
        self.handled = 0

    def submit(self, key: str, item: T) -> bool:
        """Queue ``item``; False when that worker's queue is full."""
        queue = self.queues[zlib.crc32(key.encode()) % len(self.queues)]
        try:
            queue.put_nowait(item)
        except asyncio.QueueFull:
            return False
        return True

    def start(self) -> None:
        """Start the worker tasks (idempotent)."""
        if not self.tasks:
            self.tasks = [
                asyncio.create_task(self._run(q), name=f"{self.name}-{i}")
                for i, q in enumerate(self.queues)
            ]

    async def _run(self, queue: asyncio.Queue[T]) -> None:
        while True:
            item = await queue.get()
            try:
                await self.handle(item)
            except Exception:
                log.exception("%s: handling an event failed", self.name)
            finally:
                self.handled += 1
                queue.task_done()

    def idle(self) -> bool:
        """Nothing queued or in progress."""
        return all(q.empty() and q._unfinished_tasks == 0 for q in self.queues)  # type: ignore[attr-defined]

    async def stop(self) -> None:
        """Cancel the workers (queued items are dropped)."""
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.tasks = []
