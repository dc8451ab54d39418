"""Pydantic models of a content pack, one per file of ../shared/CONTENT_FORMAT.md.

Every model forbids unknown keys (a typo must not pass silently). Optional fields default to
``None`` (scalars) or an empty list, so that ``model_dump(exclude_none=True)`` and dropping empty
lists gives back what the staff member wrote.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import unicodedata
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
RANGE_RE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


def _nfc(value: object) -> object:
    """Vietnamese text is stored in NFC whatever the editor produced."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value).strip()
    return value


def _slug(value: object) -> object:
    if isinstance(value, str) and not SLUG_RE.match(value):
        raise ValueError(
            f"mã '{value}' không hợp lệ: chỉ dùng a-z, 0-9 và '-', bắt đầu bằng chữ/số"
        )
    return value


def _time_range(value: object) -> object:
    if not isinstance(value, str):
        return value
    m = RANGE_RE.match(value.strip())
    if not m:
        raise ValueError(f"khoảng giờ '{value}' phải có dạng HH:MM-HH:MM")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ValueError(f"giờ không tồn tại trong '{value}'")
    if (h2, m2) <= (h1, m1):
        raise ValueError(f"giờ kết thúc phải sau giờ bắt đầu trong '{value}'")
    return f"{h1:02d}:{m1:02d}-{h2:02d}:{m2:02d}"


def _date(value: object) -> object:
    # YAML gives a date object for 2026-12-01 but a datetime for 2026-12-01T00:00; a string
    # such as "2026-13-01" is left to pydantic to reject.
    if isinstance(value, dt.datetime):
        raise ValueError("cần một ngày YYYY-MM-DD, không kèm giờ")
    return value


Text = Annotated[str, BeforeValidator(_nfc), Field(min_length=1)]
OptText = Annotated[str | None, BeforeValidator(_nfc)]
Slug = Annotated[str, BeforeValidator(_slug)]
TimeRange = Annotated[str, BeforeValidator(_time_range)]
Date = Annotated[dt.date, BeforeValidator(_date)]
TextList = list[Annotated[str, BeforeValidator(_nfc), Field(min_length=1)]]


def parse_range(value: str) -> tuple[dt.time, dt.time]:
    """'07:30-11:30' -> (time(7, 30), time(11, 30)); the value was validated on load."""
    start, end = value.split("-")
    return dt.time.fromisoformat(start), dt.time.fromisoformat(end)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Location(_Model):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class PackInfo(_Model):
    name: Text
    organisation: Text
    timezone: str = "Asia/Ho_Chi_Minh"
    locale: Literal["vi", "en"] = "vi"
    contact: Text

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"múi giờ '{value}' không tồn tại") from None
        return value


class Topic(_Model):
    id: Slug
    name: Text
    synonyms: TextList = []


