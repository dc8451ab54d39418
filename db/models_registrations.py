"""Models of in-chat class sign-up (registered on db.models.Base).

``course_seats`` holds one row per class that anyone signed up for: the row every sign-up and
cancellation of that class locks first (``UPDATE``: a row lock on PostgreSQL, the write lock on
SQLite), so seats are counted and given out one at a time on any number of instances.
``registrations`` keeps the person's name and phone for this purpose only, until
``HOCTAP_REGISTRATION_RETENTION_DAYS`` after the class ends (``class_end``), or ``/xoadulieu``.
``demand_requests`` are "Báo tôi khi có lớp" presses: a topic (and commune) someone asked for.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models import AwareDateTime, Base


class CourseSeatsRow(Base):
    """The lock row of one class; ``next_seq`` numbers its sign-ups in arrival order."""

    __tablename__ = "course_seats"

    course_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    next_seq: Mapped[int] = mapped_column(Integer, default=1)


class RegistrationRow(Base):
    """One person's sign-up for one class.

    ``status``: confirmed (has a seat), waiting (on the waiting list), cancelled. ``seq`` is the
    arrival order within the class (the waiting list is served in it).
    """

    __tablename__ = "registrations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    course_id: Mapped[str] = mapped_column(String(120))
    user_pk: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16))
    seq: Mapped[int] = mapped_column(Integer)
    class_end: Mapped[dt.date] = mapped_column(Date, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())
    changed_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())
    reason: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (Index("ix_registrations_course_status_seq", "course_id", "status", "seq"),)


class DemandRow(Base):
    """Someone asked to be told when a class on ``topic`` (in ``commune``, if known) opens.

    ``status``: open, notified (told of ``course_id``).
    """

    __tablename__ = "demand_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    topic: Mapped[str] = mapped_column(String(120), index=True)
    commune: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    course_id: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())
