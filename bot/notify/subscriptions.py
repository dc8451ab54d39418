"""Subscriptions and consent: the data functions live in :mod:`db.subscriptions`; these names
stay importable from here for the conversation (handlers) and the channels."""

from __future__ import annotations

from db.subscriptions import (
    KINDS,
    PURPOSES,
    audience_filter,
    clear_unreachable,
    log_consent,
    mark_unreachable,
    purpose_of,
    stop_everything,
    subscribers,
    subscriptions_of,
    toggle,
)

__all__ = [
    "KINDS",
    "PURPOSES",
    "audience_filter",
    "clear_unreachable",
    "log_consent",
    "mark_unreachable",
    "purpose_of",
    "stop_everything",
    "subscribers",
    "subscriptions_of",
    "toggle",
]
