"""Pydantic models of a content pack, one per file of docs/DINH_DANG_NOI_DUNG.md.

Every model forbids unknown keys (a typo must not pass silently). Optional fields default to
``None`` (scalars) or an empty list, so that ``model_dump(exclude_none=True)`` and dropping empty
lists gives back what the staff member wrote.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import unicodedata
from typing import Annotated, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from bot.pack.days import WEEKDAYS

# The content's weekday codes, for validation (the same as days.WEEKDAYS, checked below).
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
assert get_args(Weekday) == WEEKDAYS
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
MAX_FEE = 1_000_000_000  # one billion đồng: anything above is a typo (and must fit the database)
MAX_CAPACITY = 100_000
RANGE_RE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


def _nfc(value: object) -> object:
    """Vietnamese text is stored in NFC whatever the editor produced."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value).strip()
    return value


def _slug(value: object) -> object:
    if isinstance(value, str) and not SLUG_RE.match(value):
        raise ValueError(
            f"mã '{value}' không hợp lệ: chỉ dùng chữ thường không dấu, số và dấu '-', "
            "bắt đầu bằng chữ hoặc số, ví dụ tin-hoc-k2"
        )
    return value


def _time_range(value: object) -> object:
    if not isinstance(value, str):
        return value
    m = RANGE_RE.match(value.strip())
    if not m:
        raise ValueError(
            f"khoảng giờ '{value}' phải có dạng giờ:phút-giờ:phút, ví dụ \"07:30-11:30\""
        )
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ValueError(
            f"giờ không tồn tại trong '{value}' (giờ từ 00 đến 23, phút từ 00 đến 59); "
            'ví dụ "13:30-17:00"'
        )
    if (h2, m2) <= (h1, m1):
        raise ValueError(
            f"giờ kết thúc phải sau giờ bắt đầu trong '{value}'; ví dụ \"07:30-11:30\""
        )
    return f"{h1:02d}:{m1:02d}-{h2:02d}:{m2:02d}"


DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
DMY_RE = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
DATETIME_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{2})(:\d{2})?(.*)$")


def _real_date(year: int, month: int, day: int, typed: str, example_time: str = "") -> dt.date:
    """The date, or a Vietnamese reason why ``typed`` is not one, with a good example."""
    if year < 1:
        raise ValueError(
            f"'{typed}' không có năm {year}; viết năm đủ 4 chữ số, ví dụ 2026-12-01{example_time}"
        )
    if not 1 <= month <= 12:
        raise ValueError(
            f"'{typed}' không có tháng {month} (tháng chỉ từ 01 đến 12); "
            f"viết năm-tháng-ngày, ví dụ {year:04d}-12-{min(day, 31):02d}{example_time}"
        )
    try:
        return dt.date(year, month, day)
    except ValueError:
        first = dt.date(year, month, 1)
        last = ((first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)).day
        raise ValueError(
            f"'{typed}' không có trên lịch (tháng {month}/{year} chỉ có {last} ngày); "
            f"ví dụ {year:04d}-{month:02d}-{last:02d}{example_time}"
        ) from None


def _date(value: object) -> object:
    """A date as staff type it: ``2026-12-01`` (a string from YAML, a date from a spreadsheet)."""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date()
        raise ValueError(f"'{value:%Y-%m-%d %H:%M}' có kèm giờ; chỉ ghi ngày, ví dụ 2026-12-01")
    if isinstance(value, dt.date) or not isinstance(value, str):
        return value
    text = value.strip()
    m = DATE_RE.match(text)
    if m:
        year, month, day = (int(g) for g in m.groups())
        return _real_date(year, month, day, typed=text)
    m = DMY_RE.match(text)
    if m:
        day, month, year = (int(g) for g in m.groups())
        hint = f"{year:04d}-{month:02d}-{day:02d}" if 1 <= month <= 12 else "2026-12-07"
        raise ValueError(
            f"'{text}' viết theo kiểu ngày/tháng/năm; hãy viết năm-tháng-ngày: {hint}"
        )
    if DATETIME_RE.match(text):
        raise ValueError(f"'{text}' có kèm giờ; chỉ ghi ngày, ví dụ {text[:10]}")
    raise ValueError(f"'{text}' không phải là ngày; viết năm-tháng-ngày, ví dụ 2026-12-01")


