"""Logging that never leaks a secret: one redaction filter for every logger and formatter.

The filter replaces every known secret (the Telegram bot token, webhook secrets, Zalo keys and
tokens as they rotate) and anything shaped like a Telegram bot token by ``***`` in a record's
message, arguments, traceback and stack. It keeps the *shape* of ``record.args`` (same tuple
length, same types where nothing was replaced), so formatters that unpack the arguments, such as
uvicorn's access formatter, keep working.

It is installed on **handlers** (every handler of every logger that has one, the root's
included), because a handler sees the records of every logger that propagates to it, while a
logger's own filter sees only records logged on that very logger. The loggers that are known to
carry URLs or parameters also get it directly, for handlers added later (a test's capture).

``configure_logging`` is what ``hoctap`` calls at start: one stream handler on the root, the
level from ``HOCTAP_LOG_LEVEL``, httpx/httpcore (which log every request URL, the Bot API's
with the token in it) quiet below WARNING unless debugging, and the filter on every handler.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "***"
# A Telegram bot token (``123456789:AA…``, 35 characters after the colon), even one we were
# never told about (another bot's token in an error message).
TOKEN_SHAPE = re.compile(r"(?<![0-9])\d{5,}:[A-Za-z0-9_-]{30,}")
MIN_SECRET = 4  # shorter strings would redact ordinary words

# Loggers that may see a URL, a query parameter or an error carrying a token: ours, the HTTP
# stack's, PTB's and the database drivers'.
REDACTED_LOGGERS: tuple[str, ...] = (
    "aiosqlite",
    "asyncpg",
    "sqlalchemy.engine",
    "sqlalchemy.engine.Engine",
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "telegram",
    "telegram.ext",
    "uvicorn",
    "uvicorn.access",
    "uvicorn.error",
    "bot",
    "bot.channels.zalo",
    "bot.channels.zalo_oa",
    "bot.channels.zalo_oa_client",
    "bot.channels.zalo_oa_tokens",
    "bot.channels.zalo_bot",
    "bot.channels.zalo_bot_client",
    "bot.channels.zalo_workers",
    "bot.channels.telegram",
)
QUIET_LOGGERS = ("httpx", "httpcore")  # a line per request, the URL in it: WARNING and above

_SIMPLE = (str, int, float, bool, type(None))


class RedactingFilter(logging.Filter):
    """Replace every known secret in a log record by ``***``; never drops a record."""

    def __init__(self) -> None:
        super().__init__("redaction")
        self.secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, *values: str | None) -> None:
        """Remember more secrets (rotated tokens are added as they arrive)."""
        fresh = {v for v in values if v and len(v) >= MIN_SECRET} - self.secrets
        if not fresh:
            return
        self.secrets |= fresh
        ordered = sorted(self.secrets, key=len, reverse=True)  # the longest first
        self._pattern = re.compile("|".join(re.escape(s) for s in ordered))

    def redact(self, text: str) -> str:
        """``text`` with every secret (and every token-shaped string) replaced."""
        if self._pattern is not None:
            text = self._pattern.sub(REDACTED, text)
        return TOKEN_SHAPE.sub(REDACTED, text)

    def leaks(self, text: str) -> bool:
        """Whether ``text`` holds something :meth:`redact` would replace."""
        if self._pattern is not None and self._pattern.search(text):
            return True
        return TOKEN_SHAPE.search(text) is not None

    def _value(self, value: Any) -> Any:
        """One argument: unchanged unless its text holds a secret, then that text redacted."""
        if isinstance(value, str):
            return self.redact(value) if self.leaks(value) else value
        if isinstance(value, _SIMPLE):
            return value
        try:
            shown, raw = str(value), repr(value)
        except Exception:  # an object that cannot even print itself: leave it to logging
            return value
        if self.leaks(shown) or self.leaks(raw):
            return self.redact(shown)
        return value

    def _args(self, args: Any) -> Any:
        if isinstance(args, tuple):
            return tuple(self._value(a) for a in args)
        if isinstance(args, Mapping):
            return {k: self._value(v) for k, v in args.items()}
        return args

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place, keeping the arguments' shape for formatters."""
        record.msg = self._value(record.msg)
        if record.args:
            record.args = self._args(record.args)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


_FILTER = RedactingFilter()


def redaction() -> RedactingFilter:
    """The process-wide filter, put on every handler and on :data:`REDACTED_LOGGERS`."""
    install()
    return _FILTER


def _handlers() -> Iterable[logging.Handler]:
    yield from logging.getLogger().handlers
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            yield from logger.handlers


def install() -> None:
    """Put the filter on every handler that exists now and on the known loggers (idempotent;
    call again after something configures handlers of its own, as uvicorn does)."""
    for handler in _handlers():
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


def redact_secrets(*values: str | None) -> None:
    """Never let these strings reach a log line."""
    _FILTER.add(*values)
    install()


def settings_secrets(settings: Any) -> list[str | None]:
    """Every secret the settings hold (the token also without its numeric bot id)."""
    token = getattr(settings, "telegram_bot_token", None)
    values = [
        token,
        token.split(":", 1)[1] if token and ":" in token else None,
        getattr(settings, "webhook_secret", None),
        getattr(settings, "zalo_app_secret", None),
        getattr(settings, "zalo_oa_secret_key", None),
        getattr(settings, "zalo_oa_access_token", None),
        getattr(settings, "zalo_oa_refresh_token", None),
        getattr(settings, "zalo_bot_token", None),
        getattr(settings, "zalo_bot_webhook_secret", None),
    ]
    url = getattr(settings, "database_url", None)
    if url:
        from sqlalchemy.engine import make_url

        with contextlib.suppress(Exception):  # not a URL: settings validation says so
            values.append(make_url(url).password)
    return values


def protect(settings: Any) -> None:
    """Register the settings' secrets and install the filter everywhere."""
    redact_secrets(*settings_secrets(settings))


def configure_logging(level: str | int = logging.WARNING) -> None:
    """The process's logging: one stream handler on the root at ``level``, the redaction
    filter on every handler, httpx/httpcore request lines only when debugging."""
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    root = logging.getLogger()
    root.setLevel(level.upper() if isinstance(level, str) else level)
    quiet = logging.WARNING if root.getEffectiveLevel() > logging.DEBUG else logging.NOTSET
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(quiet)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    install()
