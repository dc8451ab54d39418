"""The intake: every platform update, stored before it is acknowledged (registered on Base).

A row is written (and committed) before the webhook answers 200 or the polling offset moves
past the update; it is then claimed with a lease, handled, and marked ``done``. ``payload``
holds the update as the platform sent it (a citizen's text among it) only until then: a done
or failed row keeps nothing but what deduplication needs (channel, key, status, times).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models import AwareDateTime, Base


class IntakeRow(Base):
    """One update: ``pending`` → ``processing`` (leased) → ``done`` (or ``failed``)."""

    __tablename__ = "intake"
    __table_args__ = (
        UniqueConstraint("channel", "update_key", name="uq_intake_channel_update_key"),
        Index("ix_intake_status_available", "status", "available_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    update_key: Mapped[str] = mapped_column(String(200))
    chat_key: Mapped[str] = mapped_column(String(64), default="")
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())
    lease_until: Mapped[dt.datetime | None] = mapped_column(AwareDateTime(), nullable=True)
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    received_at: Mapped[dt.datetime] = mapped_column(AwareDateTime(), index=True)
    done_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime(), nullable=True)