def _datetime(value: object) -> object:
    """A moment as staff type it: ``2026-11-25T08:00`` (local time, an offset is allowed)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        raise ValueError(
            f"'{value.isoformat()}' thiếu giờ gửi; ghi cả ngày và giờ, "
            f"ví dụ {value.isoformat()}T08:00"
        )
    if not isinstance(value, str):
        return value
    text = value.strip()
    m = DATETIME_RE.match(text)
    if m:
        year, month, day, hour, minute = (int(g) for g in m.groups()[:5])
        _real_date(year, month, day, typed=text, example_time=f"T{min(hour, 23):02d}:{minute:02d}")
        if hour > 23 or minute > 59:
            raise ValueError(f"'{text}' có giờ không tồn tại; ví dụ {text[:10]}T08:00")
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"'{text}' không đúng dạng; ví dụ {text[:10]}T08:00 (năm-tháng-ngàyTgiờ:phút)"
            ) from None
    m = DATE_RE.match(text)
    if m:
        year, month, day = (int(g) for g in m.groups())
        _real_date(year, month, day, typed=text, example_time="T08:00")
        raise ValueError(f"'{text}' thiếu giờ gửi; ghi cả ngày và giờ, ví dụ {text}T08:00")
    raise ValueError(
        f"'{text}' không phải là ngày giờ; viết năm-tháng-ngàyTgiờ:phút, ví dụ 2026-11-25T08:00"
    )


Text = Annotated[str, BeforeValidator(_nfc), Field(min_length=1)]
OptText = Annotated[str | None, BeforeValidator(_nfc)]
Slug = Annotated[str, BeforeValidator(_slug)]
TimeRange = Annotated[str, BeforeValidator(_time_range)]
Date = Annotated[dt.date, BeforeValidator(_date)]
DateTime = Annotated[dt.datetime, BeforeValidator(_datetime)]
TextList = list[Annotated[str, BeforeValidator(_nfc), Field(min_length=1)]]


def parse_range(value: str) -> tuple[dt.time, dt.time]:
    """'07:30-11:30' -> (time(7, 30), time(11, 30)); the value was validated on load."""
    start, end = value.split("-")
    return dt.time.fromisoformat(start), dt.time.fromisoformat(end)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Location(_Model):
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)


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
    fee: int = Field(default=0, ge=0, le=MAX_FEE)
    capacity: int | None = Field(default=None, ge=1, le=MAX_CAPACITY)
    registration_closes: Date | None = None
    registration: OptText = None
    keywords: TextList = []

    @model_validator(mode="after")
    def _dates_in_order(self) -> Course:
        if self.end_date < self.start_date:
            raise ValueError(
                f"end_date: ngày kết thúc {self.end_date.isoformat()} trước ngày khai giảng "
                f"{self.start_date.isoformat()}; ngày kết thúc phải cùng ngày hoặc sau"
            )
        if self.registration_closes is not None and self.registration_closes > self.end_date:
            raise ValueError(
                f"registration_closes: hạn đăng ký {self.registration_closes.isoformat()} sau "
                f"ngày kết thúc {self.end_date.isoformat()}; hạn đăng ký phải trước khi lớp kết "
                "thúc (thường là trước ngày khai giảng)"
            )
        return self


class Closure(_Model):
    from_: Date = Field(alias="from")
    to: Date
    reason: OptText = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _in_order(self) -> Closure:
        if self.to < self.from_:
            raise ValueError(
                f"to: ngày nghỉ cuối {self.to.isoformat()} trước ngày nghỉ đầu "
                f"{self.from_.isoformat()}; nghỉ một ngày thì ghi hai ngày giống nhau"
            )
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
                    raise ValueError(
                        f"{day}: các khoảng giờ {', '.join(ranges)} chồng lên nhau; "
                        'ví dụ đúng: ["07:30-11:30", "13:30-17:00"]'
                    )
        return value


class Weekly(_Model):
    weekday: Weekday
    every: int = Field(default=1, ge=1, le=52)
    first: Date
    until: Date

    @model_validator(mode="after")
    def _consistent(self) -> Weekly:
        if self.until < self.first:
            raise ValueError(
                f"until: lần cuối {self.until.isoformat()} trước lần đầu {self.first.isoformat()}"
            )
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
            raise ValueError(
                "date: cần 'date' (xe đến một lần, ví dụ date: 2026-12-05) hoặc 'weekly' "
                "(lặp lại, ví dụ weekly: {weekday: wed, every: 2, first: 2026-11-04, "
                "until: 2027-12-31})"
            )
        if self.date is not None and self.weekly is not None:
            raise ValueError(
                "date: chỉ dùng một trong 'date' (một lần) hoặc 'weekly' (lặp lại), không dùng "
                "cả hai"
            )
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
    publish_at: DateTime
    topics: list[Slug] = []
    communes: TextList = []
    course: Slug | None = None


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
