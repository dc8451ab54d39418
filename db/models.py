"""SQLAlchemy models. Content rows carry the content version they belong to.

Applying a pack writes a complete copy of it under a new ``content_versions`` row and moves the
single ``content_head`` pointer; earlier versions stay for rollback. Content is small (thousands
of rows at most), so copying keeps every version self-contained and rollback trivial.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class AwareDateTime(TypeDecorator[dt.datetime]):
    """A moment in time, aware, identical on both databases.

    PostgreSQL keeps ``timestamptz``; SQLite has no time zones, so the value is stored as UTC
    and read back as aware UTC (plain ``DateTime(timezone=True)`` would give back naive local
    times there, off by the zone offset).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one (app.now())")
        return value.astimezone(dt.UTC) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints stably."""

    metadata = MetaData(naming_convention=NAMING)


def _version_fk() -> Mapped[int]:
    return mapped_column(
        ForeignKey("content_versions.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ContentVersion(Base):
    """One applied pack: who applied it, from where, and what it changed."""

    __tablename__ = "content_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())
    author: Mapped[str] = mapped_column(String(200), default="cli")
    source: Mapped[str] = mapped_column(String(500), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ContentHead(Base):
    """The single row naming the live content version."""

    __tablename__ = "content_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("content_versions.id"))


class PackInfoRow(Base):
    __tablename__ = "pack_info"

    version_id: Mapped[int] = _version_fk()
    name: Mapped[str] = mapped_column(Text)
    organisation: Mapped[str] = mapped_column(Text)
    timezone: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(8))
    contact: Mapped[str] = mapped_column(Text)
    has_mobile: Mapped[bool] = mapped_column(Boolean, default=False)
    vehicle_name: Mapped[str | None] = mapped_column(Text)
    vehicle_description: Mapped[str | None] = mapped_column(Text)
    vehicle_phone: Mapped[str | None] = mapped_column(String(64))
    lexicon: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class TopicRow(Base):
    __tablename__ = "topics"

    version_id: Mapped[int] = _version_fk()
    slug: Mapped[str] = mapped_column(String(120), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    synonyms: Mapped[list[str]] = mapped_column(JSON, default=list)


class CenterRow(Base):
    __tablename__ = "centers"

    version_id: Mapped[int] = _version_fk()
    slug: Mapped[str] = mapped_column(String(120), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    commune: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(64))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)


class CourseRow(Base):
    __tablename__ = "courses"

    version_id: Mapped[int] = _version_fk()
    slug: Mapped[str] = mapped_column(String(120), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    topic: Mapped[str] = mapped_column(String(120))
    center: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    weekdays: Mapped[list[str]] = mapped_column(JSON, default=list)
    time_range: Mapped[str | None] = mapped_column(String(16))
    fee: Mapped[int] = mapped_column(Integer, default=0)
    capacity: Mapped[int | None] = mapped_column(Integer)
    registration_closes: Mapped[dt.date | None] = mapped_column(Date)
    registration: Mapped[str | None] = mapped_column(Text)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)


class LibraryRow(Base):
    __tablename__ = "libraries"

    version_id: Mapped[int] = _version_fk()
    slug: Mapped[str] = mapped_column(String(120), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    address: Mapped[str] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(64))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    services: Mapped[list[str]] = mapped_column(JSON, default=list)


class LibraryHoursRow(Base):
    """One opening span of one weekday (a day with no row is a closed day)."""

    __tablename__ = "library_hours"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("content_versions.id", ondelete="CASCADE"), index=True
    )
    library: Mapped[str] = mapped_column(String(120))
    weekday: Mapped[str] = mapped_column(String(3))
    position: Mapped[int] = mapped_column(Integer)
    opens: Mapped[str] = mapped_column(String(5))
    closes: Mapped[str] = mapped_column(String(5))


class LibraryClosureRow(Base):
    __tablename__ = "library_closures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("content_versions.id", ondelete="CASCADE"), index=True
    )
    library: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)


class StopRow(Base):
    """A van stop: a single visit (``date``) or a repeating one (the ``weekly_*`` columns)."""

    __tablename__ = "mobile_stops"

    version_id: Mapped[int] = _version_fk()
    slug: Mapped[str] = mapped_column(String(120), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    place: Mapped[str] = mapped_column(Text)
    commune: Mapped[str] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    date: Mapped[dt.date | None] = mapped_column(Date)
    weekly_weekday: Mapped[str | None] = mapped_column(String(3))
    weekly_every: Mapped[int | None] = mapped_column(Integer)
    weekly_first: Mapped[dt.date | None] = mapped_column(Date)
    weekly_until: Mapped[dt.date | None] = mapped_column(Date)
    time_range: Mapped[str] = mapped_column(String(16))


class FaqRow(Base):
    __tablename__ = "faq"

    version_id: Mapped[int] = _version_fk()
    slug: Mapped[str] = mapped_column(String(120), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)


class FaqAlternateRow(Base):
    __tablename__ = "faq_alternates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("content_versions.id", ondelete="CASCADE"), index=True
    )
    faq: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)


class AnnouncementRow(Base):
    __tablename__ = "announcements"

    version_id: Mapped[int] = _version_fk()
    slug: Mapped[str] = mapped_column(String(120), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    # A moment (aware); the pack itself writes it as a wall-clock time of its zone, which
    # db.content converts on the way in and out.
    publish_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    communes: Mapped[list[str]] = mapped_column(JSON, default=list)
    course: Mapped[str | None] = mapped_column(String(120))


CONTENT_TABLES: tuple[type[Base], ...] = (
    PackInfoRow,
    TopicRow,
    CenterRow,
    CourseRow,
    LibraryRow,
    LibraryHoursRow,
    LibraryClosureRow,
    StopRow,
    FaqRow,
    FaqAlternateRow,
    AnnouncementRow,
)


class UserRow(Base):
    """A person who talked to the bot on one channel: only what the conversation needs."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(8))
    first_seen: Mapped[dt.datetime] = mapped_column(AwareDateTime())
    last_seen: Mapped[dt.datetime] = mapped_column(AwareDateTime())
    # Flood control: messages counted in the current one-minute window.
    window_start: Mapped[dt.datetime | None] = mapped_column(AwareDateTime())
    window_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # What the conversation remembers (``Context.to_json``): references to pack items, never
    # the person's text. SQL NULL when there is none; cleared after a quiet period.
    conversation: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    # When the person's class sign-up (its steps in ``dialogs``) last moved; NULL when none is
    # open. It comes with the user row, so an ordinary message costs no look-up for it.
    signup_at: Mapped[dt.datetime | None] = mapped_column(AwareDateTime())

    __table_args__ = (UniqueConstraint("channel", "user_id"),)


