"""Models of the zalo feature (registered on db.models.Base).

Everything several instances serving one OA or one bot must agree on lives here, not in
process memory: the OA token pair (single-use refresh tokens), each user's last interaction
(the OA messaging window), the numbered choices last shown to each user, and the keys of
webhook deliveries and updates already handled (replays and duplicates).

Every moment is an :class:`~db.models.AwareDateTime`: stored as UTC, read back aware.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.models import AwareDateTime, Base


class ZaloTokenRow(Base):
    """One OAuth token pair; ``lease_*`` marks a refresh in progress (compare-and-swap)."""

    __tablename__ = "zalo_tokens"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime())
    generation: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[dt.datetime | None] = mapped_column(AwareDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())


class ZaloInteractionRow(Base):
    """When a user last interacted with us on a Zalo surface (the OA's 7-day window)."""

    __tablename__ = "zalo_interactions"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_interaction: Mapped[dt.datetime] = mapped_column(AwareDateTime())


class ZaloChoiceRow(Base):
    """The numbered choices last shown to a user: ``choices[n - 1]`` is the button data."""

    __tablename__ = "zalo_choices"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    choices: Mapped[list[Any]] = mapped_column(JSON, default=list)
    shown_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())


class ZaloSeenRow(Base):
    """A webhook delivery or update already accepted (signature, message id)."""

    __tablename__ = "zalo_seen"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    seen_at: Mapped[dt.datetime] = mapped_column(AwareDateTime(), index=True)
