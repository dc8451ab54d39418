"""The errors of both Zalo surfaces' APIs (never carrying a token or a URL)."""

from __future__ import annotations

from typing import Any


class ZaloApiError(Exception):
    """An error answer of a Zalo API; the message never contains a token or a URL."""

    def __init__(
        self, method: str, code: int | None, description: str, http_status: int | None = None
    ) -> None:
        super().__init__(f"{method}: {code} {description}")
        self.method = method
        self.code = code
        self.description = description
        self.http_status = http_status


class ZaloAuthError(ZaloApiError):
    """The token is invalid or expired and could not be renewed: stop and alert."""


class ZaloQuotaError(ZaloApiError):
    """A quota or rate limit was hit: back off, do not hot-retry."""


class ZaloTransientError(ZaloApiError):
    """Network failure, 5xx or a non-JSON answer: may be retried later."""


def as_int(value: Any) -> int | None:
    """An error code as an int, or None."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
