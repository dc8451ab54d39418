"""Models of "ask a person" (registered on db.models.Base).

A citizen's question sent to staff (``staff_questions``): the text as they sent it, the lines
they added, what the bot had tried (kinds and item ids, never text), who claimed it and until
when, the answer or the reason it was closed. The answer goes back through the outbox as the
broadcast ``ask:<id>:answer`` (or ``ask:<id>:closed``); the staff notices are ``ask:<id>:new``,
``ask:<id>:add:<n>`` and ``ask:<id>:held``. The row belongs to the person (``user_pk``,
deleted with them by ``/xoadulieu``); finished rows and their broadcasts are purged after
``HOCTAP_RETENTION_DAYS``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.models import AwareDateTime, Base

STATUSES = ("open", "answered", "closed", "withdrawn")


class StaffQuestionRow(Base):
    """One question a citizen sent to staff; ``status`` one of :data:`STATUSES`."""

    __tablename__ = "staff_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    who: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text)
    additions: Mapped[list[str]] = mapped_column(JSON, default=list)
    tried: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="open")
    asked_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[dt.datetime | None] = mapped_column(AwareDateTime())
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(100))
    close_reason: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime())
    held_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime())

    __table_args__ = (Index("ix_staff_questions_status_asked", "status", "asked_at"),)
