"""Models of the notify feature (registered on db.models.Base).

Subscriptions and reminders exist only by a citizen's explicit press (``consent_log`` keeps every
grant and withdrawal with its time and purpose). Broadcasts are an outbox: one ``broadcasts`` row
per message to send (unique ``source``, e.g. ``pack:<id>``, ``staff:<n>``, ``reminder:…``,
``change:…``) and one ``deliveries`` row per recipient, written in one transaction.
Every moment is an :class:`~db.models.AwareDateTime` (stored as UTC on SQLite).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models import AwareDateTime, Base


class SubscriptionRow(Base):
    """One opt-in: ``kind`` all / topic / commune, ``value`` the topic id or commune name."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(200), default="")
    consented_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())
    purpose: Mapped[str] = mapped_column(String(200))

    __table_args__ = (
        UniqueConstraint("user_pk", "kind", "value", name="uq_subscriptions_user_kind_value"),
        Index("ix_subscriptions_kind_value", "kind", "value"),
    )


class ConsentRow(Base):
    """Every grant or withdrawal of consent, kept as evidence (``action`` grant / withdraw)."""

    __tablename__ = "consent_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(AwareDateTime())
    action: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(String(300), default="")
    via: Mapped[str] = mapped_column(String(64), default="")


class ReminderRow(Base):
    """A reminder a citizen asked for: ``ref`` course:<id> / stop:<id> on ``target_date``.

    ``snapshot`` keeps what the item looked like when asked, for change notices.
    ``status``: active, done, cancelled.
    """

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    ref: Mapped[str] = mapped_column(String(160), index=True)
    target_date: Mapped[dt.date] = mapped_column(Date)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    reason: Mapped[str | None] = mapped_column(Text)


class UnreachableRow(Base):
    """A user the platform refused (403: blocked the bot, deactivated)."""

    __tablename__ = "unreachable_users"

    user_pk: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    at: Mapped[dt.datetime] = mapped_column(AwareDateTime())
    reason: Mapped[str] = mapped_column(Text)


class BroadcastRow(Base):
    """One message to many: ``source`` is unique so a due item becomes exactly one broadcast.

    ``status``: running (deliveries to make), done, expired (due too long ago, nothing sent),
    cancelled.
    """

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text)
    buttons: Mapped[list[list[list[str]]]] = mapped_column(JSON, default=list)
    due_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())
    status: Mapped[str] = mapped_column(String(16), default="running", index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    total: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime())


class DeliveryRow(Base):
    """One recipient of one broadcast.

    ``status``: pending, sending (claimed until ``claimed_until``), sent, failed, skipped, held
    (a staff answer the channel would not carry now, e.g. outside Zalo OA's 7-day window: the
    channel is asked again every minute, so it goes once the person writes again).
    """

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    broadcast_id: Mapped[int] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE"), index=True
    )
    user_pk: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())
    claimed_until: Mapped[dt.datetime | None] = mapped_column(AwareDateTime())
    claim_token: Mapped[str | None] = mapped_column(String(40))
    sent_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime())
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("broadcast_id", "user_pk", name="uq_deliveries_broadcast_user"),
        Index("ix_deliveries_status_next", "status", "next_attempt_at"),
        Index("ix_deliveries_claim_token", "claim_token"),
    )


class NotifyStateRow(Base):
    """Small persistent facts of the notifier (``content_version``: the last one processed)."""

    __tablename__ = "notify_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())
