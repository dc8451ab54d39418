"""The notifier's settings, read from ``HOCTAP_*`` environment variables with defaults."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.settings import one_line


def _clock_time(value: object) -> object:
    if isinstance(value, str):
        return dt.time.fromisoformat(value.strip())
    return value


class NotifySettings(BaseSettings):
    """Times, limits and pacing of reminders and broadcasts."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    tick_seconds: float = Field(default=30.0, gt=0, validation_alias="HOCTAP_NOTIFY_TICK_SECONDS")
    rate_per_s: float = Field(default=25.0, gt=0, validation_alias="HOCTAP_NOTIFY_RATE")
    per_chat_interval_s: float = Field(
        default=1.0, ge=0, validation_alias="HOCTAP_NOTIFY_PER_CHAT_SECONDS"
    )
    batch_size: int = Field(default=20, ge=1, validation_alias="HOCTAP_NOTIFY_BATCH")
    workers: int = Field(default=2, ge=1, validation_alias="HOCTAP_NOTIFY_WORKERS")
    lease_seconds: float = Field(
        default=60.0, gt=0, validation_alias="HOCTAP_NOTIFY_LEASE_SECONDS"
    )
    max_attempts: int = Field(default=5, ge=1, validation_alias="HOCTAP_NOTIFY_MAX_ATTEMPTS")
    backoff_seconds: float = Field(default=5.0, ge=0, validation_alias="HOCTAP_NOTIFY_BACKOFF")
    stale_hours: float = Field(default=24.0, gt=0, validation_alias="HOCTAP_NOTIFY_STALE_HOURS")
    course_remind_at: dt.time = Field(
        default=dt.time(19, 0), validation_alias="HOCTAP_REMIND_COURSE_AT"
    )
    van_eve_at: dt.time = Field(
        default=dt.time(19, 0), validation_alias="HOCTAP_REMIND_VAN_EVE_AT"
    )
    van_morning_at: dt.time = Field(
        default=dt.time(6, 30), validation_alias="HOCTAP_REMIND_VAN_MORNING_AT"
    )
    quiet_start: dt.time = Field(default=dt.time(21, 30), validation_alias="HOCTAP_QUIET_START")
    quiet_end: dt.time = Field(default=dt.time(7, 0), validation_alias="HOCTAP_QUIET_END")
    daily_at: dt.time = Field(default=dt.time(3, 0), validation_alias="HOCTAP_NOTIFY_DAILY_AT")
    digest_at: dt.time = Field(default=dt.time(7, 30), validation_alias="HOCTAP_DIGEST_AT")

    _times = field_validator(
        "course_remind_at",
        "van_eve_at",
        "van_morning_at",
        "quiet_start",
        "quiet_end",
        "daily_at",
        "digest_at",
        mode="before",
    )(_clock_time)

    @property
    def stale(self) -> dt.timedelta:
        """How late a due item may still be sent; older ones are marked expired."""
        return dt.timedelta(hours=self.stale_hours)

    def in_quiet(self, when: dt.datetime) -> bool:
        """Whether ``when`` (local) falls in quiet hours (equal start and end: none)."""
        start, end, now = self.quiet_start, self.quiet_end, when.time()
        if start == end:
            return False
        if start < end:
            return start <= now < end
        return now >= start or now < end

    def out_of_quiet(self, when: dt.datetime) -> dt.datetime:
        """``when``, or the end of the quiet hours it falls in."""
        if not self.in_quiet(when):
            return when
        end = when.replace(
            hour=self.quiet_end.hour, minute=self.quiet_end.minute, second=0, microsecond=0
        )
        return end if end > when else end + dt.timedelta(days=1)


def load_notify_settings(**overrides: object) -> NotifySettings:
    """Read the notifier settings; raise ``SettingsError`` with one line on a bad value."""
    try:
        return NotifySettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise one_line(exc, NotifySettings) from None


def aware(value: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """A time read back from the database, aware (SQLite returns naive local times)."""
    return value.replace(tzinfo=tz) if value.tzinfo is None else value.astimezone(tz)
