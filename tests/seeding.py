"""Writing many opted-in subscribers straight into the database (tests and benchmarks)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import insert, select

from bot.app import App
from db.models import UserRow
from db.models_notify import SubscriptionRow


async def seed_subscribers(app: App, chats: Iterable[int], *, purpose: str) -> None:
    """One Telegram user per chat id, each subscribed to every announcement."""
    now = app.now()
    async with app.sessions.begin() as session:
        await session.execute(
            insert(UserRow),
            [
                {
                    "channel": "telegram",
                    "user_id": str(c),
                    "chat_id": str(c),
                    "first_seen": now,
                    "last_seen": now,
                }
                for c in chats
            ],
        )
        ids = list(await session.scalars(select(UserRow.id)))
        await session.execute(
            insert(SubscriptionRow),
            [
                {
                    "user_pk": pk,
                    "kind": "all",
                    "value": "",
                    "consented_at": now,
                    "purpose": purpose,
                }
                for pk in ids
            ],
        )