class FeedbackRow(Base):
    """A 👍 or 👎 under an answer, for staff."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_pk: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    ref: Mapped[str] = mapped_column(String(160))
    helpful: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[dt.datetime] = mapped_column(AwareDateTime())


class QuestionLogRow(Base):
    """A free-text question and how it was answered (no profile; ``user_pk`` can be unlinked)."""

    __tablename__ = "question_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_pk: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime] = mapped_column(AwareDateTime(), index=True)
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32))
    ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    score: Mapped[float] = mapped_column(Float)
    disliked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[str | None] = mapped_column(String(16))  # None open, "ignored", "resolved"


class StaffRow(Base):
    """A staff member: ``admin`` (manages staff) or ``editor`` (manages content and notices)."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    added_by: Mapped[str] = mapped_column(String(100))
    added_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())

    __table_args__ = (UniqueConstraint("channel", "user_id"),)


class AuditRow(Base):
    """Every staff change: who, what, when, and the details."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(AwareDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class DialogRow(Base):
    """Conversation state that outlives one message (staff dialogs, pending uploads).

    It lives in the database, not in process memory, so any instance can take the next message.
    """

    __tablename__ = "dialogs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    blob: Mapped[bytes | None] = mapped_column(LargeBinary)
    updated_at: Mapped[dt.datetime] = mapped_column(AwareDateTime())

    __table_args__ = (UniqueConstraint("channel", "user_id", "kind"),)
