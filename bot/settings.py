"""One typed settings object, read from the environment and an optional ``.env`` file.

A bad value stops start-up with one line naming the variable (:class:`SettingsError`), never a
traceback. Nothing here is built at import time: call :func:`load_settings`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

APP_NAME = "hoctap"


class SettingsError(Exception):
    """A setting that cannot be used; ``str()`` is one line for the operator."""


def default_database_url() -> str:
    """A SQLite file in the per-user data folder (the folder is created on first use)."""
    folder = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    return f"sqlite:///{folder / 'hoctap.db'}"


def bundled_content_dir() -> Path:
    """The default pack shipped inside the package (``content/``)."""
    import content

    return Path(content.__file__).resolve().parent


def async_database_url(url: str) -> str:
    """Map the usual URLs onto the async drivers: aiosqlite for SQLite, asyncpg for PostgreSQL."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise ValueError(f"unsupported database '{backend}' (use sqlite:/// or postgresql://)")


def _clock_time(value: object) -> object:
    if isinstance(value, str):
        return dt.time.fromisoformat(value.strip())
    return value


class NotifySettings(BaseSettings):
    """Times, limits and pacing of reminders and broadcasts (``settings.notify``).

    Its ``HOCTAP_*`` variables are read with the main settings, in the same
    :func:`load_settings` call; tests may build one directly and hand it to the notifier.
    """

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


class Settings(BaseSettings):
    """Everything the bot reads from its environment."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    database_url: str = Field(
        default_factory=default_database_url, validation_alias="HOCTAP_DATABASE_URL"
    )
    content_dir: Path = Field(
        default_factory=bundled_content_dir, validation_alias="HOCTAP_CONTENT_DIR"
    )
    timezone: str = Field(default="Asia/Ho_Chi_Minh", validation_alias="HOCTAP_TIMEZONE")
    staff_ids: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="HOCTAP_STAFF_IDS"
    )
    staff_chat: str | None = Field(default=None, validation_alias="HOCTAP_STAFF_CHAT")
    log_level: str = Field(default="INFO", validation_alias="HOCTAP_LOG_LEVEL")
    retention_days: int = Field(default=180, ge=1, validation_alias="HOCTAP_RETENTION_DAYS")
    flood_per_minute: int = Field(default=20, ge=1, validation_alias="HOCTAP_FLOOD_PER_MINUTE")
    # A class's sign-ups (name, phone) are deleted this many days after the class ends.
    registration_retention_days: int = Field(
        default=90, ge=1, validation_alias="HOCTAP_REGISTRATION_RETENTION_DAYS"
    )
    # A person's conversation state is forgotten after this many quiet minutes.
    conversation_minutes: float = Field(
        default=30, gt=0, validation_alias="HOCTAP_CONVERSATION_MINUTES"
    )
    leader_check_seconds: float = Field(
        default=10.0, gt=0, le=50, validation_alias="HOCTAP_LEADER_CHECK_SECONDS"
    )
    # Ask a person: open questions per citizen, how long a staff claim holds, and when an open
    # question is overdue in the digest (working hours of the main library).
    questions_open_max: int = Field(
        default=3, ge=1, le=50, validation_alias="HOCTAP_QUESTIONS_OPEN_MAX"
    )
    question_claim_minutes: float = Field(
        default=15, gt=0, validation_alias="HOCTAP_QUESTION_CLAIM_MINUTES"
    )
    question_overdue_hours: float = Field(
        default=24, gt=0, validation_alias="HOCTAP_QUESTION_OVERDUE_HOURS"
    )
    # The durable intake (bot.intake): updates handled at once per instance, how long a claimed
    # update is leased before another instance (or this one, restarted) may take it, and how
    # often an idle instance looks for updates stored by the others.
    intake_workers: int = Field(default=8, ge=1, le=256, validation_alias="HOCTAP_INTAKE_WORKERS")
    intake_lease_seconds: float = Field(
        default=60.0, ge=1, validation_alias="HOCTAP_INTAKE_LEASE_SECONDS"
    )
    intake_poll_seconds: float = Field(
        default=1.0, gt=0, le=60, validation_alias="HOCTAP_INTAKE_POLL_SECONDS"
    )

    telegram_bot_token: str | None = Field(default=None, validation_alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: str | None = Field(
        default=None, validation_alias="TELEGRAM_API_BASE_URL"
    )
    webhook_url: str | None = Field(default=None, validation_alias="HOCTAP_WEBHOOK_URL")
    webhook_secret: str | None = Field(default=None, validation_alias="HOCTAP_WEBHOOK_SECRET")

    zalo_app_id: str | None = Field(default=None, validation_alias="ZALO_APP_ID")
    zalo_app_secret: str | None = Field(default=None, validation_alias="ZALO_APP_SECRET")
    zalo_oa_secret_key: str | None = Field(default=None, validation_alias="ZALO_OA_SECRET_KEY")
    zalo_oa_access_token: str | None = Field(default=None, validation_alias="ZALO_OA_ACCESS_TOKEN")
    zalo_oa_refresh_token: str | None = Field(
        default=None, validation_alias="ZALO_OA_REFRESH_TOKEN"
    )
    zalo_oa_api_base_url: str = Field(
        default="https://openapi.zalo.me", validation_alias="ZALO_OA_API_BASE_URL"
    )
    zalo_oauth_base_url: str = Field(
        default="https://oauth.zaloapp.com", validation_alias="ZALO_OAUTH_BASE_URL"
    )
    # How old (seconds) a signed OA webhook call may be: Zalo retries a failed delivery with the
    # original timestamp for about 1 h 51 min, so the default (2 h 5 min) accepts those.
    zalo_oa_webhook_max_age: float = Field(
        default=7500.0, gt=0, validation_alias="HOCTAP_ZALO_OA_WEBHOOK_MAX_AGE"
    )
    # Show an OA reply's buttons (at most 5) as a template with tap-to-answer buttons instead of
    # numbered choices (needs the OA's permission for templates).
    zalo_oa_template_buttons: bool = Field(
        default=False, validation_alias="HOCTAP_ZALO_OA_TEMPLATE_BUTTONS"
    )
    zalo_bot_webhook_secret: str | None = Field(
        default=None, min_length=8, max_length=256, validation_alias="ZALO_BOT_WEBHOOK_SECRET"
    )
    zalo_bot_token: str | None = Field(default=None, validation_alias="ZALO_BOT_TOKEN")
    zalo_bot_api_base_url: str = Field(
        default="https://bot-api.zaloplatforms.com", validation_alias="ZALO_BOT_API_BASE_URL"
    )

    # Reminders and broadcasts: their own ``HOCTAP_NOTIFY_*``/``REMIND_*``/``QUIET_*``/
    # ``DIGEST_AT`` variables, read from the same environment and ``.env`` when these settings
    # are built (a bad value fails :func:`load_settings` with one line naming it).
    notify: NotifySettings = Field(default_factory=NotifySettings)

    @field_validator("database_url")
    @classmethod
    def _db_url(cls, value: str) -> str:
        try:
            async_database_url(value)
        except ArgumentError:
            raise ValueError(f"'{value}' is not a database URL") from None
        return value

    @field_validator("content_dir")
    @classmethod
    def _content_dir(cls, value: Path) -> Path:
        if not value.is_dir():
            raise ValueError(f"folder '{value}' does not exist")
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}'") from None
        return value

    @field_validator("staff_ids", mode="before")
    @classmethod
    def _staff(cls, value: object) -> object:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("staff_chat")
    @classmethod
    def _staff_chat(cls, value: str | None) -> str | None:
        if not value:
            return None
        channel, _, chat = value.strip().partition(":")
        if channel not in ("telegram", "zalo_bot", "zalo_oa", "terminal") or not chat:
            raise ValueError("must be channel:chat-id, e.g. telegram:-1001234567890")
        return f"{channel}:{chat}"

    @field_validator("telegram_bot_token")
    @classmethod
    def _token(cls, value: str | None) -> str | None:
        if value is not None and (":" not in value or not value.split(":", 1)[0].isdecimal()):
            raise ValueError("must look like 123456789:ABC… (from @BotFather)")
        return value or None

    @property
    def zalo_oa_configured(self) -> bool:
        """All the Official Account needs: app id and secret, OA key, and a token."""
        return bool(
            self.zalo_app_id
            and self.zalo_app_secret
            and self.zalo_oa_secret_key
            and (self.zalo_oa_refresh_token or self.zalo_oa_access_token)
        )

    @property
    def any_channel(self) -> bool:
        """Whether any platform is configured (else ``hoctap run`` chats in the terminal)."""
        return bool(self.telegram_bot_token or self.zalo_bot_token or self.zalo_oa_configured)

    @property
    def async_database_url(self) -> str:
        """The database URL with the async driver chosen."""
        return async_database_url(self.database_url)

    @property
    def conversation_quiet(self) -> dt.timedelta:
        """How long a person may stay silent before their conversation state is forgotten."""
        return dt.timedelta(minutes=self.conversation_minutes)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def one_line(exc: ValidationError, model: type[BaseSettings]) -> SettingsError:
    """The first problem of a settings model as one line: ``VARIABLE: what is wrong``."""
    aliases = {
        name: (field.validation_alias if isinstance(field.validation_alias, str) else name)
        for name, field in model.model_fields.items()
    }
    err = exc.errors()[0]
    field = str(err["loc"][0]) if err["loc"] else "?"
    message = str(err.get("ctx", {}).get("error", err["msg"]))
    return SettingsError(f"{aliases.get(field, field)}: {message}")


def load_settings(**overrides: Any) -> Settings:
    """Read the settings; raise :class:`SettingsError` with one line on a bad value."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise one_line(exc, Settings) from None
