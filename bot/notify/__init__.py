"""Subscriptions, reminders and scheduled broadcasts through an outbox (see ARCHITECTURE.md).

``start_notifications(app, senders)`` starts the scheduler inside the bot process and returns
the :class:`~bot.notify.scheduler.Notifier`; tests call ``await notifier.tick()`` directly.
"""

from __future__ import annotations

from bot.notify.scheduler import Notifier, start_notifications

__all__ = ["Notifier", "start_notifications"]