class Center(_Model):
    id: Slug
    name: Text
    aliases: TextList = []
    commune: Text
    address: Text
    phone: OptText = None
    location: Location | None = None

    @field_validator("phone", mode="before")
    @classmethod
    def _phone_str(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value


class Course(_Model):
    id: Slug
    title: Text
    topic: Slug
    center: Slug
    description: OptText = None
    start_date: Date
    end_date: Date
    weekdays: list[Weekday] = []
    time: TimeRange | None = None
    fee: int = Field(default=0, ge=0)
    capacity: int | None = Field(default=None, ge=1)
    registration: OptText = None
    keywords: TextList = []

    @model_validator(mode="after")
    def _dates_in_order(self) -> Course:
        if self.end_date < self.start_date:
            raise ValueError("end_date: ngày kết thúc trước ngày bắt đầu")
        return self


class Closure(_Model):
    from_: Date = Field(alias="from")
    to: Date
    reason: OptText = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _in_order(self) -> Closure:
        if self.to < self.from_:
            raise ValueError("to: ngày kết thúc nghỉ trước ngày bắt đầu")
        return self


class Library(_Model):
    id: Slug
    name: Text
    aliases: TextList = []
    address: Text
    phone: OptText = None
    location: Location | None = None
    hours: dict[Weekday, list[TimeRange]] = {}
    closures: list[Closure] = []
    services: TextList = []

    @field_validator("phone", mode="before")
    @classmethod
    def _phone_str(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value

    @field_validator("hours")
    @classmethod
    def _no_overlap(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for day, ranges in value.items():
            spans = sorted(parse_range(r) for r in ranges)
            for (_, end), (start, _) in itertools.pairwise(spans):
                if start < end:
                    raise ValueError(f"{day}: các khoảng giờ chồng lên nhau")
        return value


class Weekly(_Model):
    weekday: Weekday
    every: int = Field(default=1, ge=1, le=52)
    first: Date
    until: Date

    @model_validator(mode="after")
    def _consistent(self) -> Weekly:
        if self.until < self.first:
            raise ValueError("until: ngày kết thúc trước ngày 'first'")
        return self

    @property
    def start(self) -> dt.date:
        """The first visit: ``first`` itself, or the first ``weekday`` after it.

        A ``first`` that is not on ``weekday`` is read as "from this date on", so a pack whose
        author counted from the start of a month still gives the right visits.
        """
        shift = (WEEKDAYS.index(self.weekday) - self.first.weekday()) % 7
        return self.first + dt.timedelta(days=shift)


class Stop(_Model):
    id: Slug
    place: Text
    commune: Text
    location: Location | None = None
    date: Date | None = None
    weekly: Weekly | None = None
    time: TimeRange

    @model_validator(mode="after")
    def _one_schedule(self) -> Stop:
        if self.date is None and self.weekly is None:
            raise ValueError("cần 'date' (một lần) hoặc 'weekly' (lặp lại)")
        if self.date is not None and self.weekly is not None:
            raise ValueError("chỉ dùng một trong 'date' hoặc 'weekly', không dùng cả hai")
        return self

    def visits(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Every visit date in [start, end], repeating visits expanded."""
        if self.date is not None:
            return [self.date] if start <= self.date <= end else []
        assert self.weekly is not None
        w = self.weekly
        step = 7 * w.every
        first = w.start
        if start > first:
            skip = (start - first).days // step
            first = first + dt.timedelta(days=skip * step)
            if first < start:
                first += dt.timedelta(days=step)
        out: list[dt.date] = []
        day = first
        last = min(end, w.until)
        while day <= last:
            out.append(day)
            day += dt.timedelta(days=step)
        return out


class Vehicle(_Model):
    name: Text
    description: OptText = None
    phone: OptText = None

    @field_validator("phone", mode="before")
    @classmethod
    def _phone_str(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value


class MobileLibrary(_Model):
    vehicle: Vehicle
    stops: list[Stop] = []


class Faq(_Model):
    id: Slug
    question: Text
    alternates: TextList = []
    answer: Text
    tags: TextList = []


class Announcement(_Model):
    id: Slug
    title: Text
    body: Text
    publish_at: dt.datetime
    topics: list[Slug] = []
    communes: TextList = []
    course: Slug | None = None

    @field_validator("publish_at", mode="before")
    @classmethod
    def _local(cls, value: object) -> object:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            raise ValueError("cần ngày và giờ dạng YYYY-MM-DDTHH:MM")
        return value


class LexiconEntry(_Model):
    """One word staff teach the bot: ``tvx: thư viện xã``."""

    short: Text
    means: Text


class Pack(_Model):
    """A whole content pack, validated and cross-checked."""

    info: PackInfo
    topics: list[Topic] = []
    centers: list[Center] = []
    courses: list[Course] = []
    libraries: list[Library] = []
    mobile: MobileLibrary | None = None
    faq: list[Faq] = []
    announcements: list[Announcement] = []
    lexicon: dict[str, str] = {}

    @property
    def stops(self) -> list[Stop]:
        return list(self.mobile.stops) if self.mobile else []

    def topic(self, topic_id: str) -> Topic | None:
        return next((t for t in self.topics if t.id == topic_id), None)

    def center(self, center_id: str) -> Center | None:
        return next((c for c in self.centers if c.id == center_id), None)

    def course(self, course_id: str) -> Course | None:
        return next((c for c in self.courses if c.id == course_id), None)

    def library(self, library_id: str) -> Library | None:
        return next((x for x in self.libraries if x.id == library_id), None)

    def stop(self, stop_id: str) -> Stop | None:
        return next((s for s in self.stops if s.id == stop_id), None)

    def faq_entry(self, faq_id: str) -> Faq | None:
        return next((f for f in self.faq if f.id == faq_id), None)
